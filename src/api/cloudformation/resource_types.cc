#include "api/cloudformation/resource_types.h"

#include <set>

namespace wharf::api::cloudformation {
namespace json = boost::json;

const std::map<std::string, ResourceType, std::less<>>& ResourceTypes() {
  static const auto* types = [] {
    auto* t = new TypeTable();
    AddLogsTypes(*t);
    AddEcsTypes(*t);
    AddElbv2Types(*t);
    AddEc2Types(*t);
    AddIamTypes(*t);
    AddEcrTypes(*t);
    return t;
  }();
  return *types;
}

json::object Without(const json::object& properties, std::initializer_list<const char*> names) {
  json::object out = properties;
  for (const char* n : names) out.erase(n);
  return out;
}

controlplane::ProvisionedResource Made(std::string ref, json::object attributes) {
  controlplane::ProvisionedResource r;
  r.physical_id = ref;
  r.ref = json::string(ref);
  r.attributes = std::move(attributes);
  return r;
}

std::vector<std::string> Changed(const json::object& before, const json::object& next) {
  std::set<std::string> names;
  for (const auto& [k, v] : before) {
    if (!next.contains(k) || next.at(k) != v) names.insert(std::string(k));
  }
  for (const auto& [k, v] : next) {
    if (!before.contains(k)) names.insert(std::string(k));
  }
  return {names.begin(), names.end()};
}

bool AnyChanged(const std::vector<std::string>& changed, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (std::find(changed.begin(), changed.end(), n) != changed.end()) return true;
  }
  return false;
}

json::object TagMap(const json::value& tags) {
  json::object out;
  if (!tags.is_array()) return out;
  for (const auto& t : tags.get_array()) {
    if (!t.is_object()) continue;
    const auto& o = t.get_object();
    const json::value* k = o.if_contains("Key");
    const json::value* v = o.if_contains("Value");
    if (k && k->is_string()) out[k->get_string()] = v && v->is_string() ? v->get_string() : "";
  }
  return out;
}

Status PollUntil(const Caller& caller, int attempts, int interval_ms, const std::function<Result<bool>()>& done,
                 const std::string& timeout_message) {
  for (int i = 0; i < attempts; ++i) {
    if (caller.stopping()) return Status::Unavailable("the server is stopping");
    ASSIGN_OR_RETURN(bool finished, done());
    if (finished) return Status::OK();
    caller.Pause(interval_ms);
  }
  return Status::Unavailable(timeout_message);
}

}  // namespace wharf::api::cloudformation
