// AWS::ApplicationAutoScaling::ScalableTarget (Ref and GetAtt Id: the id CloudFormation
// gives it, "<ResourceId>|<ScalableDimension>|<ServiceNamespace>") and
// AWS::ApplicationAutoScaling::ScalingPolicy (Ref and GetAtt Arn: the policy ARN), as the AWS
// resource reference documents them. A target's properties are RegisterScalableTarget's plus
// ScheduledActions (each a PutScheduledAction on the target); a policy's are PutScalingPolicy's,
// its target named either by ScalingTargetId (a target's Ref) or by ResourceId,
// ScalableDimension and ServiceNamespace. A change to what names a target or a policy
// replaces it; any other change registers or puts it again.
#include <ctime>
#include <set>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

constexpr const char* kService = "application-autoscaling";

// The three members that name a scalable target.
struct TargetKey {
  std::string resource_id, dimension, service_namespace;
  std::string Id() const { return resource_id + "|" + dimension + "|" + service_namespace; }
  void AddTo(json::object& in) const {
    in["ServiceNamespace"] = service_namespace;
    in["ResourceId"] = resource_id;
    in["ScalableDimension"] = dimension;
  }
};

TargetKey KeyOf(const json::object& p) {
  return {GetString(p, "ResourceId"), GetString(p, "ScalableDimension"), GetString(p, "ServiceNamespace")};
}

// A template's timestamp ("2026-12-24T00:00:00Z", as CloudFormation takes StartTime and EndTime)
// as the epoch seconds the JSON protocol carries.
Result<json::value> EpochOf(const json::value& v, std::string_view where) {
  if (v.is_number()) return v;
  if (!v.is_string()) return Status::InvalidArgument("Properties validation failed: #/" + std::string(where) + ": expected type: String");
  std::string text(v.get_string());
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (!end) return Status::InvalidArgument("Properties validation failed: #/" + std::string(where) + ": invalid timestamp " + text);
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (*end && std::string_view(end) != "Z" && std::string_view(end) != "+00:00") {
    return Status::InvalidArgument("Properties validation failed: #/" + std::string(where) + ": use a UTC timestamp, not " + text);
  }
  return json::value(static_cast<int64_t>(timegm(&tm)));
}

// ---- ScalableTarget ----

// PutScheduledAction for each of the template's ScheduledActions; DeleteScheduledAction for
// those of `before` no longer named.
Status PutScheduledActions(const Caller& c, const TargetKey& key, const json::object& p, const json::object& before) {
  std::set<std::string> kept;
  const json::value* actions = p.if_contains("ScheduledActions");
  if (actions && !actions->is_array()) return Status::InvalidArgument("Properties validation failed: #/ScheduledActions: expected type: JSONArray");
  if (actions) {
    for (size_t i = 0; i < actions->get_array().size(); ++i) {
      const json::value& a = actions->get_array()[i];
      std::string where = "ScheduledActions/" + std::to_string(i);
      if (!a.is_object()) return Status::InvalidArgument("Properties validation failed: #/" + where + ": expected type: JSONObject");
      ASSIGN_OR_RETURN(json::value input, ToInput(InputShape(kService, "PutScheduledAction"), a));
      json::object in = std::move(input.get_object());
      // ToInput keeps a timestamp as the template's text; the JSON protocol wants seconds.
      for (const char* t : {"StartTime", "EndTime"}) {
        if (const json::value* v = in.if_contains(t)) {
          ASSIGN_OR_RETURN(json::value epoch, EpochOf(*v, where + "/" + t));
          in[t] = std::move(epoch);
        }
      }
      key.AddTo(in);
      kept.insert(GetString(in, "ScheduledActionName"));
      RETURN_IF_ERROR(c.Call(kService, "PutScheduledAction", std::move(in)).status());
    }
  }
  if (const json::value* old = before.if_contains("ScheduledActions"); old && old->is_array()) {
    for (const auto& a : old->get_array()) {
      if (!a.is_object()) continue;
      std::string name = GetString(a.get_object(), "ScheduledActionName");
      if (name.empty() || kept.count(name)) continue;
      json::object in{{"ScheduledActionName", name}};
      key.AddTo(in);
      RETURN_IF_ERROR(OkOr(c.Try(kService, "DeleteScheduledAction", std::move(in)), {"ObjectNotFoundException"}));
    }
  }
  return Status::OK();
}

Result<ProvisionedResource> RegisterTarget(const Caller& c, const json::object& p, const json::object& before) {
  TargetKey key = KeyOf(p);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape(kService, "RegisterScalableTarget"), Without(p, {"ScheduledActions"})));
  RETURN_IF_ERROR(c.Call(kService, "RegisterScalableTarget", std::move(input.get_object())).status());
  c.Record(key.Id());
  RETURN_IF_ERROR(PutScheduledActions(c, key, p, before));
  return Made(key.Id(), {{"Id", key.Id()}});
}

Result<ProvisionedResource> CreateTarget(const Caller& c, std::string_view, const json::object& p) {
  for (const char* required : {"ResourceId", "ScalableDimension", "ServiceNamespace", "MinCapacity", "MaxCapacity"}) {
    if (!p.contains(required)) {
      return Status::InvalidArgument(std::string("Properties validation failed: #: required key [") + required + "] not found");
    }
  }
  return RegisterTarget(c, p, {});
}

Result<ProvisionedResource> UpdateTarget(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"ResourceId", "ScalableDimension", "ServiceNamespace"})) {
    return controlplane::ReplacementNeeded("ResourceId, ScalableDimension or ServiceNamespace changed");
  }
  return RegisterTarget(c, p, r.properties);
}

Status DeleteTarget(const Caller& c, const model::StackResource& r) {
  // Deregistering deletes the target's scheduled actions and policies with it, as on AWS.
  json::object in;
  KeyOf(r.properties).AddTo(in);
  return OkOr(c.Try(kService, "DeregisterScalableTarget", std::move(in)), {"ObjectNotFoundException"});
}

// ---- ScalingPolicy ----

// The target a policy's properties name: ScalingTargetId, or the three members (not both).
Result<TargetKey> PolicyTarget(const json::object& p) {
  std::string target_id = GetString(p, "ScalingTargetId");
  bool any_member = p.contains("ResourceId") || p.contains("ScalableDimension") || p.contains("ServiceNamespace");
  if (!target_id.empty()) {
    if (any_member) {
      return Status::InvalidArgument("Specify either ScalingTargetId or ResourceId, ScalableDimension and "
                                     "ServiceNamespace, not both");
    }
    size_t a = target_id.find('|');
    size_t b = a == std::string::npos ? a : target_id.find('|', a + 1);
    if (b == std::string::npos) return Status::InvalidArgument("Invalid ScalingTargetId " + target_id);
    return TargetKey{target_id.substr(0, a), target_id.substr(a + 1, b - a - 1), target_id.substr(b + 1)};
  }
  TargetKey key = KeyOf(p);
  if (key.resource_id.empty() || key.dimension.empty() || key.service_namespace.empty()) {
    return Status::InvalidArgument("Specify either ScalingTargetId or ResourceId, ScalableDimension and ServiceNamespace");
  }
  return key;
}

Result<ProvisionedResource> PutPolicy(const Caller& c, const json::object& p) {
  if (GetString(p, "PolicyName").empty() || GetString(p, "PolicyType").empty()) {
    return Status::InvalidArgument("Properties validation failed: #: required key [PolicyName, PolicyType] not found");
  }
  ASSIGN_OR_RETURN(TargetKey key, PolicyTarget(p));
  json::object props = Without(p, {"ScalingTargetId", "ResourceId", "ScalableDimension", "ServiceNamespace"});
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape(kService, "PutScalingPolicy"), props));
  json::object in = std::move(input.get_object());
  key.AddTo(in);
  ASSIGN_OR_RETURN(auto out, c.Call(kService, "PutScalingPolicy", std::move(in)));
  std::string arn = GetString(out, "PolicyARN");
  c.Record(arn);
  return Made(arn, {{"Arn", arn}});
}

Result<ProvisionedResource> CreatePolicy(const Caller& c, std::string_view, const json::object& p) { return PutPolicy(c, p); }

Result<ProvisionedResource> UpdatePolicy(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"PolicyName", "ScalingTargetId", "ResourceId", "ScalableDimension", "ServiceNamespace"})) {
    return controlplane::ReplacementNeeded("PolicyName or the scalable target changed");
  }
  return PutPolicy(c, p);
}

Status DeletePolicy(const Caller& c, const model::StackResource& r) {
  ASSIGN_OR_RETURN(TargetKey key, PolicyTarget(r.properties));
  json::object in{{"PolicyName", GetString(r.properties, "PolicyName")}};
  key.AddTo(in);
  return OkOr(c.Try(kService, "DeleteScalingPolicy", std::move(in)), {"ObjectNotFoundException"});
}

}  // namespace

void AddApplicationAutoScalingTypes(TypeTable& types) {
  types["AWS::ApplicationAutoScaling::ScalableTarget"] = {CreateTarget, UpdateTarget, DeleteTarget};
  types["AWS::ApplicationAutoScaling::ScalingPolicy"] = {CreatePolicy, UpdatePolicy, DeletePolicy};
}

}  // namespace wharf::api::cloudformation
