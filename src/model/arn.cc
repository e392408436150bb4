#include "model/arn.h"

namespace wharf::model {

std::string Arn(std::string_view service, const ArnScope& scope, std::string_view resource) {
  std::string arn = "arn:aws:";
  arn.append(service).append(":").append(scope.region).append(":").append(scope.account_id).append(":");
  arn.append(resource);
  return arn;
}

std::string ShortId(std::string_view arn_or_id) {
  size_t slash = arn_or_id.rfind('/');
  return std::string(slash == std::string_view::npos ? arn_or_id : arn_or_id.substr(slash + 1));
}

std::string ClusterName(std::string_view name_or_arn) {
  if (name_or_arn.empty()) return "default";
  if (name_or_arn.substr(0, 8) == "arn:aws:") {
    size_t slash = name_or_arn.find(":cluster/");
    if (slash != std::string_view::npos) return std::string(name_or_arn.substr(slash + 9));
  }
  return std::string(name_or_arn);
}

std::string TargetGroupName(std::string_view arn) {
  size_t at = arn.find(":targetgroup/");
  if (at == std::string_view::npos) return std::string(arn);
  std::string_view rest = arn.substr(at + std::string_view(":targetgroup/").size());
  return std::string(rest.substr(0, rest.find('/')));
}

}  // namespace wharf::model
