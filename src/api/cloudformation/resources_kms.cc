// AWS::KMS::Key (Ref: the key id; GetAtt Arn, KeyId) and AWS::KMS::Alias (Ref: the alias
// name). A key's description, state, rotation, policy and tags change in place; its spec,
// usage, origin and multi-Region flag replace it. Deleting a key schedules its deletion
// after PendingWindowInDays (30 by default), as CloudFormation does.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

// [{Key, Value}] as KMS's [{TagKey, TagValue}].
json::array KmsTags(const json::object& p) {
  json::array out;
  for (const auto& [k, v] : p.contains("Tags") ? TagMap(p.at("Tags")) : json::object()) {
    out.push_back(json::object{{"TagKey", k}, {"TagValue", v}});
  }
  return out;
}

bool Flag(const json::object& p, std::string_view name, bool otherwise) {
  const json::value* v = p.if_contains(name);
  if (!v) return otherwise;
  if (v->is_bool()) return v->get_bool();
  return v->is_string() && v->get_string() == "true";
}

Status ApplyKeyState(const Caller& c, const std::string& id, const json::object& p, const json::object* before) {
  bool enabled = Flag(p, "Enabled", true), rotation = Flag(p, "EnableKeyRotation", false);
  if (!before || Flag(*before, "Enabled", true) != enabled) {
    RETURN_IF_ERROR(c.Call("kms", enabled ? "EnableKey" : "DisableKey", {{"KeyId", id}}).status());
  }
  if ((!before && rotation) || (before && Flag(*before, "EnableKeyRotation", false) != rotation)) {
    json::object in{{"KeyId", id}};
    if (rotation && p.contains("RotationPeriodInDays")) {
      ASSIGN_OR_RETURN(json::value v, ToInput(InputShape("kms", "EnableKeyRotation"),
                                              json::object{{"RotationPeriodInDays", p.at("RotationPeriodInDays")}}));
      in["RotationPeriodInDays"] = v.get_object().at("RotationPeriodInDays");
    }
    RETURN_IF_ERROR(c.Call("kms", rotation ? "EnableKeyRotation" : "DisableKeyRotation", std::move(in)).status());
  }
  return Status::OK();
}

Result<ProvisionedResource> KeyMade(const std::string& id, const std::string& arn) {
  return Made(id, {{"Arn", arn}, {"KeyId", id}});
}

Result<ProvisionedResource> CreateKey(const Caller& c, std::string_view, const json::object& p) {
  json::object in = Without(p, {"KeyPolicy", "Tags", "Enabled", "EnableKeyRotation", "PendingWindowInDays",
                                "RotationPeriodInDays"});
  if (p.contains("KeyPolicy")) in["Policy"] = PolicyText(p.at("KeyPolicy"));
  if (auto tags = KmsTags(p); !tags.empty()) in["Tags"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("kms", "CreateKey"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("kms", "CreateKey", std::move(input.get_object())));
  const auto& meta = GetObject(out, "KeyMetadata");
  std::string id = GetString(meta, "KeyId");
  c.Record(id);
  RETURN_IF_ERROR(ApplyKeyState(c, id, p, nullptr));
  return KeyMade(id, GetString(meta, "Arn"));
}

Result<ProvisionedResource> UpdateKey(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"KeySpec", "KeyUsage", "Origin", "MultiRegion"})) {
    return controlplane::ReplacementNeeded("KeySpec, KeyUsage, Origin or MultiRegion changed");
  }
  const std::string& id = r.physical_id;
  if (AnyChanged(changed, {"Description"})) {
    RETURN_IF_ERROR(c.Call("kms", "UpdateKeyDescription", {{"KeyId", id}, {"Description", GetString(p, "Description")}}).status());
  }
  if (AnyChanged(changed, {"KeyPolicy"}) && p.contains("KeyPolicy")) {
    RETURN_IF_ERROR(c.Call("kms", "PutKeyPolicy", {{"KeyId", id}, {"PolicyName", "default"}, {"Policy", PolicyText(p.at("KeyPolicy"))}}).status());
  }
  RETURN_IF_ERROR(ApplyKeyState(c, id, p, &r.properties));
  if (AnyChanged(changed, {"Tags"})) {
    json::array keys;
    for (const auto& [k, v] : r.properties.contains("Tags") ? TagMap(r.properties.at("Tags")) : json::object()) {
      keys.push_back(json::string(k));
    }
    if (!keys.empty()) RETURN_IF_ERROR(c.Call("kms", "UntagResource", {{"KeyId", id}, {"TagKeys", std::move(keys)}}).status());
    if (auto tags = KmsTags(p); !tags.empty()) RETURN_IF_ERROR(c.Call("kms", "TagResource", {{"KeyId", id}, {"Tags", std::move(tags)}}).status());
  }
  return KeyMade(id, GetString(r.attributes, "Arn"));
}

Status DeleteKey(const Caller& c, const model::StackResource& r) {
  json::object in{{"KeyId", r.physical_id}};
  if (r.properties.contains("PendingWindowInDays")) {
    ASSIGN_OR_RETURN(json::value v, ToInput(InputShape("kms", "ScheduleKeyDeletion"),
                                            json::object{{"PendingWindowInDays", r.properties.at("PendingWindowInDays")}}));
    in["PendingWindowInDays"] = v.get_object().at("PendingWindowInDays");
  }
  // A key already pending deletion is KMSInvalidStateException: deleted as far as the stack goes.
  return OkOr(c.Try("kms", "ScheduleKeyDeletion", std::move(in)), {"NotFoundException", "KMSInvalidStateException"});
}

Result<ProvisionedResource> CreateAlias(const Caller& c, std::string_view, const json::object& p) {
  std::string name = GetString(p, "AliasName");
  RETURN_IF_ERROR(c.Call("kms", "CreateAlias", {{"AliasName", name}, {"TargetKeyId", GetString(p, "TargetKeyId")}}).status());
  return Made(name);
}

Result<ProvisionedResource> UpdateAlias(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"AliasName"})) return controlplane::ReplacementNeeded("AliasName changed");
  RETURN_IF_ERROR(c.Call("kms", "UpdateAlias", {{"AliasName", r.physical_id}, {"TargetKeyId", GetString(p, "TargetKeyId")}}).status());
  return Made(r.physical_id);
}

Status DeleteAlias(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("kms", "DeleteAlias", {{"AliasName", r.physical_id}}), {"NotFoundException"});
}

}  // namespace

void AddKmsTypes(TypeTable& types) {
  types["AWS::KMS::Key"] = {CreateKey, UpdateKey, DeleteKey};
  types["AWS::KMS::Alias"] = {CreateAlias, UpdateAlias, DeleteAlias};
}

}  // namespace wharf::api::cloudformation
