#include "model/scalable_target.h"

#include <vector>

namespace wharf::model {

std::optional<EcsServiceResource> ParseEcsServiceResourceId(std::string_view id) {
  constexpr std::string_view kPrefix = "service/";
  if (!id.starts_with(kPrefix)) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  size_t slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == id.size()) return std::nullopt;
  std::string_view service = id.substr(slash + 1);
  if (service.find('/') != std::string_view::npos) return std::nullopt;
  return EcsServiceResource{std::string(id.substr(0, slash)), std::string(service)};
}

boost::json::object Present(boost::json::object record) {
  std::vector<std::string> own;
  for (const auto& kv : record) {
    if (std::string_view(kv.key()).starts_with("wharf")) own.emplace_back(kv.key());
  }
  for (const auto& k : own) record.erase(k);
  return record;
}

}  // namespace wharf::model
