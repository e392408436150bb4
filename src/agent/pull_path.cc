#include "agent/pull_path.h"

#include <algorithm>

#include "agent/network/egress.h"

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
  return is_ecr && (way_out || pulls_from.empty());
}

PullOptions ThroughTaskNetwork(const PullOptions& base, const std::string& netns_path) {
  PullOptions pull = base;
  pull.endpoint = [netns_path](const std::string&) -> Result<RegistryEndpoint> {
    RegistryEndpoint e{"http", std::string(kServerPublicAddress), std::to_string(kServerPublicPort)};
    e.netns_path = netns_path;
    e.connect_timeout = kTaskNetworkDialTimeout;
    return e;
  };
  pull.policy = PullPolicy::kAlways;
  return pull;
}

Result<boost::json::object> CallsThroughEni::Call(const std::string& task_arn, std::string_view service,
                                                  std::string_view target, const boost::json::object& input,
                                                  std::string_view region) {
  if (std::find(services_.begin(), services_.end(), service) != services_.end()) {
    return inner_.Call(task_arn, service, target, input, region);
  }
  if (in_network_) {
    // Retried as the pull is (task_runner.cc): the node's tables may lag a reused address.
    for (int attempt = 0; attempt < kTaskNetworkDialAttempts; ++attempt) {
      auto answer = in_network_->Call(task_arn, service, target, input, region);
      bool dropped = !answer.ok() && answer.status().IsUnavailable() &&
                     answer.status().message().find("connect ") != std::string::npos;
      if (!dropped) return answer;
    }
  }
  std::string host = std::string(service) + "." + std::string(region) + ".amazonaws.com";
  return Status::Unavailable("exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: "
                             ", request send failed, Post \"https://" + host + "/\": dial tcp " + host +
                             ":443: i/o timeout");
}

}  // namespace wharf::agent
