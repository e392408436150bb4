// The resource types, one registration function per service (resources_<service>.cc), and
// the helpers they share.
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <map>
#include <string>

#include "api/cloudformation/provisioner.h"

namespace wharf::api::cloudformation {

using TypeTable = std::map<std::string, ResourceType, std::less<>>;
void AddLogsTypes(TypeTable& types);
void AddEcsTypes(TypeTable& types);
void AddElbv2Types(TypeTable& types);
void AddEc2Types(TypeTable& types);
void AddIamTypes(TypeTable& types);
void AddEcrTypes(TypeTable& types);
void AddVpcTypes(TypeTable& types);
void AddVpcGatewayTypes(TypeTable& types);
void AddIamUserTypes(TypeTable& types);
void AddKmsTypes(TypeTable& types);
void AddSecretsManagerTypes(TypeTable& types);
void AddSsmTypes(TypeTable& types);
void AddServiceDiscoveryTypes(TypeTable& types);
void AddCloudWatchTypes(TypeTable& types);
void AddApplicationAutoScalingTypes(TypeTable& types);

// `properties` without `names` (those a type sends in requests of their own).
boost::json::object Without(const boost::json::object& properties, std::initializer_list<const char*> names);
// A resource whose Ref is `ref` (and physical id too).
controlplane::ProvisionedResource Made(std::string ref, boost::json::object attributes = {});
// The properties that changed between a resource's record and `next` (both resolved).
std::vector<std::string> Changed(const boost::json::object& before, const boost::json::object& next);
// Whether any of `names` changed.
bool AnyChanged(const std::vector<std::string>& changed, std::initializer_list<const char*> names);
// [{Key, Value}] (CloudFormation's tags) as a map (CloudWatch Logs' tags).
boost::json::object TagMap(const boost::json::value& tags);
// Polls `done` every `interval_ms` until it answers true or an error, at most `attempts` times.
Status PollUntil(const Caller& caller, int attempts, int interval_ms, const std::function<Result<bool>()>& done,
                 const std::string& timeout_message);

// Properties wharf does not carry out for a type: refused ("wharf does not support X yet")
// rather than ignored.
Status RefuseProperties(const boost::json::object& properties, std::initializer_list<const char*> names);
// A policy document property (an object in templates, or its JSON text) as JSON text.
std::string PolicyText(const boost::json::value& document);
// An EC2 create request's TagSpecifications for the template's Tags, empty without Tags.
boost::json::array TagSpecifications(const boost::json::object& properties, std::string_view resource_type);
// CreateTags / DeleteTags bringing EC2 resource `id` from the Tags of `before` to those of `after`.
Status RetagEc2(const Caller& caller, const std::string& id, const boost::json::object& before,
                const boost::json::object& after);
// Runs a delete operation, again while the service answers one of `busy` (what resources
// deleted just before still hold: a network interface, an attachment); an error of `gone`
// counts as deleted.
Status DeleteWhenFree(const Caller& caller, std::string_view service, std::string_view operation,
                      boost::json::object input, std::initializer_list<std::string_view> gone,
                      std::initializer_list<std::string_view> busy = {"DependencyViolation"});
// The error of an outcome as a Status (its message), OK when it succeeded or its code is in `ok_codes`.
Status OkOr(const Outcome& out, std::initializer_list<std::string_view> ok_codes = {});

}  // namespace wharf::api::cloudformation
