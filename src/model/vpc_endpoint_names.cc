#include "model/vpc_endpoint_names.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "base/crypto.h"
#include "model/json.h"
#include "model/vpc_dns.h"

namespace wharf::model {
namespace {

namespace json = boost::json;

// `n` characters of [a-z0-9] drawn from the digest of `seed`: AWS's suffix is random, wharf's
// is the endpoint id's own, so every describe and every resolver shows the same one.
std::string Characters(std::string_view seed, size_t n) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string digest = Sha256(seed), out;
  for (size_t i = 0; i < n && i < digest.size(); ++i) {
    out += kAlphabet[static_cast<unsigned char>(digest[i]) % kAlphabet.size()];
  }
  return out;
}

// A Route 53 zone id of wharf's making, "Z" and 13 of [A-Z0-9] drawn from `seed`: stable, so
// every describe shows the same.
std::string MadeUpHostedZoneId(std::string_view seed) {
  std::string id = Characters(seed, 13);
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::toupper(c); });
  return "Z" + id;
}

constexpr OfferedEndpointService kOffered[] = {
    {"application-autoscaling", "Interface"}, {"cloudformation", "Interface"}, {"dynamodb", "Gateway"},
    {"ec2", "Interface"}, {"ecr.api", "Interface"}, {"ecr.dkr", "Interface"}, {"ecs", "Interface"},
    {"elasticloadbalancing", "Interface"}, {"kms", "Interface"}, {"logs", "Interface"}, {"monitoring", "Interface"},
    {"s3", "Gateway"}, {"secretsmanager", "Interface"}, {"servicediscovery", "Interface"}, {"ssm", "Interface"},
    {"sts", "Interface"},
};

// AWS's public vpce zones' ids, as DescribeVpcEndpoints shows them in those regions.
constexpr std::pair<std::string_view, std::string_view> kVpceZoneIds[] = {
    {"us-east-1", "Z7HUB22UULQXV"},
    {"us-east-2", "ZC8PG0KIFKBRI"},
    {"us-west-2", "Z1YSA3EXCYUU9Z"},
};

}  // namespace

std::optional<EndpointServiceName> EndpointServiceName::Parse(std::string_view name) {
  constexpr std::string_view kPrefix = "com.amazonaws.";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 >= name.size()) return std::nullopt;
  EndpointServiceName out{std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
  if (out.region == "vpce") return std::nullopt;  // com.amazonaws.vpce.<region>.vpce-svc-...: another's
  return out;
}

std::string EndpointServiceName::ToString() const { return "com.amazonaws." + region + "." + service; }

std::span<const OfferedEndpointService> OfferedEndpointServices() { return kOffered; }

const OfferedEndpointService* FindOfferedEndpointService(std::string_view service) {
  for (const OfferedEndpointService& s : kOffered) {
    if (s.service == service) return &s;
  }
  return nullptr;
}

std::string EndpointBaseDnsName(std::string_view service, std::string_view region) {
  std::string name = EndpointPrivateDnsName(service, region);
  if (name.starts_with("*.")) name = name.substr(2);
  constexpr std::string_view kSuffix = ".amazonaws.com";
  return name.substr(0, name.size() - kSuffix.size()) + ".vpce" + std::string(kSuffix);
}

std::string EndpointDnsZone(std::string_view region) { return std::string(region) + ".vpce.amazonaws.com"; }

std::string EndpointDnsHostedZoneId(std::string_view region) {
  for (const auto& [r, id] : kVpceZoneIds) {
    if (r == region) return std::string(id);
  }
  return MadeUpHostedZoneId("vpce." + std::string(region));
}

std::string EndpointPrivateHostedZoneId(std::string_view vpc_id, std::string_view name) {
  return MadeUpHostedZoneId(std::string(vpc_id) + "/" + std::string(name));
}

std::vector<EndpointDnsName> EndpointDnsNames(const json::object& endpoint) {
  std::string id = GetString(endpoint, "VpcEndpointId");
  auto service = EndpointServiceName::Parse(GetString(endpoint, "ServiceName"));
  if (GetString(endpoint, "VpcEndpointType") != "Interface" || id.empty() || !service) return {};
  std::string base = EndpointBaseDnsName(service->service, service->region);
  std::string label = id + "-" + Characters(id, 8);
  const json::object& wharf = GetObject(endpoint, "_wharf");
  const json::object& zones = GetObject(wharf, "zones");
  std::vector<EndpointDnsName> out{{label + "." + base, "", {}}};
  std::map<std::string, std::vector<std::string>> by_zone;
  for (const auto& [subnet, address] : GetObject(wharf, "addresses")) {
    if (!address.is_string()) continue;
    out[0].addresses.emplace_back(address.get_string());
    std::string zone = GetString(zones, subnet);
    if (!zone.empty()) by_zone[zone].emplace_back(address.get_string());
  }
  for (auto& [zone, addresses] : by_zone) {
    out.push_back({label + "-" + zone + "." + base, zone, std::move(addresses)});
  }
  return out;
}

json::array EndpointDnsEntries(const json::object& endpoint) {
  json::array entries;
  auto service = EndpointServiceName::Parse(GetString(endpoint, "ServiceName"));
  if (!service) return entries;
  for (const EndpointDnsName& n : EndpointDnsNames(endpoint)) {
    entries.push_back(json::object{{"DnsName", n.name}, {"HostedZoneId", EndpointDnsHostedZoneId(service->region)}});
  }
  if (GetString(endpoint, "VpcEndpointType") == "Interface" && GetBool(endpoint, "PrivateDnsEnabled").value_or(false)) {
    std::string name = EndpointPrivateDnsName(service->service, service->region);
    entries.push_back(json::object{{"DnsName", name},
                                   {"HostedZoneId", EndpointPrivateHostedZoneId(GetString(endpoint, "VpcId"), name)}});
  }
  return entries;
}

}  // namespace wharf::model
