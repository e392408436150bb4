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

#include "agent/image/reference.h"

namespace wharf::agent {

// "" when an ENI that reaches `pulls_from` ("any", "ecr" or "") reaches `image`'s registry
// (`is_ecr`: the registry is ECR's); otherwise the task's stoppedReason, in the words
// Fargate's containerd reports a dial that timed out.
std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr);

}  // namespace wharf::agent
