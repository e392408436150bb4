#include "api/cloudformation/resource_types.h"

#include <boost/json/serialize.hpp>
#include <set>

#include "model/json.h"

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
    AddVpcTypes(*t);
    AddVpcGatewayTypes(*t);
    AddIamUserTypes(*t);
    AddKmsTypes(*t);
    AddSecretsManagerTypes(*t);
    AddSsmTypes(*t);
    AddServiceDiscoveryTypes(*t);
    AddCloudWatchTypes(*t);
    AddApplicationAutoScalingTypes(*t);
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

Status RefuseProperties(const json::object& properties, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (properties.contains(n)) return Status::InvalidArgument(std::string("wharf does not support ") + n + " yet");
  }
  return Status::OK();
}

std::string PolicyText(const json::value& document) {
  return document.is_string() ? std::string(document.get_string()) : json::serialize(document);
}

json::array TagSpecifications(const json::object& properties, std::string_view resource_type) {
  const json::value* tags = properties.if_contains("Tags");
  if (!tags || !tags->is_array() || tags->get_array().empty()) return {};
  return json::array{json::object{{"ResourceType", resource_type}, {"Tags", *tags}}};
}

Status RetagEc2(const Caller& c, const std::string& id, const json::object& before, const json::object& after) {
  json::object old_tags = before.contains("Tags") ? TagMap(before.at("Tags")) : json::object();
  json::object new_tags = after.contains("Tags") ? TagMap(after.at("Tags")) : json::object();
  json::array removed, added;
  for (const auto& [k, v] : old_tags) {
    if (!new_tags.contains(k)) removed.push_back(json::object{{"Key", k}});
  }
  for (const auto& [k, v] : new_tags) {
    if (!old_tags.contains(k) || old_tags.at(k) != v) added.push_back(json::object{{"Key", k}, {"Value", v}});
  }
  json::array resources{json::string(id)};
  if (!removed.empty()) {
    RETURN_IF_ERROR(c.Call("ec2", "DeleteTags", {{"Resources", resources}, {"Tags", std::move(removed)}}).status());
  }
  if (!added.empty()) {
    RETURN_IF_ERROR(c.Call("ec2", "CreateTags", {{"Resources", resources}, {"Tags", std::move(added)}}).status());
  }
  return Status::OK();
}

Status DeleteWhenFree(const Caller& c, std::string_view service, std::string_view operation, json::object input,
                      std::initializer_list<std::string_view> gone, std::initializer_list<std::string_view> busy) {
  std::string last;
  auto in_list = [](std::initializer_list<std::string_view> codes, const std::string& code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  };
  Status polled = PollUntil(c, 120, 500, [&]() -> Result<bool> {
    Outcome out = c.Try(service, operation, input);
    if (out.ok() || in_list(gone, out.error().code)) return true;
    if (!in_list(busy, out.error().code)) return Status::InvalidArgument(out.error().message);
    last = out.error().message;
    return false;
  }, "");
  return polled.IsUnavailable() ? Status::InvalidArgument(last.empty() ? polled.message() : last) : polled;
}

Status OkOr(const Outcome& out, std::initializer_list<std::string_view> ok_codes) {
  if (out.ok() || std::find(ok_codes.begin(), ok_codes.end(), out.error().code) != ok_codes.end()) return Status::OK();
  return Status::InvalidArgument(out.error().message);
}

}  // namespace wharf::api::cloudformation
