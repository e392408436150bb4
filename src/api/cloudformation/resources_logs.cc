// AWS::Logs::LogGroup (Ref: the log group name; Fn::GetAtt Arn), AWS::Logs::LogStream (Ref:
// the stream name; every property replaces it) and AWS::Logs::MetricFilter (Ref: the filter
// name; FilterName and LogGroupName replace it, the rest is PutMetricFilter again, in place).
// They go through CloudWatch Logs' own operations, so a bad filter pattern fails the resource
// with the message PutMetricFilter gives.
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

// ---- LogStream ----

Result<ProvisionedResource> CreateLogStream(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "LogStreamName");
  if (name.empty()) name = c.PhysicalName(id, 512);
  json::object in{{"logGroupName", GetString(p, "LogGroupName")}, {"logStreamName", name}};
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("logs", "CreateLogStream"), in));
  RETURN_IF_ERROR(c.Call("logs", "CreateLogStream", std::move(input.get_object())).status());
  return Made(name);
}

Status DeleteLogStream(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("logs", "DeleteLogStream",
                    {{"logGroupName", GetString(r.properties, "LogGroupName")}, {"logStreamName", r.physical_id}}),
              {"ResourceNotFoundException"});
}

// ---- MetricFilter ----

// The template's MetricTransformations as PutMetricFilter's (Dimensions: [{Key, Value}] there,
// a map here); members the API does not know fail as "Encountered unsupported property".
Result<json::array> Transformations(const json::value& listed) {
  json::array out;
  if (!listed.is_array()) return Status::InvalidArgument("Value of property MetricTransformations must be of type List");
  for (const auto& item : listed.get_array()) {
    if (!item.is_object()) return Status::InvalidArgument("Value of property MetricTransformations must be a list of objects");
    json::object t = item.get_object();
    if (const json::value* dims = t.if_contains("Dimensions")) {
      json::object map;
      if (dims->is_array()) {
        for (const auto& d : dims->get_array()) {
          if (!d.is_object()) continue;
          map[GetString(d.get_object(), "Key")] = GetString(d.get_object(), "Value");
        }
      }
      t["Dimensions"] = std::move(map);
    }
    out.push_back(std::move(t));
  }
  return out;
}

Status PutMetricFilter(const Caller& c, const std::string& name, const json::object& p) {
  json::object props = Without(p, {"MetricTransformations", "FilterName"});
  props["FilterName"] = name;
  ASSIGN_OR_RETURN(props["MetricTransformations"], Transformations(p.contains("MetricTransformations")
                                                                        ? p.at("MetricTransformations")
                                                                        : json::value(json::array())));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("logs", "PutMetricFilter"), props));
  return c.Call("logs", "PutMetricFilter", std::move(input.get_object())).status();
}

Result<ProvisionedResource> CreateMetricFilter(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "FilterName");
  if (name.empty()) name = c.PhysicalName(id, 512);
  RETURN_IF_ERROR(PutMetricFilter(c, name, p));
  return Made(name);
}

Result<ProvisionedResource> UpdateMetricFilter(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"FilterName", "LogGroupName"})) {
    return controlplane::ReplacementNeeded("FilterName or LogGroupName changed");
  }
  // PutMetricFilter of an existing name replaces its pattern and transformation.
  RETURN_IF_ERROR(PutMetricFilter(c, r.physical_id, p));
  return Made(r.physical_id);
}

Status DeleteMetricFilter(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("logs", "DeleteMetricFilter",
                    {{"logGroupName", GetString(r.properties, "LogGroupName")}, {"filterName", r.physical_id}}),
              {"ResourceNotFoundException"});
}

}  // namespace

void AddLogsTypes(TypeTable& types) {
  types["AWS::Logs::LogGroup"] = {CreateLogGroup, UpdateLogGroup, DeleteLogGroup};
  types["AWS::Logs::LogStream"] = {CreateLogStream, nullptr, DeleteLogStream};
  types["AWS::Logs::MetricFilter"] = {CreateMetricFilter, UpdateMetricFilter, DeleteMetricFilter};
}

}  // namespace wharf::api::cloudformation
