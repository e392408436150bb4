// AWS::CloudWatch::Alarm (Ref: the alarm name; GetAtt Arn), as the AWS resource reference
// documents it: its properties are PutMetricAlarm's; a change puts the alarm again (a new
// AlarmName replaces it).
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

Result<ProvisionedResource> PutAlarm(const Caller& c, const std::string& name, const json::object& p) {
  json::object in = Without(p, {"AlarmName"});
  in["AlarmName"] = name;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("cloudwatch", "PutMetricAlarm"), in));
  RETURN_IF_ERROR(c.Call("monitoring", "PutMetricAlarm", std::move(input.get_object())).status());
  return Made(name, {{"Arn", "arn:aws:cloudwatch:" + c.region + ":" + c.account_id + ":alarm:" + name}});
}

Result<ProvisionedResource> CreateAlarm(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "AlarmName");
  if (name.empty()) name = c.PhysicalName(id, 255);
  return PutAlarm(c, name, p);
}

Result<ProvisionedResource> UpdateAlarm(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"AlarmName"})) return controlplane::ReplacementNeeded("AlarmName changed");
  return PutAlarm(c, r.physical_id, p);
}

Status DeleteAlarm(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("monitoring", "DeleteAlarms", {{"AlarmNames", json::array{json::string(r.physical_id)}}}),
              {"ResourceNotFound"});
}

}  // namespace

void AddCloudWatchTypes(TypeTable& types) { types["AWS::CloudWatch::Alarm"] = {CreateAlarm, UpdateAlarm, DeleteAlarm}; }

}  // namespace wharf::api::cloudformation
