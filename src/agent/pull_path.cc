#include "agent/pull_path.h"

#include <algorithm>

namespace wharf::agent {

std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr) {
  if (pulls_from == "any" || (pulls_from == "ecr" && is_ecr)) return "";
  std::string host = image.registry.substr(0, image.registry.rfind(':') == std::string::npos ? std::string::npos
                                                                                              : image.registry.rfind(':'));
  return "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " +
         image.ToString() + ": failed to do request: Head \"https://" + image.registry + "/v2/" + image.repository +
         "/manifests/" + image.reference + "\": dial tcp " + host + ":443: i/o timeout";
}

Result<boost::json::object> CallsThroughEni::Call(const std::string& task_arn, std::string_view service,
                                                  std::string_view target, const boost::json::object& input,
                                                  std::string_view region) {
  if (std::find(services_.begin(), services_.end(), service) != services_.end()) {
    return inner_.Call(task_arn, service, target, input, region);
  }
  std::string host = std::string(service) + "." + std::string(region) + ".amazonaws.com";
  return Status::Unavailable("exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: "
                             ", request send failed, Post \"https://" + host + "/\": dial tcp " + host +
                             ":443: i/o timeout");
}

}  // namespace wharf::agent
