// Fargate pulls a task's images through the task's own ENI (issue 13 part 3): a private
// subnet with neither a NAT gateway nor ECR's VPC endpoints cannot reach the registry, and
// the task stops with CannotPullContainerError ... i/o timeout. What the subnet reaches is
// the server's decision (model::TaskAssignment::Eni::pulls_from, controlplane::PullReach),
// made from the same route tables, NAT gateways and endpoints that shape the task's packets;
// the bytes still come over the node's connection to the server (docs/ARCHITECTURE.md,
// "Image pulls through the task's network"). EC2 tasks, awsvpc or not, pull on the node's
// network as the ECS agent does. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/image/reference.h"
#include "agent/task_secrets.h"

namespace wharf::agent {

// "" when an ENI that reaches `pulls_from` ("any", "ecr" or "") reaches `image`'s registry
// (`is_ecr`: the registry is ECR's); otherwise the task's stoppedReason, in the words
// Fargate's containerd reports a dial that timed out.
std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr);

// The execution role's calls (secrets from Secrets Manager and SSM) of a Fargate task whose
// ENI has no way out: a service none of its VPC's endpoints serve (`endpoint_services`,
// controlplane::EndpointServices) fails as a dial that timed out, which FetchTaskSecrets
// words as ResourceInitializationError. Thread-compatible; `inner` must outlive it.
class CallsThroughEni final : public ExecutionRoleCalls {
 public:
  CallsThroughEni(ExecutionRoleCalls& inner, std::vector<std::string> endpoint_services)
      : inner_(inner), services_(std::move(endpoint_services)) {}
  Result<boost::json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region) override;

 private:
  ExecutionRoleCalls& inner_;
  const std::vector<std::string> services_;
};

}  // namespace wharf::agent
