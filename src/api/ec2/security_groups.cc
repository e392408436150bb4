// DescribeSecurityGroups, CreateSecurityGroup and DeleteSecurityGroup.
#include <algorithm>

#include "api/ec2/handlers.h"
#include "model/load_balancer.h"

namespace wharf::api::ec2 {

namespace {

AwsError MalformedGroupId(std::string_view id) {
  return AwsError::Client("InvalidGroupId.Malformed",
                          "Invalid id: \"" + std::string(id) + "\" (expecting \"sg-...\")");
}

std::variant<Record, AwsError> GroupById(Context& c, std::string_view id) {
  if (!id.starts_with("sg-")) return MalformedGroupId(id);
  auto found = ReadRecord(c.store(), SecurityGroupKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return GroupNotFound(id);
  return std::move(**found);
}

std::variant<Record, AwsError> GroupByName(Context& c, std::string_view vpc_id,
                                           std::string_view name) {
  auto claim = ReadRecord(c.store(), SecurityGroupNameKey(vpc_id, name));
  if (!claim.ok()) return Ec2Error(claim.status());
  AwsError missing = AwsError::Client("InvalidGroup.NotFound",
                                      "The security group '" + std::string(name) +
                                          "' does not exist in default VPC '" +
                                          std::string(vpc_id) + "'");
  if (!*claim) return missing;
  auto group = GroupById(c, GetString((*claim)->value, "GroupId"));
  if (std::holds_alternative<AwsError>(group)) return missing;
  return group;
}

// Another group whose rules name `id` as their source or destination.
bool Referenced(const std::vector<Record>& groups, std::string_view id) {
  for (const Record& g : groups) {
    if (GetString(g.value, "GroupId") == id) continue;
    for (const char* list : {"IpPermissions", "IpPermissionsEgress"}) {
      for (const auto& p : GetArray(g.value, list)) {
        for (const auto& pair : GetArray(p.as_object(), "UserIdGroupPairs")) {
          if (GetString(pair.as_object(), "GroupId") == id) return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

std::variant<Record, AwsError> FindGroup(Context& c, const object& in) {
  std::string id = GetString(in, "GroupId");
  if (!id.empty()) return GroupById(c, id);
  std::string name = GetString(in, "GroupName");
  if (name.empty()) return MissingParameter("groupName or groupId");
  return GroupByName(c, DefaultVpcId(c.network()), name);
}

Outcome DescribeSecurityGroups(Context& c, const RequestContext&, object& in) {
  auto filters = Filters::Parse(in, {{"group-id", "GroupId"},
                                     {"group-name", "GroupName"},
                                     {"vpc-id", "VpcId"},
                                     {"description", "Description"},
                                     {"ip-permission.protocol", "IpPermissions.IpProtocol"},
                                     {"ip-permission.from-port", "IpPermissions.FromPort"},
                                     {"ip-permission.to-port", "IpPermissions.ToPort"},
                                     {"ip-permission.cidr", "IpPermissions.IpRanges.CidrIp"},
                                     {"ip-permission.group-id", "IpPermissions.UserIdGroupPairs.GroupId"},
                                     {"egress.ip-permission.protocol", "IpPermissionsEgress.IpProtocol"},
                                     {"egress.ip-permission.cidr", "IpPermissionsEgress.IpRanges.CidrIp"},
                                     {"egress.ip-permission.group-id", "IpPermissionsEgress.UserIdGroupPairs.GroupId"},
                                     {"owner-id", "OwnerId"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  std::vector<std::string> ids = Strings(in, "GroupIds");
  std::vector<std::string> names = Strings(in, "GroupNames");
  for (const std::string& id : ids) {
    auto g = GroupById(c, id);
    if (auto* err = std::get_if<AwsError>(&g)) return *err;
  }
  for (const std::string& name : names) {
    auto g = GroupByName(c, DefaultVpcId(c.network()), name);
    if (auto* err = std::get_if<AwsError>(&g)) return *err;
  }
  ASSIGN_OR_FAIL(auto groups, ReadRecords(c.store(), kSecurityGroupsPrefix), Ec2Error);
  json::array out;
  for (Record& g : groups) {
    std::string id = GetString(g.value, "GroupId");
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    if (!names.empty() && (GetString(g.value, "VpcId") != DefaultVpcId(c.network()) ||
                           std::find(names.begin(), names.end(), GetString(g.value, "GroupName")) ==
                               names.end())) {
      continue;
    }
    if (std::get<Filters>(filters).Match(g.value)) out.emplace_back(Public(std::move(g.value)));
  }
  object result;
  if (auto err = PageInto(in, std::move(out), "GroupId", "SecurityGroups", PageLimits{5, 1000},
                          !ids.empty() || !names.empty(), ids.empty() ? "groupNames" : "groupIds", result)) {
    return *err;
  }
  return result;
}

Outcome CreateSecurityGroup(Context& c, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "GroupName");
  std::string description = GetString(in, "Description");
  if (name.empty()) return MissingParameter("GroupName");
  if (description.empty()) return MissingParameter("GroupDescription");
  if (name.size() > 255) {
    return InvalidParameterValue("Invalid value '" + name + "' for groupName. Length exceeds maximum of 255");
  }
  if (name.rfind("sg-", 0) == 0) {
    return InvalidParameterValue("Group names may not be in the format sg-*.");
  }
  if (description.size() > 255) {
    return InvalidParameterValue("Invalid value for GroupDescription. Length exceeds maximum of 255");
  }
  std::string vpc_id = GetString(in, "VpcId", DefaultVpcId(c.network()));
  ASSIGN_OR_FAIL(auto vpc, ReadRecord(c.store(), VpcKey(vpc_id)), Ec2Error);
  if (!vpc) {
    return AwsError::Client("InvalidVpcID.NotFound", "The vpc ID '" + vpc_id + "' does not exist");
  }
  std::string id = c.NewId("sg");
  object group{
      {"GroupId", id},
      {"IpPermissionsEgress",
       json::array{object{{"IpProtocol", "-1"},
                          {"UserIdGroupPairs", json::array()},
                          {"IpRanges", json::array{object{{"CidrIp", "0.0.0.0/0"}}}},
                          {"Ipv6Ranges", json::array()},
                          {"PrefixListIds", json::array()}}}},
      {"VpcId", vpc_id},
      {"SecurityGroupArn",
       "arn:aws:ec2:" + ctx.region + ":" + ctx.account_id + ":security-group/" + id},
      {"OwnerId", ctx.account_id},
      {"GroupName", name},
      {"Description", description},
      {"IpPermissions", json::array()},
  };
  json::array tags = TagsFor(in, "security-group");
  if (!tags.empty()) group["Tags"] = tags;
  store::Txn txn;
  std::string name_key = SecurityGroupNameKey(vpc_id, name);
  txn.compares = {{name_key, 0}};
  txn.ops = {store::Op::Put(name_key, Serialize(object{{"GroupId", id}})),
             store::Op::Put(SecurityGroupKey(id), Serialize(group))};
  TouchParent(txn, *vpc);  // a DeleteVpc racing this one sees the group
  ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
  if (!result.succeeded) {
    ASSIGN_OR_FAIL(auto claimed, c.store().Get(name_key), Ec2Error);
    // Not the name: the VPC changed meanwhile (another child made, or the VPC deleted).
    if (!claimed) return TooManyConcurrentUpdates();
    return AwsError::Client("InvalidGroup.Duplicate", "The security group '" + name +
                                                          "' already exists for VPC '" + vpc_id + "'");
  }
  object out{{"GroupId", id}, {"SecurityGroupArn", group["SecurityGroupArn"]}};
  if (!tags.empty()) out["Tags"] = std::move(tags);
  return out;
}

Outcome DeleteSecurityGroup(Context& c, const RequestContext&, object& in) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindGroup(c, in);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& group = std::get<Record>(found);
    std::string id = GetString(group.value, "GroupId");
    std::string name = GetString(group.value, "GroupName");
    if (name == "default") {
      return AwsError::Client("CannotDelete", "the specified group: \"" + id +
                                                  "\" name: \"default\" cannot be deleted by a user");
    }
    ASSIGN_OR_FAIL(auto groups, ReadRecords(c.store(), kSecurityGroupsPrefix), Ec2Error);
    if (Referenced(groups, id)) {
      return AwsError::Client("DependencyViolation", "resource " + id + " has a dependent object");
    }
    // A load balancer's group is in use by its network interfaces.
    ASSIGN_OR_FAIL(auto lbs, ReadRecords(c.store(), model::keys::kLoadBalancers), Ec2Error);
    for (const Record& lb : lbs) {
      auto in_use = model::LoadBalancerRecord(lb.value).security_groups();
      if (std::find(in_use.begin(), in_use.end(), id) != in_use.end()) {
        return AwsError::Client("DependencyViolation", "resource " + id + " has a dependent object");
      }
    }
    // An interface endpoint's group, likewise (its network interfaces).
    ASSIGN_OR_FAIL(auto endpoints, ReadRecords(c.store(), kVpcEndpointsPrefix), Ec2Error);
    for (const Record& e : endpoints) {
      for (const auto& g : GetArray(e.value, "Groups")) {
        if (g.is_object() && GetString(g.get_object(), "GroupId") == id) {
          return AwsError::Client("DependencyViolation", "resource " + id + " has a dependent object");
        }
      }
    }
    // Every other group's revision is compared, so no rule referencing this one slips in, and
    // every load balancer's and endpoint's, so none takes the group meanwhile.
    store::Txn txn;
    for (const Record& g : groups) txn.compares.push_back({g.key, g.mod_revision});
    for (const Record& lb : lbs) txn.compares.push_back({lb.key, lb.mod_revision});
    for (const Record& e : endpoints) txn.compares.push_back({e.key, e.mod_revision});
    txn.ops = {store::Op::Delete(group.key),
               store::Op::Delete(SecurityGroupNameKey(GetString(group.value, "VpcId"), name))};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{{"Return", true}, {"GroupId", id}};
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::ec2
