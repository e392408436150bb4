#include "api/service_model.h"

#include <algorithm>
#include <string>

namespace wharf::api {

using model_data::Str;

const Shape::Member* Shape::FindMember(std::string_view n) const {
  for (const Member& m : members()) {
    if (m.name() == n) return &m;
  }
  return nullptr;
}

Result<std::unique_ptr<ServiceModel>> ServiceModel::LoadEmbedded(std::string_view name) {
  for (uint32_t i = 0; i < model_data::kModelCount; ++i) {
    if (Str(model_data::kModels[i].name) == name) return std::make_unique<ServiceModel>(model_data::kModels[i]);
  }
  return Status::NotFound("no embedded model '" + std::string(name) + "'");
}

// Both runs are sorted by name (tools/model_compiler.cc).
const Operation* ServiceModel::FindOperation(std::string_view name) const {
  const Operation* first = model_data::kOperations + data_.operations.first;
  const Operation* last = first + data_.operations.count;
  auto it = std::lower_bound(first, last, name, [](const Operation& op, std::string_view n) { return op.name() < n; });
  return it != last && it->name() == name ? it : nullptr;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  const Shape* first = model_data::kShapes + data_.shapes.first;
  const Shape* last = first + data_.shapes.count;
  auto it = std::lower_bound(first, last, name, [](const Shape& s, std::string_view n) { return s.name() < n; });
  return it != last && it->name() == name ? it : nullptr;
}

}  // namespace wharf::api
