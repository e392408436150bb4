#include "agent/pull_path.h"

namespace wharf::agent {

std::string UnreachedRegistryReason(std::string_view pulls_from, const ImageReference& image, bool is_ecr) {
  if (pulls_from == "any" || (pulls_from == "ecr" && is_ecr)) return "";
  std::string host = image.registry.substr(0, image.registry.rfind(':') == std::string::npos ? std::string::npos
                                                                                              : image.registry.rfind(':'));
  return "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " +
         image.ToString() + ": failed to do request: Head \"https://" + image.registry + "/v2/" + image.repository +
         "/manifests/" + image.reference + "\": dial tcp " + host + ":443: i/o timeout";
}

}  // namespace wharf::agent
