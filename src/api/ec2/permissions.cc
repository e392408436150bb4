// AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress.
//
// A group keeps its rules twice in its record: as AWS describes them (IpPermissions grouped
// by protocol and port range, each with its sources: what DescribeSecurityGroups shows and
// the node's firewall reads) and as `_wharf.rules`, one SecurityGroupRule shape per (protocol,
// ports, source) with its sgr- id and tags (what DescribeSecurityGroupRules shows and
// SecurityGroupRuleIds name). A change works on the flat rules and writes both forms.
// A group written before rules had ids gets ids derived from the group and the rule, so they
// stay the same until the group is next changed, which stores them.
#include <algorithm>

#include "base/crypto.h"

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
  std::string id;        // sgr-
  json::array tags;

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
                           GetString(s, "Description"), "", json::array()});
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
        Rule r{proto, from, to, kind, GetString(s, member), "", GetString(s, "Description"), "", json::array()};
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

std::string RuleText(const Rule& r) {
  std::string proto = r.protocol == "-1" ? "ALL" : r.protocol;
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char ch) { return std::toupper(ch); });
  std::string out = "peer: " + r.source + ", " + proto;
  if (r.from) out += ", from port: " + std::to_string(*r.from);
  if (r.to) out += ", to port: " + std::to_string(*r.to);
  return out + ", ALLOW";
}

// The SecurityGroupRule shape of a rule.
object RuleShape(const RequestContext& ctx, const std::string& group_id, bool egress, const Rule& r) {
  object out{{"SecurityGroupRuleId", r.id},
             {"GroupId", group_id},
             {"GroupOwnerId", ctx.account_id},
             {"IsEgress", egress},
             {"IpProtocol", r.protocol},
             {"FromPort", r.from.value_or(-1)},
             {"ToPort", r.to.value_or(-1)},
             {"SecurityGroupRuleArn", Ec2Arn(ctx, "security-group-rule", r.id)},
             {"Tags", r.tags}};
  if (r.kind == "IpRanges") out["CidrIpv4"] = r.source;
  if (r.kind == "Ipv6Ranges") out["CidrIpv6"] = r.source;
  if (r.kind == "PrefixListIds") out["PrefixListId"] = r.source;
  if (r.kind == "UserIdGroupPairs") {
    out["ReferencedGroupInfo"] = object{{"GroupId", r.source}, {"UserId", r.user_id}};
  }
  if (!r.description.empty()) out["Description"] = r.description;
  return out;
}

Rule FromShape(const object& s) {
  Rule r;
  r.protocol = GetString(s, "IpProtocol");
  auto from = GetInt(s, "FromPort"), to = GetInt(s, "ToPort");
  // Protocols without ports show -1 in a SecurityGroupRule but none in IpPermissions.
  bool ported = r.protocol == "tcp" || r.protocol == "udp" || r.protocol == "icmp" || r.protocol == "icmpv6";
  if (ported) {
    r.from = from;
    r.to = to;
  }
  if (Has(s, "CidrIpv4")) r.kind = "IpRanges", r.source = GetString(s, "CidrIpv4");
  if (Has(s, "CidrIpv6")) r.kind = "Ipv6Ranges", r.source = GetString(s, "CidrIpv6");
  if (Has(s, "PrefixListId")) r.kind = "PrefixListIds", r.source = GetString(s, "PrefixListId");
  if (Has(s, "ReferencedGroupInfo")) {
    r.kind = "UserIdGroupPairs";
    r.source = GetString(GetObject(s, "ReferencedGroupInfo"), "GroupId");
    r.user_id = GetString(GetObject(s, "ReferencedGroupInfo"), "UserId");
  }
  r.description = GetString(s, "Description");
  r.id = GetString(s, "SecurityGroupRuleId");
  r.tags = GetArray(s, "Tags");
  return r;
}

// The id a rule stored without one answers to, until its group is next written.
std::string DerivedRuleId(const std::string& group_id, bool egress, const Rule& r) {
  std::string key = group_id + (egress ? "/egress/" : "/ingress/") + r.protocol + "/" +
                    std::to_string(r.from.value_or(-1)) + "/" + std::to_string(r.to.value_or(-1)) + "/" + r.kind +
                    "/" + r.source;
  return "sgr-" + HexEncode(Sha256(key)).substr(0, 17);
}

std::vector<Rule> StoredRules(const object& group, bool egress) {
  const object& wharf = GetObject(group, "_wharf");
  if (Has(wharf, "rules")) {
    std::vector<Rule> out;
    for (const auto& s : GetArray(wharf, "rules")) {
      if (GetBool(s.as_object(), "IsEgress").value_or(false) == egress) out.push_back(FromShape(s.as_object()));
    }
    return out;
  }
  std::string group_id = GetString(group, "GroupId");
  std::vector<Rule> out = Flatten(GetArray(group, egress ? "IpPermissionsEgress" : "IpPermissions"));
  for (Rule& r : out) r.id = DerivedRuleId(group_id, egress, r);
  return out;
}

json::array RuleShapes(const RequestContext& ctx, const object& group) {
  json::array out;
  std::string group_id = GetString(group, "GroupId");
  for (bool egress : {false, true}) {
    for (const Rule& r : StoredRules(group, egress)) out.push_back(RuleShape(ctx, group_id, egress, r));
  }
  return out;
}

void StoreRules(const RequestContext& ctx, object& group, const std::vector<Rule>& ingress,
                const std::vector<Rule>& egress) {
  std::string group_id = GetString(group, "GroupId");
  group["IpPermissions"] = Group(ingress);
  group["IpPermissionsEgress"] = Group(egress);
  json::array shapes;
  for (const Rule& r : ingress) shapes.push_back(RuleShape(ctx, group_id, false, r));
  for (const Rule& r : egress) shapes.push_back(RuleShape(ctx, group_id, true, r));
  if (!group["_wharf"].is_object()) group["_wharf"] = object();
  group["_wharf"].as_object()["rules"] = std::move(shapes);
}

Outcome Change(Context& c, const RequestContext& ctx, object& in, bool egress, bool authorize) {
  std::vector<std::string> rule_ids = Strings(in, "SecurityGroupRuleIds");
  json::array tags = TagsFor(in, "security-group-rule");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindGroup(c, in);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& group = std::get<Record>(found);
    std::string group_id = GetString(group.value, "GroupId");
    std::vector<Rule> rules = StoredRules(group.value, egress);
    object out{{"Return", true}};
    if (!authorize && !rule_ids.empty()) {
      for (const std::string& id : rule_ids) {
        auto it = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.id == id; });
        if (it == rules.end()) {
          return AwsError::Client("InvalidSecurityGroupRuleId.NotFound",
                                  "The security group rule ID '" + id + "' does not exist");
        }
        rules.erase(it);
      }
    } else {
      auto requested = RequestedRules(c, in, ctx.account_id);
      if (auto* err = std::get_if<AwsError>(&requested)) return *err;
      if (authorize) {
        json::array added;
        for (Rule r : std::get<std::vector<Rule>>(requested)) {
          auto same = [&r](const Rule& x) { return x.SameAs(r); };
          if (std::any_of(rules.begin(), rules.end(), same)) {
            return AwsError::Client("InvalidPermission.Duplicate",
                                    "the specified rule \"" + RuleText(r) + "\" already exists");
          }
          r.id = c.NewId("sgr");
          r.tags = tags;
          added.emplace_back(RuleShape(ctx, group_id, egress, r));
          rules.push_back(std::move(r));
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
    }
    std::vector<Rule> other = StoredRules(group.value, !egress);
    StoreRules(ctx, group.value, egress ? other : rules, egress ? rules : other);
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

bool StoreRuleIds(const RequestContext& ctx, object& group) {
  if (Has(GetObject(group, "_wharf"), "rules")) return false;
  StoreRules(ctx, group, StoredRules(group, false), StoredRules(group, true));
  return true;
}

object* FindStoredRule(object& group, std::string_view rule_id) {
  json::value* wharf = group.if_contains("_wharf");
  if (!wharf || !wharf->is_object()) return nullptr;
  json::value* rules = wharf->as_object().if_contains("rules");
  if (!rules || !rules->is_array()) return nullptr;
  for (auto& r : rules->as_array()) {
    if (r.is_object() && GetString(r.as_object(), "SecurityGroupRuleId") == rule_id) return &r.as_object();
  }
  return nullptr;
}

Outcome ModifySecurityGroupRules(Context& c, const RequestContext& ctx, object& in) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindGroup(c, in);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& group = std::get<Record>(found);
    std::vector<Rule> ingress = StoredRules(group.value, false), egress = StoredRules(group.value, true);
    for (const auto& change : GetArray(in, "SecurityGroupRules")) {
      const object& update = change.as_object();
      std::string id = GetString(update, "SecurityGroupRuleId");
      const object& wanted = GetObject(update, "SecurityGroupRule");
      std::vector<Rule>* list = nullptr;
      std::vector<Rule>::iterator it;
      for (auto* rules : {&ingress, &egress}) {
        auto at = std::find_if(rules->begin(), rules->end(), [&](const Rule& r) { return r.id == id; });
        if (at != rules->end()) list = rules, it = at;
      }
      if (!list) {
        return AwsError::Client("InvalidSecurityGroupRuleId.NotFound",
                                "The security group rule ID '" + id + "' does not exist");
      }
      // The new rule, checked as Authorize checks one.
      object permission{{"IpProtocol", GetString(wanted, "IpProtocol")}};
      if (auto from = GetInt(wanted, "FromPort")) permission["FromPort"] = *from;
      if (auto to = GetInt(wanted, "ToPort")) permission["ToPort"] = *to;
      object source;
      const char* kind = nullptr;
      if (Has(wanted, "CidrIpv4")) kind = "IpRanges", source["CidrIp"] = GetString(wanted, "CidrIpv4");
      if (Has(wanted, "CidrIpv6")) kind = "Ipv6Ranges", source["CidrIpv6"] = GetString(wanted, "CidrIpv6");
      if (Has(wanted, "PrefixListId")) kind = "PrefixListIds", source["PrefixListId"] = GetString(wanted, "PrefixListId");
      if (Has(wanted, "ReferencedGroupId")) kind = "UserIdGroupPairs", source["GroupId"] = GetString(wanted, "ReferencedGroupId");
      if (!kind) return MissingParameter("SecurityGroupRule.CidrIpv4");
      if (Has(wanted, "Description")) source["Description"] = GetString(wanted, "Description");
      permission[kind] = json::array{source};
      object request{{"IpPermissions", json::array{permission}}};
      auto requested = RequestedRules(c, request, ctx.account_id);
      if (auto* err = std::get_if<AwsError>(&requested)) return *err;
      Rule r = std::get<std::vector<Rule>>(requested).front();
      r.id = id;
      r.tags = it->tags;
      for (const Rule& other : *list) {
        if (other.id != id && other.SameAs(r)) {
          return AwsError::Client("InvalidPermission.Duplicate",
                                  "the specified rule \"" + RuleText(r) + "\" already exists");
        }
      }
      *it = std::move(r);
    }
    StoreRules(ctx, group.value, ingress, egress);
    store::Txn txn{{{group.key, group.mod_revision}}, {store::Op::Put(group.key, Serialize(group.value))}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"Return", true}});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeSecurityGroupRules(Context& c, const RequestContext& ctx, object& in) {
  auto filters = Filters::Parse(in, {{"group-id", "GroupId"}, {"security-group-rule-id", "SecurityGroupRuleId"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  std::vector<std::string> ids = Strings(in, "SecurityGroupRuleIds");
  ASSIGN_OR_FAIL(auto groups, ReadRecords(c.store(), kSecurityGroupsPrefix), Ec2Error);
  std::vector<object> shapes;
  for (const Record& g : groups) {
    for (auto& s : RuleShapes(ctx, g.value)) shapes.push_back(std::move(s.as_object()));
  }
  std::sort(shapes.begin(), shapes.end(), [](const object& a, const object& b) {
    return GetString(a, "SecurityGroupRuleId") < GetString(b, "SecurityGroupRuleId");
  });
  for (const std::string& id : ids) {
    if (std::none_of(shapes.begin(), shapes.end(), [&](const object& s) { return GetString(s, "SecurityGroupRuleId") == id; })) {
      return AwsError::Client("InvalidSecurityGroupRuleId.NotFound",
                              "The security group rule ID '" + id + "' does not exist");
    }
  }
  json::array matched;
  for (object& s : shapes) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), GetString(s, "SecurityGroupRuleId")) == ids.end()) continue;
    if (std::get<Filters>(filters).Match(s)) matched.emplace_back(std::move(s));
  }
  object out;
  if (auto err = PageInto(in, std::move(matched), "SecurityGroupRuleId", "SecurityGroupRules", PageLimits{5, 1000},
                          !ids.empty(), "securityGroupRuleIds", out)) {
    return *err;
  }
  return out;
}

}  // namespace wharf::api::ec2
