#include "controlplane/vpc_egress.h"

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
    if (GetString(route, "GatewayId").starts_with("igw-")) return {true, std::string(public_ip)};
    if (std::string nat = GetString(route, "NatGatewayId"); !nat.empty()) return {true, NatAddress(nat_gateways, nat)};
  }
  return {};
}

}  // namespace wharf::controlplane
