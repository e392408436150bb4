#include "controlplane/vpc_egress.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/security_group.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {

// The elastic IP of NAT gateway `id` while it holds its resources; "" otherwise (a private
// NAT gateway has none, and reaches nothing the host plays as the internet).
std::string NatAddress(const std::vector<json::object>& nat_gateways, std::string_view id) {
  for (const json::object& g : nat_gateways) {
    model::NatGatewayRecord nat(g);
    if (nat.id() != id) continue;
    if (!nat.holds_resources() || !nat.is_public()) return "";
    for (const auto& a : GetArray(g, "NatGatewayAddresses")) {
      if (a.is_object() && !GetString(a.get_object(), "PublicIp").empty()) return GetString(a.get_object(), "PublicIp");
    }
    return "";
  }
  return "";
}

// "com.amazonaws.<region>.<name>" -> "<name>"; "" for another name.
std::string ShortServiceName(const std::string& service) {
  auto name = model::EndpointServiceName::Parse(service);
  return name ? name->service : "";
}

// Whether group record `group` admits `ip` (a member of `ip_groups`) on TCP `port`.
bool Admits(const json::object& group, uint32_t ip, const std::vector<std::string>& ip_groups, int port) {
  for (const model::SecurityGroupRule& r : model::SecurityGroupRecord(group).rules().ingress) {
    if (r.protocol != "-1" && r.protocol != "tcp" && r.protocol != "6") continue;
    bool all_ports = r.protocol == "-1" || r.from_port < 0;
    if (!all_ports && (port < r.from_port || port > r.to_port)) continue;
    if (!r.cidr.empty()) {
      auto cidr = vpc::ParseIpv4Cidr(r.cidr);
      if (cidr && cidr->Contains(ip)) return true;
    }
    if (!r.group_id.empty() && std::find(ip_groups.begin(), ip_groups.end(), r.group_id) != ip_groups.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

EniEgress ResolveEniEgress(const std::vector<json::object>& route_tables, const std::vector<json::object>& nat_gateways,
                           std::string_view subnet_id, std::string_view vpc_id, std::string_view public_ip) {
  const json::object* table = model::RouteTableOfSubnet(route_tables, subnet_id, vpc_id);
  if (!table) return {};
  for (const auto& r : GetArray(*table, "Routes")) {
    if (!r.is_object()) continue;
    const json::object& route = r.get_object();
    if (GetString(route, "DestinationCidrBlock") != "0.0.0.0/0" || GetString(route, "State", "active") != "active") {
      continue;
    }
    if (GetString(route, "GatewayId").starts_with("igw-")) return {true, std::string(public_ip), true};
    if (std::string nat = GetString(route, "NatGatewayId"); !nat.empty()) return {true, NatAddress(nat_gateways, nat)};
  }
  return {};
}

std::string PullReach(const EniEgress& way, bool ecr_endpoints) {
  if (!way.outside_address.empty() || way.via_internet_gateway) return "any";
  return ecr_endpoints ? "ecr" : "";
}

std::vector<std::string> EndpointServices(const std::vector<json::object>& endpoints,
                                          const std::vector<json::object>& route_tables, std::string_view subnet_id,
                                          std::string_view vpc_id, bool private_dns) {
  const json::object* table = model::RouteTableOfSubnet(route_tables, subnet_id, vpc_id);
  std::set<std::string> routed;  // gateway endpoints the subnet's table routes to
  if (table) {
    for (const auto& r : GetArray(*table, "Routes")) {
      if (r.is_object() && !GetString(r.get_object(), "DestinationPrefixListId").empty()) {
        routed.insert(GetString(r.get_object(), "GatewayId"));
      }
    }
  }
  std::set<std::string> services;
  for (const json::object& e : endpoints) {
    if (GetString(e, "VpcId") != vpc_id || GetString(e, "State") != "available") continue;
    std::string name = ShortServiceName(GetString(e, "ServiceName"));
    if (name.empty()) continue;
    std::string type = GetString(e, "VpcEndpointType");
    bool reached = type == "Interface" ? private_dns && GetBool(e, "PrivateDnsEnabled").value_or(false)
                                       : type == "Gateway" && routed.count(GetString(e, "VpcEndpointId")) > 0;
    if (reached) services.insert(name);
  }
  return {services.begin(), services.end()};
}

std::vector<EndpointInterface> EndpointInterfaces(const std::vector<json::object>& endpoints,
                                                  const std::vector<json::object>& groups, std::string_view subnet_id,
                                                  std::string_view vpc_id, std::string_view eni_ip,
                                                  const std::vector<std::string>& eni_groups, bool private_dns) {
  std::vector<EndpointInterface> out;
  std::map<std::string, size_t> named;  // service -> the endpoint its private name answers
  auto ip = vpc::ParseIpv4(eni_ip);
  for (const json::object& e : endpoints) {
    if (GetString(e, "VpcId") != vpc_id || GetString(e, "State") != "available") continue;
    if (GetString(e, "VpcEndpointType") != "Interface") continue;
    std::string name = ShortServiceName(GetString(e, "ServiceName"));
    std::string id = GetString(e, "VpcEndpointId");
    if (name.empty()) continue;
    // Its interfaces, by subnet (vpc_endpoints.cc keeps them under _wharf.addresses).
    const json::object& addresses = GetObject(GetObject(e, "_wharf"), "addresses");
    std::string address = GetString(addresses, subnet_id);
    if (address.empty()) {
      for (const auto& s : GetArray(e, "SubnetIds")) {
        if (s.is_string()) address = GetString(addresses, std::string_view(s.get_string()));
        if (!address.empty()) break;
      }
    }
    if (address.empty()) continue;  // no interface: nothing answers its names
    EndpointInterface interface{name, address, {}, false, id, false};
    for (const auto& [_, a] : addresses) {
      if (a.is_string()) interface.addresses.emplace_back(a.get_string());
    }
    std::sort(interface.addresses.begin(), interface.addresses.end());
    for (const auto& g : GetArray(e, "Groups")) {
      if (!g.is_object() || !ip) continue;
      std::string group_id = GetString(g.get_object(), "GroupId");
      for (const json::object& group : groups) {
        if (model::SecurityGroupRecord(group).group_id() == group_id && Admits(group, *ip, eni_groups, kEndpointPort)) {
          interface.admitted = true;
        }
      }
    }
    if (private_dns && GetBool(e, "PrivateDnsEnabled").value_or(false)) {
      auto [it, first] = named.emplace(name, out.size());
      if (!first && out[it->second].vpc_endpoint_id > id) it->second = out.size();
    }
    out.push_back(std::move(interface));
  }
  for (const auto& [_, i] : named) out[i].private_dns = true;
  std::sort(out.begin(), out.end(), [](const EndpointInterface& a, const EndpointInterface& b) {
    return std::tie(a.service, a.vpc_endpoint_id) < std::tie(b.service, b.vpc_endpoint_id);
  });
  return out;
}

bool PrivateDnsWorks(const json::object* vpc) {
  if (!vpc) return true;
  model::VpcRecord view(*vpc);
  return view.attribute("enableDnsSupport") && view.attribute("enableDnsHostnames");
}

bool ReachesEcrThroughEndpoints(const std::vector<json::object>& endpoints,
                                const std::vector<json::object>& route_tables, std::string_view subnet_id,
                                std::string_view vpc_id, bool private_dns) {
  std::vector<std::string> services = EndpointServices(endpoints, route_tables, subnet_id, vpc_id, private_dns);
  auto has = [&services](std::string_view name) {
    return std::find(services.begin(), services.end(), name) != services.end();
  };
  return has("ecr.api") && has("ecr.dkr") && has("s3");
}

}  // namespace wharf::controlplane
