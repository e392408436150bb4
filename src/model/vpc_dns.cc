#include "model/vpc_dns.h"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

// The wire names ("vpcDns" in the agent feed), each spelled once.
constexpr std::string_view kVpcId = "vpcId";
constexpr std::string_view kSupport = "support";
constexpr std::string_view kZones = "zones";
constexpr std::string_view kReverse = "reverseCidrs";
constexpr std::string_view kNames = "names";
constexpr std::string_view kType = "type";
constexpr std::string_view kTtl = "ttl";
constexpr std::string_view kValues = "values";
constexpr std::string_view kKeep = "keep";
constexpr std::string_view kReverseZone = "in-addr.arpa";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool AtOrUnder(std::string_view name, std::string_view zone) {
  return name == zone ||
         (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.');
}

Status Malformed(std::string_view what) { return Status::InvalidArgument("vpcDns: " + std::string(what)); }

Result<std::vector<std::string>> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (Has(o, key) && !o.at(key).is_array()) return Malformed(std::string(key) + " is not an array");
  for (const auto& v : GetArray(o, key)) {
    if (!v.is_string()) return Malformed(std::string(key) + " has a non-string");
    out.emplace_back(v.get_string());
  }
  return out;
}

// "10.0.1.5" from "5.1.0.10.in-addr.arpa"; "" for another name.
std::string AddressOfReverseName(std::string_view name) {
  if (!name.ends_with(std::string(".") + std::string(kReverseZone))) return "";
  std::string_view labels = name.substr(0, name.size() - kReverseZone.size() - 1);
  std::vector<std::string_view> parts;
  while (!labels.empty()) {
    size_t dot = labels.rfind('.');
    parts.push_back(dot == std::string_view::npos ? labels : labels.substr(dot + 1));
    labels = dot == std::string_view::npos ? std::string_view() : labels.substr(0, dot);
  }
  if (parts.size() != 4) return "";
  std::string ip;
  for (size_t i = 0; i < parts.size(); ++i) ip += (i ? "." : "") + std::string(parts[i]);
  in_addr a{};
  return inet_pton(AF_INET, ip.c_str(), &a) == 1 ? ip : "";
}

bool InCidr(const std::string& ip, const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  in_addr a{}, base{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1 || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &base) != 1) {
    return false;
  }
  int bits = IntFromText(cidr.substr(slash + 1), -1);
  if (bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(base.s_addr) & mask);
}

const DnsRecordSet* SetOf(const std::vector<DnsRecordSet>& sets, std::string_view type) {
  for (const auto& s : sets) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

}  // namespace

void VpcDnsTable::Add(std::string name, DnsRecordSet set) {
  auto& sets = names[Lower(name)];
  for (auto& s : sets) {
    if (s.type != set.type) continue;
    s.values.insert(s.values.end(), set.values.begin(), set.values.end());
    return;
  }
  sets.push_back(std::move(set));
}

json::object VpcDnsTable::ToJson() const {
  json::array zone_list, reverse;
  for (const auto& z : zones) zone_list.emplace_back(z);
  for (const auto& c : reverse_cidrs) reverse.emplace_back(c);
  json::object name_map;
  for (const auto& [name, sets] : names) {
    json::array list;
    for (const auto& s : sets) {
      json::array values;
      for (const auto& v : s.values) values.emplace_back(v);
      list.push_back(json::object{{kType, s.type}, {kTtl, s.ttl}, {kValues, std::move(values)},
                                  {kKeep, static_cast<int64_t>(s.keep)}});
    }
    name_map[name] = std::move(list);
  }
  return json::object{{kVpcId, vpc_id}, {kSupport, support}, {kZones, std::move(zone_list)},
                      {kReverse, std::move(reverse)}, {kNames, std::move(name_map)}};
}

Result<VpcDnsTable> VpcDnsTable::FromJson(const json::object& o) {
  VpcDnsTable t;
  t.vpc_id = GetString(o, kVpcId);
  if (t.vpc_id.empty()) return Malformed("vpcId is missing");
  auto support = GetBool(o, kSupport);
  if (!support) return Malformed("support is missing");
  t.support = *support;
  ASSIGN_OR_RETURN(t.zones, Strings(o, kZones));
  ASSIGN_OR_RETURN(t.reverse_cidrs, Strings(o, kReverse));
  if (Has(o, kNames) && !o.at(kNames).is_object()) return Malformed("names is not an object");
  for (const auto& [name, list] : GetObject(o, kNames)) {
    if (!list.is_array()) return Malformed("a name's record sets are not an array");
    for (const auto& v : list.get_array()) {
      if (!v.is_object()) return Malformed("a record set is not an object");
      const json::object& s = v.get_object();
      DnsRecordSet set;
      set.type = GetString(s, kType);
      auto ttl = GetInt(s, kTtl);
      auto keep = GetInt(s, kKeep);
      if (set.type.empty() || !ttl || *ttl < 0 || !keep || *keep < 0) return Malformed("a record set is malformed");
      set.ttl = *ttl;
      set.keep = static_cast<size_t>(*keep);
      ASSIGN_OR_RETURN(set.values, Strings(s, kValues));
      t.names[Lower(name)].push_back(std::move(set));
    }
  }
  return t;
}

namespace {
// The wildcard that answers `name`, a name of one of the table's zones that has no records of
// its own (RFC 4592, as Route 53 answers it): `*.<ancestor>` of its nearest ancestor that has
// one, the search stopping at an ancestor that has records itself (the closest encloser) or at
// the zone's apex. AWS's ecr.dkr private zone is `*.dkr.ecr.<region>.amazonaws.com`.
// Simplified: an empty non-terminal (an ancestor with no records of its own but names below
// it, as `b.example` is for `a.b.example`) should stop the search too (RFC 4592 2.2.2); the
// table keeps no index of descendants to see one, and its zones with a wildcard (an
// endpoint's private name) have none.
std::map<std::string, std::vector<DnsRecordSet>>::const_iterator Wildcard(const VpcDnsTable& table,
                                                                         std::string_view name) {
  for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
    std::string parent(name.substr(dot + 1));
    if (auto it = table.names.find("*." + parent); it != table.names.end()) return it;
    bool apex = std::find(table.zones.begin(), table.zones.end(), parent) != table.zones.end();
    if (apex || table.names.count(parent)) break;
  }
  return table.names.end();
}
}  // namespace

VpcDnsAnswer LookupVpcDns(const VpcDnsTable& table, std::string_view query, std::string_view type, uint64_t pick) {
  VpcDnsAnswer out;
  if (!table.support) {
    out.silent = true;
    return out;
  }
  std::string name = Lower(query);
  if (name.ends_with('.')) name.pop_back();
  for (const auto& zone : table.zones) {
    if (!AtOrUnder(name, zone)) continue;
    out.ours = true;
    out.name_exists = out.name_exists || name == zone;
  }
  if (!out.ours) {
    std::string ip = AddressOfReverseName(name);
    for (const auto& cidr : table.reverse_cidrs) out.ours = out.ours || (!ip.empty() && InCidr(ip, cidr));
  }
  if (!out.ours) return out;
  auto it = table.names.find(name);
  if (it == table.names.end()) it = Wildcard(table, name);
  if (it == table.names.end()) return out;
  out.name_exists = true;
  const DnsRecordSet* set = SetOf(it->second, type);
  if (!set && (type == "A" || type == "AAAA")) set = SetOf(it->second, "CNAME");
  if (!set || set->values.empty()) return out;
  std::vector<std::string> values = set->values;
  if (set->keep && values.size() > set->keep) {
    std::rotate(values.begin(), values.begin() + static_cast<long>(pick % values.size()), values.end());
    values.resize(set->keep);
  }
  for (auto& v : values) out.answers.push_back({set->type, set->ttl, std::move(v)});
  return out;
}

std::string PrivateDnsDomain(std::string_view region) {
  // us-east-1 kept EC2's first domain; every later region has its own under compute.internal.
  return region == "us-east-1" ? "ec2.internal" : std::string(region) + ".compute.internal";
}

namespace {
std::string Dashed(std::string_view ip) {
  std::string dashed(ip);
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return dashed;
}
}  // namespace

std::string PrivateDnsName(std::string_view ip, std::string_view region) {
  return "ip-" + Dashed(ip) + "." + PrivateDnsDomain(region);
}

std::string PublicDnsName(std::string_view public_ip, std::string_view region) {
  // As with the private names, us-east-1 keeps EC2's first domain (compute-1).
  std::string domain = region == "us-east-1" ? "compute-1" : std::string(region) + ".compute";
  return "ec2-" + Dashed(public_ip) + "." + domain + ".amazonaws.com";
}

std::string EndpointPrivateDnsName(std::string_view service, std::string_view region) {
  const std::string domain = "." + std::string(region) + ".amazonaws.com";
  if (service == "ecr.api") return "api.ecr" + domain;
  if (service == "ecr.dkr") return "*.dkr.ecr" + domain;
  return std::string(service) + domain;
}

std::string ReverseName(std::string_view ip) {
  in_addr a{};
  std::string text(ip);
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return "";
  const auto* b = reinterpret_cast<const uint8_t*>(&a.s_addr);
  return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." + std::to_string(b[0]) +
         "." + std::string(kReverseZone);
}

}  // namespace wharf::model
