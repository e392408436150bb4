// ServiceProvisioner: the stack engine's ResourceProvisioner on wharf's own services. Each
// resource type wharf serves is a ResourceType (resource_types.h): how its properties become
// the service's requests, which operations make, change and delete it, and its Ref and
// Fn::GetAtt values as the AWS resource reference documents them. The requests run through
// FrontDoor::Invoke as the stack's caller (the access key that made the operation), so the
// caller's IAM policies decide, as CloudFormation without a service role does.
//
// A type wharf does not serve fails with "Resource type X is not supported by wharf".
//
// Thread-safety: Create, Update and Delete may run on many threads at once (one stack each).
#pragma once

#include <boost/json/object.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/service_model.h"
#include "base/random.h"
#include "controlplane/stack_engine.h"

namespace wharf::api::cloudformation {

// Runs an operation in-process as the holder of an access key (FrontDoor::Invoke).
using Invoke = std::function<Outcome(std::string_view region, std::string_view access_key_id,
                                     std::string_view signing_name, std::string_view operation,
                                     boost::json::object input)>;

// What a resource type's functions work with: the stack's caller and names.
class Caller {
 public:
  Caller(const Invoke& invoke, const model::Stack& stack, std::string region, std::string account_id, Random& random,
         const std::atomic<bool>& stopping, std::string* made_id = nullptr);
  bool stopping() const { return stopping_; }

  // Records the physical id of what was just made (ResourceProvisioner::Create's made_id).
  void Record(const std::string& physical_id) const {
    if (made_id_) *made_id_ = physical_id;
  }

  // The operation's output, or its error as a Status whose message is what CREATE_FAILED
  // shows ("Resource handler returned message: ...").
  Result<boost::json::object> Call(std::string_view signing_name, std::string_view operation,
                                   boost::json::object input) const;
  // As Call, answering the AWS error itself.
  Outcome Try(std::string_view signing_name, std::string_view operation, boost::json::object input) const;
  // A name CloudFormation makes for a resource whose name the template leaves out:
  // <stack>-<logical id>-<random>, cut to `max_length`.
  std::string PhysicalName(std::string_view logical_id, size_t max_length, bool lower = false) const;
  // Waits `ms` milliseconds (between polls).
  void Pause(int ms) const;

  const model::Stack& stack;
  const std::string region;
  const std::string account_id;

 private:
  const Invoke& invoke_;
  Random& random_;
  const std::atomic<bool>& stopping_;
  std::string* made_id_;
};

// Properties, as a template gives them, made the input of `shape` (members matched without
// regard to the first letter's case, "256" made a number where the shape wants one, ...).
// `renames` maps a template property to the member it fills. A property the shape does not
// have is CloudFormation's "Encountered unsupported property X".
Result<boost::json::value> ToInput(const Shape& shape, const boost::json::value& value,
                                   const std::map<std::string, std::string>& renames = {});
// The input shape of `operation` of the embedded model `model` ("ecs", "elbv2", ...).
const Shape& InputShape(std::string_view model, std::string_view operation);

// One resource type: its three operations (update may answer ReplacementNeeded).
struct ResourceType {
  std::function<Result<controlplane::ProvisionedResource>(const Caller&, std::string_view logical_id,
                                                          const boost::json::object& properties)>
      create;
  std::function<Result<controlplane::ProvisionedResource>(const Caller&, const model::StackResource& resource,
                                                          const boost::json::object& properties)>
      update;
  std::function<Status(const Caller&, const model::StackResource& resource)> remove;
};
// Every type wharf provisions (resource_types.cc and the per-service files).
const std::map<std::string, ResourceType, std::less<>>& ResourceTypes();

class ServiceProvisioner final : public controlplane::ResourceProvisioner {
 public:
  ServiceProvisioner(Invoke invoke, std::string region, std::string account_id, Random& random);

  Result<controlplane::ProvisionedResource> Create(const model::Stack& stack, std::string_view logical_id,
                                                   std::string_view type, const boost::json::object& properties,
                                                   std::string& made_id) override;
  Result<controlplane::ProvisionedResource> Update(const model::Stack& stack, const model::StackResource& resource,
                                                   const boost::json::object& properties) override;
  Status Delete(const model::Stack& stack, const model::StackResource& resource) override;
  void Stop() override { stopping_ = true; }

 private:
  std::atomic<bool> stopping_{false};
  const Invoke invoke_;
  const std::string region_;
  const std::string account_id_;
  Random& random_;
};

}  // namespace wharf::api::cloudformation
