#include "model/vpc_endpoint_names.h"

#include <algorithm>
#include <cctype>
#include <map>

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

}  // namespace

std::string EndpointBaseDnsName(std::string_view service, std::string_view region) {
  std::string name = EndpointPrivateDnsName(service, region);
  if (name.starts_with("*.")) name = name.substr(2);
  constexpr std::string_view kSuffix = ".amazonaws.com";
  return name.substr(0, name.size() - kSuffix.size()) + ".vpce" + std::string(kSuffix);
}

std::string EndpointDnsZone(std::string_view region) { return std::string(region) + ".vpce.amazonaws.com"; }

std::string EndpointDnsHostedZoneId(std::string_view region) {
  std::string id = Characters("vpce." + std::string(region), 13);
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::toupper(c); });
  return "Z" + id;
}

std::vector<EndpointDnsName> EndpointDnsNames(const json::object& endpoint) {
  constexpr std::string_view kPrefix = "com.amazonaws.";
  std::string id = GetString(endpoint, "VpcEndpointId");
  std::string service_name = GetString(endpoint, "ServiceName");
  size_t dot = service_name.find('.', kPrefix.size());
  if (GetString(endpoint, "VpcEndpointType") != "Interface" || id.empty() || !service_name.starts_with(kPrefix) ||
      dot == std::string::npos || dot + 1 >= service_name.size()) {
    return {};
  }
  std::string region = service_name.substr(kPrefix.size(), dot - kPrefix.size());
  std::string base = EndpointBaseDnsName(service_name.substr(dot + 1), region);
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

}  // namespace wharf::model
