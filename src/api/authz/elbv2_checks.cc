// Elastic Load Balancing v2 (prefix elasticloadbalancing). Resource types:
//   loadbalancer/app/<name>/<id>, loadbalancer/net/<name>/<id>
//   listener/app/<lb-name>/<lb-id>/<id>, listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<id>
//   targetgroup/<name>/<id>
// Every operation but the creates names its resource by ARN. The Describe* operations have
// no resource type in the reference ("*").
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

// Tagging on create: ELB also authorizes elasticloadbalancing:AddTags on the new resource,
// with elasticloadbalancing:CreateAction, when the request carries Tags.
void TagOnCreate(Request& r, std::string_view operation, std::string resource) {
  if (!HasTags(r.Get("Tags"))) return;
  Check& c = r.Need("AddTags", std::move(resource));
  AddRequestTags(c, r.Get("Tags"));
  AddKey(c, "elasticloadbalancing:CreateAction", std::string(operation));
}

// The ARN of a resource under another: ":loadbalancer/app/lb/1" -> ":listener/app/lb/1/*".
std::string Child(std::string_view arn, std::string_view from, std::string_view to) {
  std::string out(arn);
  size_t at = out.find(from);
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out + "/*";
}

void On(Request& r, std::string_view action, std::string_view member) {
  r.Need(action, std::string(r.Str(member)));
}

// The load balancer's placement, as condition keys: its scheme, security groups and subnets
// (from Subnets or SubnetMappings).
void PlacementKeys(const Request& r, Check& c) {
  if (!r.Str("Scheme").empty()) AddKey(c, "elasticloadbalancing:Scheme", std::string(r.Str("Scheme")));
  for (std::string_view sg : r.Strs("SecurityGroups")) AddKey(c, "elasticloadbalancing:SecurityGroup", std::string(sg));
  for (std::string_view subnet : r.Strs("Subnets")) AddKey(c, "elasticloadbalancing:Subnet", std::string(subnet));
  const boost::json::value* mappings = r.Get("SubnetMappings");
  if (!mappings || !mappings->is_array()) return;
  for (const auto& m : mappings->get_array()) {
    const boost::json::object* o = m.if_object();
    const boost::json::value* id = o ? o->if_contains("SubnetId") : nullptr;
    if (id && id->is_string()) AddKey(c, "elasticloadbalancing:Subnet", std::string(id->get_string()));
  }
}

// A listener's protocol and TLS policy, as condition keys.
void ListenerKeys(const Request& r, Check& c) {
  if (!r.Str("Protocol").empty()) AddKey(c, "elasticloadbalancing:ListenerProtocol", std::string(r.Str("Protocol")));
  if (!r.Str("SslPolicy").empty()) AddKey(c, "elasticloadbalancing:SecurityPolicy", std::string(r.Str("SslPolicy")));
}

void CreateLoadBalancer(Request& r) {
  std::string_view type = r.Str("Type");
  std::string_view kind = type == "network" ? "net" : type == "gateway" ? "gwy" : "app";
  // The id is made by the create: the new load balancer is <kind>/<name>/*.
  std::string arn = r.Arn("elasticloadbalancing",
                          "loadbalancer/" + std::string(kind) + "/" + std::string(r.Str("Name")) + "/*");
  Check& c = r.Need("CreateLoadBalancer", arn);
  AddRequestTags(c, r.Get("Tags"));
  PlacementKeys(r, c);
  TagOnCreate(r, "CreateLoadBalancer", arn);
}

void CreateTargetGroup(Request& r) {
  std::string arn = r.Arn("elasticloadbalancing", "targetgroup/" + std::string(r.Str("Name")) + "/*");
  AddRequestTags(r.Need("CreateTargetGroup", arn), r.Get("Tags"));
  TagOnCreate(r, "CreateTargetGroup", arn);
}

// A listener is created on its load balancer, a rule on its listener.
void CreateListener(Request& r) {
  std::string_view lb = r.Str("LoadBalancerArn");
  Check& c = r.Need("CreateListener", std::string(lb));
  AddRequestTags(c, r.Get("Tags"));
  ListenerKeys(r, c);
  TagOnCreate(r, "CreateListener", Child(lb, ":loadbalancer/", ":listener/"));
}

void CreateRule(Request& r) {
  std::string_view listener = r.Str("ListenerArn");
  AddRequestTags(r.Need("CreateRule", std::string(listener)), r.Get("Tags"));
  TagOnCreate(r, "CreateRule", Child(listener, ":listener/", ":listener-rule/"));
}

void SetRulePriorities(Request& r) {
  const boost::json::value* list = r.Get("RulePriorities");
  if (!list || !list->is_array()) return;
  for (const auto& item : list->get_array()) {
    const boost::json::object* o = item.if_object();
    const boost::json::value* arn = o ? o->if_contains("RuleArn") : nullptr;
    if (arn && arn->is_string()) r.Need("SetRulePriorities", std::string(arn->get_string()));
  }
}

void AddTags(Request& r) {
  for (std::string_view arn : r.Strs("ResourceArns")) AddRequestTags(r.Need("AddTags", std::string(arn)), r.Get("Tags"));
}

void RemoveTags(Request& r) {
  for (std::string_view arn : r.Strs("ResourceArns")) AddTagKeys(r.Need("RemoveTags", std::string(arn)), r.Get("TagKeys"));
}

void Describe(Request& r, std::string_view action) { r.Need(action); }

constexpr Entry kEntries[] = {
    {"CreateLoadBalancer", CreateLoadBalancer},
    {"DescribeLoadBalancers", [](Request& r) { Describe(r, "DescribeLoadBalancers"); }},
    {"DeleteLoadBalancer", [](Request& r) { On(r, "DeleteLoadBalancer", "LoadBalancerArn"); }},
    {"DescribeLoadBalancerAttributes", [](Request& r) { Describe(r, "DescribeLoadBalancerAttributes"); }},
    {"ModifyLoadBalancerAttributes", [](Request& r) { On(r, "ModifyLoadBalancerAttributes", "LoadBalancerArn"); }},
    {"SetSecurityGroups", [](Request& r) { On(r, "SetSecurityGroups", "LoadBalancerArn"); }},
    {"SetSubnets", [](Request& r) { On(r, "SetSubnets", "LoadBalancerArn"); }},
    {"SetIpAddressType", [](Request& r) { On(r, "SetIpAddressType", "LoadBalancerArn"); }},
    {"CreateTargetGroup", CreateTargetGroup},
    {"DescribeTargetGroups", [](Request& r) { Describe(r, "DescribeTargetGroups"); }},
    {"ModifyTargetGroup", [](Request& r) { On(r, "ModifyTargetGroup", "TargetGroupArn"); }},
    {"DeleteTargetGroup", [](Request& r) { On(r, "DeleteTargetGroup", "TargetGroupArn"); }},
    {"DescribeTargetGroupAttributes", [](Request& r) { Describe(r, "DescribeTargetGroupAttributes"); }},
    {"ModifyTargetGroupAttributes", [](Request& r) { On(r, "ModifyTargetGroupAttributes", "TargetGroupArn"); }},
    {"RegisterTargets", [](Request& r) { On(r, "RegisterTargets", "TargetGroupArn"); }},
    {"DeregisterTargets", [](Request& r) { On(r, "DeregisterTargets", "TargetGroupArn"); }},
    {"DescribeTargetHealth", [](Request& r) { Describe(r, "DescribeTargetHealth"); }},
    {"CreateListener", CreateListener},
    {"DescribeListeners", [](Request& r) { Describe(r, "DescribeListeners"); }},
    {"ModifyListener", [](Request& r) { ListenerKeys(r, r.Need("ModifyListener", std::string(r.Str("ListenerArn")))); }},
    {"DeleteListener", [](Request& r) { On(r, "DeleteListener", "ListenerArn"); }},
    {"DescribeListenerAttributes", [](Request& r) { Describe(r, "DescribeListenerAttributes"); }},
    {"ModifyListenerAttributes", [](Request& r) { On(r, "ModifyListenerAttributes", "ListenerArn"); }},
    {"CreateRule", CreateRule},
    {"DescribeRules", [](Request& r) { Describe(r, "DescribeRules"); }},
    {"ModifyRule", [](Request& r) { On(r, "ModifyRule", "RuleArn"); }},
    {"DeleteRule", [](Request& r) { On(r, "DeleteRule", "RuleArn"); }},
    {"SetRulePriorities", SetRulePriorities},
    {"AddTags", AddTags},
    {"RemoveTags", RemoveTags},
    {"DescribeTags", [](Request& r) { Describe(r, "DescribeTags"); }},
};

}  // namespace

const ServiceTable kElbv2Table = {
    "elasticloadbalancing", "elasticloadbalancing",
    [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); }, [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
