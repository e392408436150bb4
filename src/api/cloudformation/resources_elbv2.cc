// AWS::ElasticLoadBalancingV2::{TargetGroup, LoadBalancer, Listener, ListenerRule}. Ref is the
// ARN of each; Fn::GetAtt as the resource reference lists (DNSName, LoadBalancerFullName,
// TargetGroupFullName, ListenerArn, RuleArn, ...).
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

constexpr const char* kElb = "elasticloadbalancing";

// "arn:...:targetgroup/name/id" -> "targetgroup/name/id" (the *FullName attributes drop the
// leading kind for load balancers: "app/name/id").
std::string ResourcePart(const std::string& arn) {
  size_t colon = arn.rfind(':');
  return colon == std::string::npos ? arn : arn.substr(colon + 1);
}

Status Ignorable(const Outcome& out, std::initializer_list<const char*> not_found) {
  if (out.ok()) return Status::OK();
  for (const char* code : not_found) {
    if (out.error().code == code) return Status::OK();
  }
  return Status::InvalidArgument(out.error().message);
}

// ---- TargetGroup ----

Result<ProvisionedResource> DescribeTargetGroup(const Caller& c, const std::string& arn) {
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "DescribeTargetGroups", {{"TargetGroupArns", json::array{json::string(arn)}}}));
  const auto& groups = GetArray(out, "TargetGroups");
  if (groups.empty() || !groups[0].is_object()) return Status::NotFound("target group " + arn + " not found");
  const auto& g = groups[0].get_object();
  return Made(arn, {{"TargetGroupArn", arn},
                    {"TargetGroupName", GetString(g, "TargetGroupName")},
                    {"TargetGroupFullName", ResourcePart(arn)},
                    {"LoadBalancerArns", GetArray(g, "LoadBalancerArns")}});
}

Status TargetGroupExtras(const Caller& c, const std::string& arn, const json::object& p) {
  if (const auto* attributes = p.if_contains("TargetGroupAttributes"); attributes && attributes->is_array()) {
    ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("elbv2", "ModifyTargetGroupAttributes"),
                                             json::object{{"TargetGroupArn", arn}, {"Attributes", *attributes}}));
    RETURN_IF_ERROR(c.Call(kElb, "ModifyTargetGroupAttributes", std::move(in.get_object())).status());
  }
  if (const auto* targets = p.if_contains("Targets"); targets && targets->is_array() && !targets->get_array().empty()) {
    ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("elbv2", "RegisterTargets"),
                                             json::object{{"TargetGroupArn", arn}, {"Targets", *targets}}));
    RETURN_IF_ERROR(c.Call(kElb, "RegisterTargets", std::move(in.get_object())).status());
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateTargetGroup(const Caller& c, std::string_view id, const json::object& p) {
  json::object props = Without(p, {"TargetGroupAttributes", "Targets"});
  if (GetString(props, "Name").empty()) props["Name"] = c.PhysicalName(id, 32);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "CreateTargetGroup"), props));
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "CreateTargetGroup", std::move(input.get_object())));
  const auto& groups = GetArray(out, "TargetGroups");
  std::string arn = groups.empty() || !groups[0].is_object() ? "" : GetString(groups[0].get_object(), "TargetGroupArn");
  c.Record(arn);
  RETURN_IF_ERROR(TargetGroupExtras(c, arn, p));
  return DescribeTargetGroup(c, arn);
}

Result<ProvisionedResource> UpdateTargetGroup(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId", "IpAddressType", "Tags"})) {
    return controlplane::ReplacementNeeded("Name, Port, Protocol, TargetType or VpcId changed");
  }
  json::object props = Without(p, {"TargetGroupAttributes", "Targets"});
  props["TargetGroupArn"] = r.physical_id;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "ModifyTargetGroup"), props));
  RETURN_IF_ERROR(c.Call(kElb, "ModifyTargetGroup", std::move(input.get_object())).status());
  RETURN_IF_ERROR(TargetGroupExtras(c, r.physical_id, p));
  return DescribeTargetGroup(c, r.physical_id);
}

Status DeleteTargetGroup(const Caller& c, const model::StackResource& r) {
  return Ignorable(c.Try(kElb, "DeleteTargetGroup", {{"TargetGroupArn", r.physical_id}}), {"TargetGroupNotFound"});
}

// ---- LoadBalancer ----

Result<ProvisionedResource> DescribeLoadBalancer(const Caller& c, const std::string& arn) {
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "DescribeLoadBalancers", {{"LoadBalancerArns", json::array{json::string(arn)}}}));
  const auto& lbs = GetArray(out, "LoadBalancers");
  if (lbs.empty() || !lbs[0].is_object()) return Status::NotFound("load balancer " + arn + " not found");
  const auto& lb = lbs[0].get_object();
  std::string part = ResourcePart(arn);  // loadbalancer/app/name/id
  return Made(arn, {{"LoadBalancerArn", arn},
                    {"DNSName", GetString(lb, "DNSName")},
                    {"CanonicalHostedZoneID", GetString(lb, "CanonicalHostedZoneId")},
                    {"LoadBalancerName", GetString(lb, "LoadBalancerName")},
                    {"LoadBalancerFullName", part.substr(part.find('/') + 1)},
                    {"SecurityGroups", GetArray(lb, "SecurityGroups")}});
}

Status LoadBalancerAttributes(const Caller& c, const std::string& arn, const json::object& p) {
  if (const auto* attributes = p.if_contains("LoadBalancerAttributes"); attributes && attributes->is_array()) {
    ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("elbv2", "ModifyLoadBalancerAttributes"),
                                             json::object{{"LoadBalancerArn", arn}, {"Attributes", *attributes}}));
    RETURN_IF_ERROR(c.Call(kElb, "ModifyLoadBalancerAttributes", std::move(in.get_object())).status());
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateLoadBalancer(const Caller& c, std::string_view id, const json::object& p) {
  json::object props = Without(p, {"LoadBalancerAttributes"});
  if (GetString(props, "Name").empty()) props["Name"] = c.PhysicalName(id, 32);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "CreateLoadBalancer"), props));
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "CreateLoadBalancer", std::move(input.get_object())));
  const auto& lbs = GetArray(out, "LoadBalancers");
  std::string arn = lbs.empty() || !lbs[0].is_object() ? "" : GetString(lbs[0].get_object(), "LoadBalancerArn");
  c.Record(arn);
  RETURN_IF_ERROR(LoadBalancerAttributes(c, arn, p));
  // CloudFormation waits for the load balancer to be active.
  RETURN_IF_ERROR(PollUntil(c, 600, 500, [&]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto d, c.Call(kElb, "DescribeLoadBalancers", {{"LoadBalancerArns", json::array{json::string(arn)}}}));
    const auto& found = GetArray(d, "LoadBalancers");
    if (found.empty() || !found[0].is_object()) return false;
    std::string state = GetString(GetObject(found[0].get_object(), "State"), "Code");
    if (state == "failed") return Status::InvalidArgument("Load balancer " + arn + " failed to become active");
    return state == "active";
  }, "Load balancer " + arn + " did not become active"));
  return DescribeLoadBalancer(c, arn);
}

Result<ProvisionedResource> UpdateLoadBalancer(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name", "Scheme", "Type", "Tags", "SubnetMappings"})) {
    return controlplane::ReplacementNeeded("Name, Scheme, Type or SubnetMappings changed");
  }
  if (AnyChanged(changed, {"SecurityGroups"})) {
    RETURN_IF_ERROR(c.Call(kElb, "SetSecurityGroups", {{"LoadBalancerArn", r.physical_id},
                                                      {"SecurityGroups", p.contains("SecurityGroups") ? p.at("SecurityGroups") : json::array()}})
                        .status());
  }
  if (AnyChanged(changed, {"Subnets"}) && p.contains("Subnets")) {
    RETURN_IF_ERROR(c.Call(kElb, "SetSubnets", {{"LoadBalancerArn", r.physical_id}, {"Subnets", p.at("Subnets")}}).status());
  }
  if (AnyChanged(changed, {"IpAddressType"}) && p.contains("IpAddressType")) {
    RETURN_IF_ERROR(c.Call(kElb, "SetIpAddressType", {{"LoadBalancerArn", r.physical_id}, {"IpAddressType", p.at("IpAddressType")}})
                        .status());
  }
  RETURN_IF_ERROR(LoadBalancerAttributes(c, r.physical_id, p));
  return DescribeLoadBalancer(c, r.physical_id);
}

Status DeleteLoadBalancer(const Caller& c, const model::StackResource& r) {
  return Ignorable(c.Try(kElb, "DeleteLoadBalancer", {{"LoadBalancerArn", r.physical_id}}), {"LoadBalancerNotFound"});
}

// ---- Listener ----

Result<ProvisionedResource> CreateListener(const Caller& c, std::string_view id, const json::object& p) {
  if (p.contains("ListenerAttributes")) return Status::InvalidArgument("wharf does not support ListenerAttributes in templates yet");
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "CreateListener"), p));
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "CreateListener", std::move(input.get_object())));
  const auto& listeners = GetArray(out, "Listeners");
  std::string arn = listeners.empty() || !listeners[0].is_object() ? "" : GetString(listeners[0].get_object(), "ListenerArn");
  return Made(arn, {{"ListenerArn", arn}});
}

Result<ProvisionedResource> UpdateListener(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"LoadBalancerArn"})) return controlplane::ReplacementNeeded("LoadBalancerArn changed");
  json::object props = Without(p, {"LoadBalancerArn"});
  props["ListenerArn"] = r.physical_id;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "ModifyListener"), props));
  RETURN_IF_ERROR(c.Call(kElb, "ModifyListener", std::move(input.get_object())).status());
  return Made(r.physical_id, {{"ListenerArn", r.physical_id}});
}

Status DeleteListener(const Caller& c, const model::StackResource& r) {
  return Ignorable(c.Try(kElb, "DeleteListener", {{"ListenerArn", r.physical_id}}), {"ListenerNotFound"});
}

// ---- ListenerRule ----

Result<ProvisionedResource> CreateRule(const Caller& c, std::string_view id, const json::object& p) {
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "CreateRule"), p));
  ASSIGN_OR_RETURN(auto out, c.Call(kElb, "CreateRule", std::move(input.get_object())));
  const auto& rules = GetArray(out, "Rules");
  std::string arn = rules.empty() || !rules[0].is_object() ? "" : GetString(rules[0].get_object(), "RuleArn");
  return Made(arn, {{"RuleArn", arn}, {"IsDefault", "false"}});
}

Result<ProvisionedResource> UpdateRule(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"ListenerArn"})) return controlplane::ReplacementNeeded("ListenerArn changed");
  if (AnyChanged(changed, {"Priority"})) {
    ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("elbv2", "SetRulePriorities"),
                                             json::object{{"RulePriorities", json::array{json::object{
                                                               {"RuleArn", r.physical_id}, {"Priority", p.at("Priority")}}}}}));
    RETURN_IF_ERROR(c.Call(kElb, "SetRulePriorities", std::move(in.get_object())).status());
  }
  json::object props = Without(p, {"ListenerArn", "Priority", "Tags"});
  props["RuleArn"] = r.physical_id;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("elbv2", "ModifyRule"), props));
  RETURN_IF_ERROR(c.Call(kElb, "ModifyRule", std::move(input.get_object())).status());
  return Made(r.physical_id, {{"RuleArn", r.physical_id}, {"IsDefault", "false"}});
}

Status DeleteRule(const Caller& c, const model::StackResource& r) {
  return Ignorable(c.Try(kElb, "DeleteRule", {{"RuleArn", r.physical_id}}), {"RuleNotFound"});
}

}  // namespace

void AddElbv2Types(TypeTable& types) {
  types["AWS::ElasticLoadBalancingV2::TargetGroup"] = {CreateTargetGroup, UpdateTargetGroup, DeleteTargetGroup};
  types["AWS::ElasticLoadBalancingV2::LoadBalancer"] = {CreateLoadBalancer, UpdateLoadBalancer, DeleteLoadBalancer};
  types["AWS::ElasticLoadBalancingV2::Listener"] = {CreateListener, UpdateListener, DeleteListener};
  types["AWS::ElasticLoadBalancingV2::ListenerRule"] = {CreateRule, UpdateRule, DeleteRule};
}

}  // namespace wharf::api::cloudformation
