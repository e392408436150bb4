#include "model/ec2_network.h"

#include <arpa/inet.h>

#include <boost/json/array.hpp>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

constexpr std::string_view kAttributes[] = {"enableDnsSupport", "enableDnsHostnames",
                                            "enableNetworkAddressUsageMetrics"};

std::optional<double> Number(const json::object& o, std::string_view member) {
  const json::value* v = o.if_contains(member);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

}  // namespace

std::string VpcRecord::id() const { return GetString(record_, "VpcId"); }
std::string VpcRecord::cidr_block() const { return GetString(record_, "CidrBlock"); }
bool VpcRecord::is_default() const { return GetBool(record_, "IsDefault").value_or(false); }

bool VpcRecord::attribute(std::string_view name) const {
  if (auto v = GetBool(GetObject(GetObject(record_, "_wharf"), "attributes"), name)) return *v;
  if (name == "enableDnsSupport") return true;
  if (name == "enableDnsHostnames") return is_default();
  return false;
}

void SetVpcAttribute(json::object& record, std::string_view name, bool value) {
  json::object attrs;
  for (std::string_view a : kAttributes) attrs[a] = VpcRecord(record).attribute(a);
  attrs[name] = value;
  json::value& wharf = record["_wharf"];
  if (!wharf.is_object()) wharf = json::object();
  wharf.as_object()["attributes"] = std::move(attrs);
}

std::string SubnetRecord::id() const { return GetString(record_, "SubnetId"); }
std::string SubnetRecord::vpc_id() const { return GetString(record_, "VpcId"); }
std::string SubnetRecord::cidr_block() const { return GetString(record_, "CidrBlock"); }
std::string SubnetRecord::availability_zone() const { return GetString(record_, "AvailabilityZone"); }

std::string RouteTableRecord::id() const { return GetString(record_, "RouteTableId"); }
std::string RouteTableRecord::vpc_id() const { return GetString(record_, "VpcId"); }

bool RouteTableRecord::is_main() const {
  for (const auto& a : GetArray(record_, "Associations")) {
    if (a.is_object() && GetBool(a.get_object(), "Main").value_or(false)) return true;
  }
  return false;
}

bool RouteTableRecord::has_associations() const { return !GetArray(record_, "Associations").empty(); }

bool RouteTableRecord::associated_with_subnet(std::string_view subnet_id) const {
  for (const auto& a : GetArray(record_, "Associations")) {
    if (a.is_object() && GetString(a.get_object(), "SubnetId") == subnet_id) return true;
  }
  return false;
}

bool RouteTableRecord::routes_to_internet_gateway() const {
  for (const auto& r : GetArray(record_, "Routes")) {
    if (!r.is_object()) continue;
    const boost::json::object& route = r.get_object();
    if (GetString(route, "DestinationCidrBlock") == "0.0.0.0/0" && GetString(route, "GatewayId").starts_with("igw-") &&
        GetString(route, "State", "active") == "active") {
      return true;
    }
  }
  return false;
}

bool RouteTableRecord::routes_outside() const {
  for (const auto& r : GetArray(record_, "Routes")) {
    if (!r.is_object()) continue;
    const boost::json::object& route = r.get_object();
    if (GetString(route, "DestinationCidrBlock") != "0.0.0.0/0" || GetString(route, "State", "active") != "active") continue;
    if (GetString(route, "GatewayId").starts_with("igw-") || !GetString(route, "NatGatewayId").empty()) return true;
  }
  return false;
}

const boost::json::object* RouteTableOfSubnet(const std::vector<boost::json::object>& tables,
                                              std::string_view subnet_id, std::string_view vpc_id) {
  const boost::json::object* main = nullptr;
  for (const auto& t : tables) {
    RouteTableRecord table(t);
    if (table.associated_with_subnet(subnet_id)) return &t;
    if (table.vpc_id() == vpc_id && table.is_main()) main = &t;
  }
  return main;
}

std::string InternetGatewayRecord::id() const { return GetString(record_, "InternetGatewayId"); }

std::string InternetGatewayRecord::attached_vpc() const {
  for (const auto& a : GetArray(record_, "Attachments")) {
    if (a.is_object()) return GetString(a.get_object(), "VpcId");
  }
  return "";
}

std::string NatGatewayRecord::id() const { return GetString(record_, "NatGatewayId"); }
std::string NatGatewayRecord::subnet_id() const { return GetString(record_, "SubnetId"); }
std::string NatGatewayRecord::vpc_id() const { return GetString(record_, "VpcId"); }
bool NatGatewayRecord::is_public() const { return GetString(record_, "ConnectivityType", "public") == "public"; }
bool NatGatewayRecord::deleted() const { return delete_time().has_value(); }
bool NatGatewayRecord::failed() const { return !GetString(record_, "FailureCode").empty(); }
std::optional<double> NatGatewayRecord::delete_time() const { return Number(record_, "DeleteTime"); }

std::string NatGatewayRecord::state(double now_seconds, double transition_seconds) const {
  if (auto deleted = delete_time()) return now_seconds - *deleted < transition_seconds ? "deleting" : "deleted";
  double created = Number(record_, "CreateTime").value_or(0);
  if (now_seconds - created < transition_seconds) return "pending";
  return failed() ? "failed" : "available";
}

std::string SubnetBridgeName(std::string_view subnet_id) {
  return std::string(kSubnetBridgePrefix) + std::string(subnet_id.size() > 12 ? subnet_id.substr(subnet_id.size() - 12) : subnet_id);
}

uint32_t VpcRouteTable(std::string_view vpc_id) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : vpc_id) {
    h ^= c;
    h *= 16777619u;
  }
  return 65536u + (h & 0xfffffu);
}

uint32_t ReplyMarkOfRouteTable(uint32_t table) {
  uint32_t h = (table - 65536u) & 0xfffffu;
  return 0x76000000u | ((h >> 12) << 16) | (h & 0xfffu);
}

uint32_t VpcReplyMark(std::string_view vpc_id) { return ReplyMarkOfRouteTable(VpcRouteTable(vpc_id)); }

// Zone 0 is every other packet's; a VPC's is never it.
static uint16_t ZoneOfTableBits(uint32_t h) { return static_cast<uint16_t>(1 + h % 65535u); }

uint16_t VpcConntrackZone(std::string_view vpc_id) { return ZoneOfTableBits(VpcRouteTable(vpc_id) - 65536u); }

uint16_t VpcConntrackZoneOfMark(uint32_t mark) {
  if ((mark & 0xff000000u) != 0x76000000u) return 0;
  return ZoneOfTableBits((((mark >> 16) & 0xffu) << 12) | (mark & 0xfffu));
}

std::string VpcResolverAddress(std::string_view vpc_cidr) {
  std::string base(vpc_cidr.substr(0, vpc_cidr.find('/')));
  in_addr a{};
  if (inet_pton(AF_INET, base.c_str(), &a) != 1) return "";
  in_addr resolver{htonl(ntohl(a.s_addr) + 2)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &resolver, text, sizeof text);
  return text;
}

}  // namespace wharf::model
