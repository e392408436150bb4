#include "model/security_group.h"

#include <boost/json/array.hpp>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

// Record (SecurityGroup shape) names.
constexpr std::string_view kGroupId = "GroupId";
constexpr std::string_view kVpcId = "VpcId";
constexpr std::string_view kIpPermissions = "IpPermissions";
constexpr std::string_view kIpPermissionsEgress = "IpPermissionsEgress";

// Wire names (security_group.h).
constexpr std::string_view kSecurityGroups = "securityGroups";
constexpr std::string_view kGroupMembers = "groupMembers";
constexpr std::string_view kWireGroupId = "groupId";
constexpr std::string_view kIngress = "ingress";
constexpr std::string_view kEgress = "egress";
constexpr std::string_view kProtocol = "protocol";
constexpr std::string_view kFromPort = "fromPort";
constexpr std::string_view kToPort = "toPort";
constexpr std::string_view kCidr = "cidr";
constexpr std::string_view kPrefixListId = "prefixListId";
constexpr std::string_view kAddresses = "addresses";
constexpr std::string_view kMarks = "marks";

Status Malformed(std::string_view what) { return Status::InvalidArgument("security groups: " + std::string(what)); }

std::vector<SecurityGroupRule> Flatten(const json::array& permissions) {
  // The peers of one permission, each with the member that names it.
  static constexpr std::string_view kPeers[][2] = {{"IpRanges", "CidrIp"},
                                                   {"Ipv6Ranges", "CidrIpv6"},
                                                   {"UserIdGroupPairs", "GroupId"},
                                                   {"PrefixListIds", "PrefixListId"}};
  std::vector<SecurityGroupRule> out;
  for (const auto& pv : permissions) {
    if (!pv.is_object()) continue;
    const json::object& p = pv.get_object();
    SecurityGroupRule base;
    base.protocol = GetString(p, "IpProtocol", "-1");
    base.from_port = static_cast<int>(GetInt(p, "FromPort").value_or(-1));
    base.to_port = static_cast<int>(GetInt(p, "ToPort").value_or(-1));
    for (const auto& [list, member] : kPeers) {
      for (const auto& sv : GetArray(p, list)) {
        if (!sv.is_object()) continue;
        SecurityGroupRule r = base;
        std::string peer = GetString(sv.get_object(), member);
        if (peer.empty()) continue;
        if (list == std::string_view("UserIdGroupPairs")) {
          r.group_id = peer;
        } else if (list == std::string_view("PrefixListIds")) {
          r.prefix_list_id = peer;
        } else {
          r.cidr = peer;
        }
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

json::object RuleToJson(const SecurityGroupRule& r) {
  json::object o{{kProtocol, r.protocol}, {kFromPort, r.from_port}, {kToPort, r.to_port}};
  if (!r.cidr.empty()) o[kCidr] = r.cidr;
  if (!r.group_id.empty()) o[kWireGroupId] = r.group_id;
  if (!r.prefix_list_id.empty()) o[kPrefixListId] = r.prefix_list_id;
  return o;
}

Result<SecurityGroupRule> RuleFromJson(const json::value& v) {
  if (!v.is_object()) return Malformed("a rule is not an object");
  const json::object& o = v.get_object();
  SecurityGroupRule r;
  r.protocol = GetString(o, kProtocol);
  if (r.protocol.empty()) return Malformed("a rule has no protocol");
  auto from = GetInt(o, kFromPort), to = GetInt(o, kToPort);
  if (!from || !to || *from < -1 || *from > 65535 || *to < -1 || *to > 65535) {
    return Malformed("a rule's fromPort/toPort is missing or out of range");
  }
  r.from_port = static_cast<int>(*from);
  r.to_port = static_cast<int>(*to);
  r.cidr = GetString(o, kCidr);
  r.group_id = GetString(o, kWireGroupId);
  r.prefix_list_id = GetString(o, kPrefixListId);
  if (r.cidr.empty() + r.group_id.empty() + r.prefix_list_id.empty() != 2) {
    return Malformed("a rule must name exactly one of cidr, groupId, prefixListId");
  }
  return r;
}

Result<std::vector<SecurityGroupRule>> RulesFromJson(const json::object& o, std::string_view key) {
  if (Has(o, key) && !o.at(key).is_array()) return Malformed(std::string(key) + " is not an array");
  std::vector<SecurityGroupRule> out;
  for (const auto& v : GetArray(o, key)) {
    ASSIGN_OR_RETURN(SecurityGroupRule r, RuleFromJson(v));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string SecurityGroupRecord::group_id() const { return GetString(record_, kGroupId); }
std::string SecurityGroupRecord::vpc_id() const { return GetString(record_, kVpcId); }

SecurityGroupRules SecurityGroupRecord::rules() const {
  return SecurityGroupRules{group_id(), Flatten(GetArray(record_, kIpPermissions)),
                            Flatten(GetArray(record_, kIpPermissionsEgress))};
}

void NodeSecurity::AddTo(json::object& answer) const {
  json::array groups_out;
  for (const auto& g : groups) {
    json::array in, out;
    for (const auto& r : g.ingress) in.push_back(RuleToJson(r));
    for (const auto& r : g.egress) out.push_back(RuleToJson(r));
    groups_out.push_back(json::object{{kWireGroupId, g.group_id}, {kIngress, std::move(in)}, {kEgress, std::move(out)}});
  }
  json::array members_out;
  for (const auto& [id, m] : members) {
    json::array addresses, marks;
    for (const auto& a : m.addresses) addresses.push_back(json::value(a));
    for (uint32_t mark : m.marks) marks.push_back(json::value(static_cast<int64_t>(mark)));
    members_out.push_back(
        json::object{{kWireGroupId, id}, {kAddresses, std::move(addresses)}, {kMarks, std::move(marks)}});
  }
  answer[kSecurityGroups] = std::move(groups_out);
  answer[kGroupMembers] = std::move(members_out);
}

Result<NodeSecurity> NodeSecurity::FromAnswer(const json::object& answer) {
  NodeSecurity out;
  for (std::string_view key : {kSecurityGroups, kGroupMembers}) {
    if (Has(answer, key) && !answer.at(key).is_array()) return Malformed(std::string(key) + " is not an array");
  }
  for (const auto& v : GetArray(answer, kSecurityGroups)) {
    if (!v.is_object()) return Malformed("a group is not an object");
    const json::object& g = v.get_object();
    SecurityGroupRules rules;
    rules.group_id = GetString(g, kWireGroupId);
    if (rules.group_id.empty()) return Malformed("a group has no groupId");
    ASSIGN_OR_RETURN(rules.ingress, RulesFromJson(g, kIngress));
    ASSIGN_OR_RETURN(rules.egress, RulesFromJson(g, kEgress));
    out.groups.push_back(std::move(rules));
  }
  for (const auto& v : GetArray(answer, kGroupMembers)) {
    if (!v.is_object()) return Malformed("a member list is not an object");
    const json::object& m = v.get_object();
    std::string id = GetString(m, kWireGroupId);
    if (id.empty()) return Malformed("a member list has no groupId");
    SecurityGroupMembers members;
    for (const auto& a : GetArray(m, kAddresses)) {
      if (!a.is_string()) return Malformed("an address is not a string");
      members.addresses.emplace_back(a.get_string());
    }
    for (const auto& k : GetArray(m, kMarks)) {
      auto mark = k.is_int64() ? std::optional<int64_t>(k.get_int64()) : std::nullopt;
      if (!mark || *mark <= 0 || *mark > 0xffffffffLL) return Malformed("a mark is not a 32-bit number");
      members.marks.push_back(static_cast<uint32_t>(*mark));
    }
    out.members[id] = std::move(members);
  }
  return out;
}

uint32_t LoadBalancerMark(std::string_view load_balancer_arn) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : load_balancer_arn) {
    h ^= c;
    h *= 16777619u;
  }
  // Bits 0xf000 stay clear: CNI's portmap (0x2000) and kube-proxy (0x4000, 0x8000) give them
  // meanings of their own (masquerade), which the load balancer's connections must not get.
  return 0x77000000u | (h & 0x00ff0fffu);
}

}  // namespace wharf::model
