// AWS::EC2::SecurityGroup. Ref: the group id; Fn::GetAtt GroupId, VpcId. Its inline rules
// (SecurityGroupIngress, SecurityGroupEgress) become AuthorizeSecurityGroup* calls; a group
// that lists egress rules loses the default allow-all egress rule, as on AWS.
// AWS::EC2::SecurityGroupIngress / SecurityGroupEgress: one rule of a group made elsewhere.
// Ref: the rule id (sgr-...); Fn::GetAtt Id. Any change replaces the rule, as AWS documents.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

// An inline rule ({IpProtocol, FromPort, ToPort, CidrIp | SourceSecurityGroupId |
// DestinationSecurityGroupId, Description}) as an IpPermission.
Result<json::object> Permission(const json::value& rule) {
  if (!rule.is_object()) return Status::InvalidArgument("Properties validation failed: a security group rule must be an object");
  const auto& r = rule.get_object();
  json::object p{{"IpProtocol", r.contains("IpProtocol") ? r.at("IpProtocol") : json::value("-1")}};
  if (r.contains("FromPort")) p["FromPort"] = r.at("FromPort");
  if (r.contains("ToPort")) p["ToPort"] = r.at("ToPort");
  std::string description = GetString(r, "Description");
  for (const char* cidr : {"CidrIp", "CidrIpv6"}) {
    if (!r.contains(cidr)) continue;
    json::object range{{cidr, r.at(cidr)}};
    if (!description.empty()) range["Description"] = description;
    p[std::string(cidr) == "CidrIp" ? "IpRanges" : "Ipv6Ranges"] = json::array{range};
  }
  for (const char* group : {"SourceSecurityGroupId", "DestinationSecurityGroupId"}) {
    if (!r.contains(group)) continue;
    json::object pair{{"GroupId", r.at(group)}};
    if (!description.empty()) pair["Description"] = description;
    p["UserIdGroupPairs"] = json::array{pair};
  }
  for (const char* unsupported : {"SourcePrefixListId", "DestinationPrefixListId", "SourceSecurityGroupName",
                                  "SourceSecurityGroupOwnerId"}) {
    if (r.contains(unsupported)) return Status::InvalidArgument(std::string("wharf does not support ") + unsupported + " yet");
  }
  return p;
}

Status Authorize(const Caller& c, const std::string& group_id, const json::value& rules, const char* operation) {
  if (!rules.is_array() || rules.get_array().empty()) return Status::OK();
  json::array permissions;
  for (const auto& rule : rules.get_array()) {
    ASSIGN_OR_RETURN(auto p, Permission(rule));
    permissions.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("ec2", operation),
                                           json::object{{"GroupId", group_id}, {"IpPermissions", std::move(permissions)}}));
  return c.Call("ec2", operation, std::move(in.get_object())).status();
}

Result<ProvisionedResource> CreateSecurityGroup(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "GroupName");
  if (name.empty()) name = c.PhysicalName(id, 255);
  json::object in{{"GroupName", name}, {"Description", GetString(p, "GroupDescription")}};
  if (p.contains("VpcId")) in["VpcId"] = p.at("VpcId");
  if (p.contains("Tags")) in["TagSpecifications"] = json::array{json::object{{"ResourceType", "security-group"}, {"Tags", p.at("Tags")}}};
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateSecurityGroup"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateSecurityGroup", std::move(input.get_object())));
  std::string group_id = GetString(out, "GroupId");
  c.Record(group_id);
  if (p.contains("SecurityGroupIngress")) RETURN_IF_ERROR(Authorize(c, group_id, p.at("SecurityGroupIngress"), "AuthorizeSecurityGroupIngress"));
  if (p.contains("SecurityGroupEgress")) {
    // The rules given replace the default egress rule (all traffic to 0.0.0.0/0).
    RETURN_IF_ERROR(c.Call("ec2", "RevokeSecurityGroupEgress",
                           {{"GroupId", group_id},
                            {"IpPermissions", json::array{json::object{
                                                  {"IpProtocol", "-1"},
                                                  {"IpRanges", json::array{json::object{{"CidrIp", "0.0.0.0/0"}}}}}}}})
                        .status());
    RETURN_IF_ERROR(Authorize(c, group_id, p.at("SecurityGroupEgress"), "AuthorizeSecurityGroupEgress"));
  }
  ASSIGN_OR_RETURN(auto described, c.Call("ec2", "DescribeSecurityGroups", {{"GroupIds", json::array{json::string(group_id)}}}));
  const auto& groups = GetArray(described, "SecurityGroups");
  std::string vpc = groups.empty() || !groups[0].is_object() ? "" : GetString(groups[0].get_object(), "VpcId");
  return Made(group_id, {{"GroupId", group_id}, {"VpcId", vpc}});
}

Status DeleteSecurityGroup(const Caller& c, const model::StackResource& r) {
  // Network interfaces of tasks or load balancers deleted just before may still hold it.
  std::string last;
  Status polled = PollUntil(c, 120, 500, [&]() -> Result<bool> {
    Outcome out = c.Try("ec2", "DeleteSecurityGroup", {{"GroupId", r.physical_id}});
    if (out.ok() || out.error().code == "InvalidGroup.NotFound") return true;
    if (out.error().code != "DependencyViolation") return Status::InvalidArgument(out.error().message);
    last = out.error().message;
    return false;
  }, "");
  return polled.IsUnavailable() ? Status::InvalidArgument(last) : polled;
}

// ---- SecurityGroupIngress / SecurityGroupEgress ----

Result<ProvisionedResource> CreateRule(const Caller& c, const json::object& p, const char* operation) {
  RETURN_IF_ERROR(RefuseProperties(p, {"GroupName"}));
  std::string group_id = GetString(p, "GroupId");
  if (group_id.empty()) return Status::InvalidArgument("Properties validation failed: #: required key [GroupId] not found");
  if (!p.contains("IpProtocol")) return Status::InvalidArgument("Properties validation failed: #: required key [IpProtocol] not found");
  ASSIGN_OR_RETURN(auto permission, Permission(Without(p, {"GroupId"})));
  ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("ec2", operation),
                                           json::object{{"GroupId", group_id}, {"IpPermissions", json::array{permission}}}));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", operation, std::move(in.get_object())));
  const auto& rules = GetArray(out, "SecurityGroupRules");
  if (rules.empty() || !rules[0].is_object()) return Status::Internal(std::string(operation) + " answered no rule");
  std::string id = GetString(rules[0].get_object(), "SecurityGroupRuleId");
  return Made(id, {{"Id", id}});
}

Status DeleteRule(const Caller& c, const model::StackResource& r, const char* operation) {
  return OkOr(c.Try("ec2", operation,
                    {{"GroupId", GetString(r.properties, "GroupId")},
                     {"SecurityGroupRuleIds", json::array{json::string(r.physical_id)}}}),
              {"InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound"});
}

}  // namespace

void AddEc2Types(TypeTable& types) {
  types["AWS::EC2::SecurityGroup"] = {CreateSecurityGroup, nullptr, DeleteSecurityGroup};
  types["AWS::EC2::SecurityGroupIngress"] = {
      [](const Caller& c, std::string_view, const json::object& p) {
        return CreateRule(c, p, "AuthorizeSecurityGroupIngress");
      },
      nullptr, [](const Caller& c, const model::StackResource& r) { return DeleteRule(c, r, "RevokeSecurityGroupIngress"); }};
  types["AWS::EC2::SecurityGroupEgress"] = {
      [](const Caller& c, std::string_view, const json::object& p) {
        return CreateRule(c, p, "AuthorizeSecurityGroupEgress");
      },
      nullptr, [](const Caller& c, const model::StackResource& r) { return DeleteRule(c, r, "RevokeSecurityGroupEgress"); }};
}

}  // namespace wharf::api::cloudformation
