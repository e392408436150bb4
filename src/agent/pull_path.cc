#include "agent/pull_path.h"

#include <algorithm>

#include "agent/network/egress.h"
#include "base/crypto.h"
#include "model/json.h"

namespace wharf::agent {

std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr) {
  if (pulls_from == "any" || (pulls_from == "ecr" && is_ecr)) return "";
  std::string host = image.registry.substr(0, image.registry.rfind(':') == std::string::npos ? std::string::npos
                                                                                              : image.registry.rfind(':'));
  return "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " +
         image.ToString() + ": failed to do request: Head \"https://" + image.registry + "/v2/" + image.repository +
         "/manifests/" + image.reference + "\": dial tcp " + host + ":443: i/o timeout";
}

bool PullsThroughTaskNetwork(std::string_view pulls_from, bool way_out, bool is_ecr) {
  return is_ecr && (way_out || pulls_from != "any");
}

std::string PullAddress(std::string_view pulls_from, const std::string& dkr_endpoint) {
  return pulls_from.empty() ? "" : dkr_endpoint;
}

Result<RegistryCredentials> EcrCredentialsOf(const boost::json::object& token_answer) {
  const boost::json::array& data = GetArray(token_answer, "authorizationData");
  if (data.empty() || !data[0].is_object()) return Status::Unavailable("no ECR authorization data");
  auto decoded = Base64Decode(GetString(data[0].get_object(), "authorizationToken"));
  if (!decoded || decoded->find(':') == std::string::npos) return Status::Internal("bad ECR token");
  return RegistryCredentials{decoded->substr(0, decoded->find(':')), decoded->substr(decoded->find(':') + 1)};
}

namespace {

// The region of an ECR registry name, <account>.dkr.ecr.<region>.amazonaws.com; "" otherwise.
std::string EcrRegion(const std::string& registry) {
  static constexpr std::string_view kEcr = ".dkr.ecr.", kDomain = ".amazonaws.com";
  size_t ecr = registry.find(kEcr);
  if (ecr == std::string::npos || !registry.ends_with(kDomain)) return "";
  size_t start = ecr + kEcr.size(), end = registry.size() - kDomain.size();
  return end > start ? registry.substr(start, end - start) : "";
}

}  // namespace

PullOptions ThroughTaskNetwork(const PullOptions& base, const std::string& netns_path, const std::string& address,
                               ExecutionRoleCalls* token_calls, const std::string& task_arn, const std::string& region) {
  PullOptions pull = base;
  std::string host = address.empty() ? std::string(kServerPublicAddress) : address;
  pull.endpoint = [netns_path, host](const std::string&) -> Result<RegistryEndpoint> {
    RegistryEndpoint e{"http", host, std::to_string(kEndpointPort)};
    e.netns_path = netns_path;
    e.connect_timeout = kTaskNetworkDialTimeout;
    return e;
  };
  if (token_calls && base.is_ecr) {
    pull.credentials = [token_calls, task_arn, region, is_ecr = base.is_ecr](
                           const std::string& registry) -> Result<std::optional<RegistryCredentials>> {
      if (!is_ecr(registry)) return std::optional<RegistryCredentials>();
      std::string in_region = EcrRegion(registry);
      ASSIGN_OR_RETURN(boost::json::object out,
                       token_calls->Call(task_arn, "ecr", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
                                         boost::json::object{}, in_region.empty() ? region : in_region));
      ASSIGN_OR_RETURN(RegistryCredentials credentials, EcrCredentialsOf(out));
      return std::optional<RegistryCredentials>(std::move(credentials));
    };
  }
  pull.policy = PullPolicy::kAlways;
  return pull;
}

std::string_view EndpointServiceOf(std::string_view signing_service) {
  return signing_service == "ecr" ? std::string_view("ecr.api") : signing_service;
}

namespace {

// A call through the task's network, retried as the pull is (task_runner.cc): the node's
// tables may lag a reused address. nullopt when every dial was dropped.
std::optional<Result<boost::json::object>> CallInNetwork(ExecutionRoleCalls& calls, const std::string& task_arn,
                                                         std::string_view service, std::string_view target,
                                                         const boost::json::object& input, std::string_view region) {
  for (int attempt = 0; attempt < kTaskNetworkDialAttempts; ++attempt) {
    auto answer = calls.Call(task_arn, service, target, input, region);
    bool dropped = !answer.ok() && answer.status().IsUnavailable() &&
                   answer.status().message().find("connect ") != std::string::npos;
    if (!dropped) return answer;
  }
  return std::nullopt;
}

}  // namespace

Result<boost::json::object> CallsThroughEni::Call(const std::string& task_arn, std::string_view service,
                                                  std::string_view target, const boost::json::object& input,
                                                  std::string_view region) {
  if (auto via = via_endpoint_.find(EndpointServiceOf(service)); via != via_endpoint_.end()) {
    if (auto answer = CallInNetwork(*via->second, task_arn, service, target, input, region)) return *answer;
  } else if (in_network_) {
    if (auto answer = CallInNetwork(*in_network_, task_arn, service, target, input, region)) return *answer;
  } else if (std::find(services_.begin(), services_.end(), EndpointServiceOf(service)) != services_.end()) {
    return inner_.Call(task_arn, service, target, input, region);
  }
  // The host the SDK dials: ECR's API is api.ecr.<region>, the others <service>.<region>.
  std::string host = (service == "ecr" ? std::string("api.ecr") : std::string(service)) + "." + std::string(region) +
                     ".amazonaws.com";
  return Status::Unavailable("exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: "
                             ", request send failed, Post \"https://" + host + "/\": dial tcp " + host +
                             ":443: i/o timeout");
}

}  // namespace wharf::agent
