// AWS::Logs::LogGroup. Ref: the log group name; Fn::GetAtt Arn.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

ProvisionedResource LogGroup(const Caller& c, const std::string& name) {
  return Made(name, {{"Arn", "arn:aws:logs:" + c.region + ":" + c.account_id + ":log-group:" + name + ":*"}});
}

Status ApplyRetention(const Caller& c, const std::string& name, const json::object& p) {
  if (p.contains("RetentionInDays")) {
    ASSIGN_OR_RETURN(json::value days, ToInput(InputShape("logs", "PutRetentionPolicy"),
                                               json::object{{"logGroupName", name}, {"retentionInDays", p.at("RetentionInDays")}}));
    return c.Call("logs", "PutRetentionPolicy", std::move(days.get_object())).status();
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateLogGroup(const Caller& c, std::string_view id, const json::object& p) {
  for (const char* unsupported : {"DataProtectionPolicy", "FieldIndexPolicies", "ResourcePolicyDocument"}) {
    if (p.contains(unsupported)) return Status::InvalidArgument(std::string("wharf does not support ") + unsupported + " yet");
  }
  std::string name = GetString(p, "LogGroupName");
  if (name.empty()) name = c.PhysicalName(id, 512);
  json::object in{{"logGroupName", name}};
  if (p.contains("KmsKeyId")) in["kmsKeyId"] = p.at("KmsKeyId");
  if (p.contains("LogGroupClass")) in["logGroupClass"] = p.at("LogGroupClass");
  if (p.contains("Tags")) in["tags"] = TagMap(p.at("Tags"));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("logs", "CreateLogGroup"), in));
  RETURN_IF_ERROR(c.Call("logs", "CreateLogGroup", std::move(input.get_object())).status());
  c.Record(name);
  RETURN_IF_ERROR(ApplyRetention(c, name, p));
  return LogGroup(c, name);
}

Result<ProvisionedResource> UpdateLogGroup(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"LogGroupName", "KmsKeyId", "LogGroupClass", "Tags", "DataProtectionPolicy"})) {
    return controlplane::ReplacementNeeded("LogGroupName, KmsKeyId, LogGroupClass or Tags changed");
  }
  if (p.contains("RetentionInDays")) {
    RETURN_IF_ERROR(ApplyRetention(c, r.physical_id, p));
  } else {
    RETURN_IF_ERROR(c.Call("logs", "DeleteRetentionPolicy", {{"logGroupName", r.physical_id}}).status());
  }
  return LogGroup(c, r.physical_id);
}

Status DeleteLogGroup(const Caller& c, const model::StackResource& r) {
  Outcome out = c.Try("logs", "DeleteLogGroup", {{"logGroupName", r.physical_id}});
  if (out.ok() || out.error().code == "ResourceNotFoundException") return Status::OK();
  return Status::InvalidArgument(out.error().message);
}

}  // namespace

void AddLogsTypes(TypeTable& types) { types["AWS::Logs::LogGroup"] = {CreateLogGroup, UpdateLogGroup, DeleteLogGroup}; }

}  // namespace wharf::api::cloudformation
