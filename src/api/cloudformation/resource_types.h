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

}  // namespace wharf::api::cloudformation
