#include "controlplane/vpc_egress.h"

#include <algorithm>
#include <set>

#include "model/ec2_network.h"
#include "model/json.h"

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
                                          std::string_view vpc_id) {
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
    std::string service = GetString(e, "ServiceName");  // com.amazonaws.<region>.<name>
    size_t dot = service.find('.', std::string_view("com.amazonaws.").size());
    if (!service.starts_with("com.amazonaws.") || dot == std::string::npos) continue;
    std::string type = GetString(e, "VpcEndpointType");
    bool reached = type == "Interface" ? GetBool(e, "PrivateDnsEnabled").value_or(false)
                                       : type == "Gateway" && routed.count(GetString(e, "VpcEndpointId")) > 0;
    if (reached) services.insert(service.substr(dot + 1));
  }
  return {services.begin(), services.end()};
}

bool ReachesEcrThroughEndpoints(const std::vector<json::object>& endpoints,
                                const std::vector<json::object>& route_tables, std::string_view subnet_id,
                                std::string_view vpc_id) {
  std::vector<std::string> services = EndpointServices(endpoints, route_tables, subnet_id, vpc_id);
  auto has = [&services](std::string_view name) {
    return std::find(services.begin(), services.end(), name) != services.end();
  };
  return has("ecr.api") && has("ecr.dkr") && has("s3");
}

}  // namespace wharf::controlplane
