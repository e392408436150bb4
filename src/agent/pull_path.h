// Fargate pulls a task's images through the task's own ENI (issue 13): a private subnet with
// neither a NAT gateway nor ECR's VPC endpoints cannot reach the registry, and the task stops
// with CannotPullContainerError ... i/o timeout. The server says what the subnet reaches
// (model::TaskAssignment::Eni::pulls_from, controlplane::PullReach). For the server's own
// registry the packets are real: the pull's connections are made inside the task's network
// namespace toward the server's front (network/egress.h: kServerPublicAddress, DNAT'd to the
// server only from an ENI with an outside address, dropped from any other), so the task's
// routes, egress table and security groups decide, and a dial without a way out times out.
// Where the packets cannot yet say it (ECR's interface endpoints; a public subnet's task
// without a public address, which pulls by a deliberate deviation; other registries) the
// decision stands and the bytes use the node's connection (docs/ARCHITECTURE.md, "Image pulls
// through the task's network"). EC2 tasks, awsvpc or not, pull on the node's network as the
// ECS agent does. Pure.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "agent/image/image_store.h"
#include "agent/image/reference.h"
#include "agent/task_secrets.h"

namespace wharf::agent {

// "" when an ENI that reaches `pulls_from` ("any", "ecr" or "") reaches `image`'s registry
// (`is_ecr`: the registry is ECR's); otherwise the task's stoppedReason, in the words
// Fargate's containerd reports a dial that timed out.
std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr);

// Whether a Fargate task's pull of a registry goes through its network namespace: the
// server's registry (`is_ecr`) from an ENI with an outside address (`way_out`), or with
// nothing to reach it by (`pulls_from` ""), whose dial then really times out.
bool PullsThroughTaskNetwork(std::string_view pulls_from, bool way_out, bool is_ecr);

// How long such a dial waits (containerd's is longer, and retried 5 times).
inline constexpr std::chrono::milliseconds kTaskNetworkDialTimeout{2000};
inline constexpr int kTaskNetworkDialAttempts = 3;

// `base`, with every connection made in the task's namespace `netns_path` toward the server's
// front, and the tag resolved at the registry on every pull: on Fargate a cached image still
// asks for its manifest (the node's content store keeps sharing the blobs it has).
PullOptions ThroughTaskNetwork(const PullOptions& base, const std::string& netns_path);

// The execution role's calls (secrets from Secrets Manager and SSM) of a Fargate task whose
// ENI has no way out: a service none of its VPC's endpoints serve (`endpoint_services`,
// controlplane::EndpointServices) fails as a dial that timed out, which FetchTaskSecrets
// words as ResourceInitializationError. Thread-compatible; `inner` must outlive it.
// With `in_network` (the same calls made from the task's namespace toward the server's front)
// a service not listed goes through it, so the task's egress table and security groups decide
// (with a way out, every service is reached that way: `endpoint_services` is then empty and
// `all_in_network` set); a dial dropped on the way gets the same words.
class CallsThroughEni final : public ExecutionRoleCalls {
 public:
  CallsThroughEni(ExecutionRoleCalls& inner, std::vector<std::string> endpoint_services,
                  ExecutionRoleCalls* in_network = nullptr)
      : inner_(inner), services_(std::move(endpoint_services)), in_network_(in_network) {}
  Result<boost::json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region) override;

 private:
  ExecutionRoleCalls& inner_;
  const std::vector<std::string> services_;
  ExecutionRoleCalls* const in_network_;
};

}  // namespace wharf::agent
