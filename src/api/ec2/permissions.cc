// AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress.
//
// A group keeps its rules as AWS describes them: IpPermissions grouped by protocol and port
// range, each with its sources. A change flattens them into one rule per (protocol, ports,
// source), adds or removes rules, and groups them again; duplicates are found on the flat form.
#include <algorithm>

#include "api/ec2/handlers.h"

namespace wharf::api::ec2 {

namespace {

struct Rule {
  std::string protocol;  // "-1", "tcp", "udp", "icmp", "icmpv6" or a protocol number
  std::optional<int64_t> from, to;
  std::string kind;    // "IpRanges", "Ipv6Ranges", "UserIdGroupPairs" or "PrefixListIds"
  std::string source;  // the CIDR, group id or prefix list id
  std::string user_id;  // UserIdGroupPairs
  std::string description;

  bool SameAs(const Rule& o) const {
    return protocol == o.protocol && from == o.from && to == o.to && kind == o.kind &&
           source == o.source;
  }
};

constexpr const char* kSourceMember[][2] = {{"IpRanges", "CidrIp"},
                                            {"Ipv6Ranges", "CidrIpv6"},
                                            {"UserIdGroupPairs", "GroupId"},
                                            {"PrefixListIds", "PrefixListId"}};

std::variant<std::string, AwsError> NormalizeProtocol(std::string p) {
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (p == "-1" || p == "all") return std::string("-1");
  if (p == "tcp" || p == "6") return std::string("tcp");
  if (p == "udp" || p == "17") return std::string("udp");
  if (p == "icmp" || p == "1") return std::string("icmp");
  if (p == "icmpv6" || p == "58") return std::string("icmpv6");
  char* end = nullptr;
  long n = std::strtol(p.c_str(), &end, 10);
  if (!p.empty() && !*end && n >= 0 && n <= 255) return p;
  return InvalidParameterValue("Invalid value '" + p + "' for IP protocol. Unknown protocol.");
}

// The flat rules of stored (or requested, once checked) permissions.
std::vector<Rule> Flatten(const json::array& permissions) {
  std::vector<Rule> out;
  for (const auto& pv : permissions) {
    const object& p = pv.as_object();
    for (const auto& [kind, member] : kSourceMember) {
      for (const auto& sv : GetArray(p, kind)) {
        const object& s = sv.as_object();
        out.push_back(Rule{GetString(p, "IpProtocol"), GetInt(p, "FromPort"), GetInt(p, "ToPort"),
                           kind, GetString(s, member), GetString(s, "UserId"),
                           GetString(s, "Description")});
      }
    }
  }
  return out;
}

// The rules grouped back into IpPermissions, in first-seen order.
json::array Group(const std::vector<Rule>& rules) {
  json::array out;
  std::vector<const Rule*> heads;
  for (const Rule& r : rules) {
    size_t i = 0;
    while (i < heads.size() &&
           !(heads[i]->protocol == r.protocol && heads[i]->from == r.from && heads[i]->to == r.to)) {
      ++i;
    }
    if (i == heads.size()) {
      heads.push_back(&r);
      object p{{"IpProtocol", r.protocol}};
      if (r.from) p["FromPort"] = *r.from;
      if (r.to) p["ToPort"] = *r.to;
      for (const auto& [kind, member] : kSourceMember) p[kind] = json::array();
      out.emplace_back(std::move(p));
    }
    object source{{kSourceMember[0][1], r.source}};
    for (const auto& [kind, member] : kSourceMember) {
      if (r.kind == kind) source = object{{member, r.source}};
    }
    if (r.kind == "UserIdGroupPairs") source["UserId"] = r.user_id;
    if (!r.description.empty()) source["Description"] = r.description;
    out[i].as_object()[r.kind].as_array().emplace_back(std::move(source));
  }
  return out;
}

// The requested permissions, from IpPermissions or the older top-level members, checked
// and flattened.
std::variant<std::vector<Rule>, AwsError> RequestedRules(Context& c, const object& in,
                                                         const std::string& account_id) {
  json::array permissions = GetArray(in, "IpPermissions");
  if (permissions.empty()) {
    object p{{"IpProtocol", GetString(in, "IpProtocol", "-1")}};
    if (auto from = GetInt(in, "FromPort")) p["FromPort"] = *from;
    if (auto to = GetInt(in, "ToPort")) p["ToPort"] = *to;
    if (Has(in, "CidrIp")) p["IpRanges"] = json::array{object{{"CidrIp", GetString(in, "CidrIp")}}};
    if (Has(in, "SourceSecurityGroupName")) {
      p["UserIdGroupPairs"] =
          json::array{object{{"GroupName", GetString(in, "SourceSecurityGroupName")}}};
    }
    permissions.emplace_back(std::move(p));
  }
  std::vector<Rule> rules;
  for (auto& pv : permissions) {
    object& p = pv.as_object();
    if (!Has(p, "IpProtocol")) return MissingParameter("IpPermissions.IpProtocol");
    auto protocol = NormalizeProtocol(GetString(p, "IpProtocol"));
    if (auto* err = std::get_if<AwsError>(&protocol)) return *err;
    std::string proto = std::get<std::string>(protocol);
    p["IpProtocol"] = proto;
    std::optional<int64_t> from = GetInt(p, "FromPort"), to = GetInt(p, "ToPort");
    if (proto == "tcp" || proto == "udp") {
      if (!from || !to) {
        return InvalidParameterValue(
            "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
      }
      if (*from < 0 || *to > 65535 || *from > *to) {
        return InvalidParameterValue("Invalid TCP/UDP port range " + std::to_string(*from) + "-" +
                                     std::to_string(*to));
      }
    } else if (proto == "icmp" || proto == "icmpv6") {
      if (!from) from = -1;
      if (!to) to = -1;
    } else {
      from.reset();  // every other protocol has no ports
      to.reset();
    }
    p.erase("FromPort");
    p.erase("ToPort");
    if (from) p["FromPort"] = *from;
    if (to) p["ToPort"] = *to;
    size_t before = rules.size();
    for (const auto& [kind, member] : kSourceMember) {
      auto* sources = p.if_contains(kind);
      if (!sources || !sources->is_array()) continue;
      for (auto& sv : sources->as_array()) {
        object& s = sv.as_object();
        Rule r{proto, from, to, kind, GetString(s, member), "", GetString(s, "Description")};
        if (r.kind == std::string_view("IpRanges") && !ParseIpv4Cidr(r.source)) {
          return InvalidParameterValue("CIDR block " + r.source + " is malformed");
        }
        if (r.kind == std::string_view("Ipv6Ranges") &&
            (r.source.find(':') == std::string::npos || r.source.find('/') == std::string::npos)) {
          return InvalidParameterValue("CIDR block " + r.source + " is malformed");
        }
        if (r.kind == std::string_view("UserIdGroupPairs")) {
          auto group = FindGroup(c, s);
          if (auto* err = std::get_if<AwsError>(&group)) return *err;
          r.source = GetString(std::get<Record>(group).value, "GroupId");
          r.user_id = account_id;
        }
        if (r.source.empty()) return MissingParameter(std::string(kind) + "." + member);
        rules.push_back(std::move(r));
      }
    }
    if (rules.size() == before) {
      return InvalidParameterValue("The request must name a source or destination "
                                   "(IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds)");
    }
  }
  return rules;
}

std::string Describe(const Rule& r) {
  std::string proto = r.protocol == "-1" ? "ALL" : r.protocol;
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char ch) { return std::toupper(ch); });
  std::string out = "peer: " + r.source + ", " + proto;
  if (r.from) out += ", from port: " + std::to_string(*r.from);
  if (r.to) out += ", to port: " + std::to_string(*r.to);
  return out + ", ALLOW";
}

object RuleOutput(Context& c, const RequestContext& ctx, const std::string& group_id, bool egress,
                  const Rule& r) {
  std::string id = c.NewId("sgr");
  object out{{"SecurityGroupRuleId", id},
             {"GroupId", group_id},
             {"GroupOwnerId", ctx.account_id},
             {"IsEgress", egress},
             {"IpProtocol", r.protocol},
             {"FromPort", r.from.value_or(-1)},
             {"ToPort", r.to.value_or(-1)},
             {"SecurityGroupRuleArn",
              "arn:aws:ec2:" + ctx.region + ":" + ctx.account_id + ":security-group-rule/" + id}};
  if (r.kind == "IpRanges") out["CidrIpv4"] = r.source;
  if (r.kind == "Ipv6Ranges") out["CidrIpv6"] = r.source;
  if (r.kind == "PrefixListIds") out["PrefixListId"] = r.source;
  if (r.kind == "UserIdGroupPairs") {
    out["ReferencedGroupInfo"] = object{{"GroupId", r.source}, {"UserId", r.user_id}};
  }
  if (!r.description.empty()) out["Description"] = r.description;
  return out;
}

Outcome Change(Context& c, const RequestContext& ctx, object& in, bool egress, bool authorize) {
  if (!GetArray(in, "SecurityGroupRuleIds").empty()) {
    return InvalidParameterValue("wharf does not revoke rules by SecurityGroupRuleId; "
                                 "name them by IpPermissions");
  }
  const char* list = egress ? "IpPermissionsEgress" : "IpPermissions";
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindGroup(c, in);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& group = std::get<Record>(found);
    std::string group_id = GetString(group.value, "GroupId");
    auto requested = RequestedRules(c, in, ctx.account_id);
    if (auto* err = std::get_if<AwsError>(&requested)) return *err;
    std::vector<Rule> rules = Flatten(GetArray(group.value, list));
    object out{{"Return", true}};
    if (authorize) {
      json::array added;
      for (const Rule& r : std::get<std::vector<Rule>>(requested)) {
        auto same = [&r](const Rule& x) { return x.SameAs(r); };
        if (std::any_of(rules.begin(), rules.end(), same)) {
          return AwsError::Client("InvalidPermission.Duplicate",
                                  "the specified rule \"" + Describe(r) + "\" already exists");
        }
        rules.push_back(r);
        added.emplace_back(RuleOutput(c, ctx, group_id, egress, r));
      }
      out["SecurityGroupRules"] = std::move(added);
    } else {
      std::vector<Rule> unknown;
      size_t revoked = 0;
      for (const Rule& r : std::get<std::vector<Rule>>(requested)) {
        auto it = std::find_if(rules.begin(), rules.end(), [&r](const Rule& x) { return x.SameAs(r); });
        if (it == rules.end()) {
          unknown.push_back(r);
        } else {
          rules.erase(it);
          ++revoked;
        }
      }
      if (revoked == 0) {
        return AwsError::Client("InvalidPermission.NotFound",
                                "The specified rule does not exist in this security group.");
      }
      if (!unknown.empty()) out["UnknownIpPermissions"] = Group(unknown);
    }
    group.value[list] = Group(rules);
    store::Txn txn;
    txn.compares = {{group.key, group.mod_revision}};
    txn.ops = {store::Op::Put(group.key, Serialize(group.value))};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return out;
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace

Outcome AuthorizeSecurityGroupIngress(Context& c, const RequestContext& ctx, object& in) {
  return Change(c, ctx, in, /*egress=*/false, /*authorize=*/true);
}
Outcome AuthorizeSecurityGroupEgress(Context& c, const RequestContext& ctx, object& in) {
  return Change(c, ctx, in, /*egress=*/true, /*authorize=*/true);
}
Outcome RevokeSecurityGroupIngress(Context& c, const RequestContext& ctx, object& in) {
  return Change(c, ctx, in, /*egress=*/false, /*authorize=*/false);
}
Outcome RevokeSecurityGroupEgress(Context& c, const RequestContext& ctx, object& in) {
  return Change(c, ctx, in, /*egress=*/true, /*authorize=*/false);
}

}  // namespace wharf::api::ec2
