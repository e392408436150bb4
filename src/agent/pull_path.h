// Fargate pulls a task's images through the task's own ENI (issue 13): a private subnet with
// neither a NAT gateway nor ECR's VPC endpoints cannot reach the registry, and the task stops
// with CannotPullContainerError ... i/o timeout. The server says what the subnet reaches
// (model::TaskAssignment::Eni::pulls_from, controlplane::PullReach). For the server's own
// registry the packets are real: the pull's connections are made inside the task's network
// namespace toward the server's front (network/egress.h: kServerPublicAddress, DNAT'd to the
// server only from an ENI with an outside address, dropped from any other), so the task's
// routes, egress table and security groups decide, and a dial without a way out times out.
// Through ECR's interface endpoints (ecr.dkr, ecr.api) the connections go to the endpoint's
// address in the task's VPC, which the node redirects to the server when the endpoint's
// groups admit the task (network/egress.h), and so do the ECR token and the secrets through
// theirs. Where the packets cannot yet say it (a public subnet's task without a public
// address, which pulls by a deliberate deviation; other registries; S3's gateway endpoint,
// whose blobs wharf's registry serves itself) the decision stands and the bytes use the
// node's connection (docs/ARCHITECTURE.md, "Image pulls through the task's network"). EC2
// tasks, awsvpc or not, pull on the node's network as the ECS agent does. Pure.
#pragma once

#include <chrono>
#include <functional>
#include <map>
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
// server's registry (`is_ecr`) from an ENI with an outside address (`way_out`), through its
// VPC's endpoints (`pulls_from` "ecr"), or with nothing to reach it by (`pulls_from` ""),
// whose dial then really times out.
bool PullsThroughTaskNetwork(std::string_view pulls_from, bool way_out, bool is_ecr);

// Where such a pull connects: the ecr.dkr endpoint's address (`dkr_endpoint`) when the VPC's
// endpoints reach ECR (`pulls_from` not ""; without S3's gateway endpoint the pull times out
// at the front instead, the layers being S3's on AWS), else "": the server's front.
std::string PullAddress(std::string_view pulls_from, const std::string& dkr_endpoint);

// How long such a dial waits (containerd's is longer, and retried 5 times).
inline constexpr std::chrono::milliseconds kTaskNetworkDialTimeout{2000};
inline constexpr int kTaskNetworkDialAttempts = 3;

// `base`, with every connection made in the task's namespace `netns_path` toward `address`
// (an interface endpoint's; "": the server's front) on 443, and the tag resolved at the
// registry on every pull: on Fargate a cached image still asks for its manifest (the node's
// content store keeps sharing the blobs it has). With `token_calls` (the task's execution
// role's calls, through its network: CallsThroughEni) the ECR token (GetAuthorizationToken)
// is fetched through them too, as `task_arn`, in the registry's region (`region` for the
// server's own name); `token_calls` must outlive the options.
PullOptions ThroughTaskNetwork(const PullOptions& base, const std::string& netns_path, const std::string& address = "",
                               ExecutionRoleCalls* token_calls = nullptr, const std::string& task_arn = "",
                               const std::string& region = "");

// The registry credentials an ECR GetAuthorizationToken answer holds.
Result<RegistryCredentials> EcrCredentialsOf(const boost::json::object& token_answer);

// The execution role's calls (secrets from Secrets Manager and SSM, the ECR token) of a
// Fargate task in a VPC. A service with an interface endpoint in its VPC (`via_endpoint`: the
// calls made from the task's namespace toward the endpoint's address, by the endpoint's short
// name: "ssm", "secretsmanager", "ecr.api") goes there, way out or not, as its private DNS
// name resolves there; the endpoint's groups and the task's decide (network/egress.h). Any
// other service goes through `in_network` (the same calls toward the server's front), which
// the egress table lets out only with a way out; without one given (`in_network` null) a
// service its VPC's endpoints serve (`endpoint_services`) is called on `inner`, the node's
// connection, and any other fails. A dial dropped on the way, or a service reached by nothing,
// fails as a dial that timed out, which FetchTaskSecrets words as ResourceInitializationError.
// Thread-compatible; what it is given must outlive it.
class CallsThroughEni final : public ExecutionRoleCalls {
 public:
  CallsThroughEni(ExecutionRoleCalls& inner, std::vector<std::string> endpoint_services,
                  ExecutionRoleCalls* in_network = nullptr,
                  std::map<std::string, ExecutionRoleCalls*, std::less<>> via_endpoint = {})
      : inner_(inner), services_(std::move(endpoint_services)), in_network_(in_network),
        via_endpoint_(std::move(via_endpoint)) {}
  Result<boost::json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region) override;

 private:
  ExecutionRoleCalls& inner_;
  const std::vector<std::string> services_;
  ExecutionRoleCalls* const in_network_;
  const std::map<std::string, ExecutionRoleCalls*, std::less<>> via_endpoint_;
};

// The endpoint short name of a signing service name ("ecr" -> "ecr.api"; others unchanged).
std::string_view EndpointServiceOf(std::string_view signing_service);

}  // namespace wharf::agent
