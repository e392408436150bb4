// The EC2 networking state wharf keeps: one default VPC per server, its default subnets (one
// per availability zone a/b/c) and security groups. ECS reads it to check the subnets and
// security groups of a task's awsvpcConfiguration; the EC2 API (ec2.h) shows and changes it.
//
// Store keys (drawn in docs/STATE.md; values are the botocore shapes as DescribeVpcs,
// DescribeSubnets and DescribeSecurityGroups return them, member names as in the model):
//   ec2/vpcs/<vpc-id>                         <Vpc>
//   ec2/subnets/<subnet-id>                   <Subnet>
//   ec2/security-groups/<sg-id>               <SecurityGroup>
//   ec2/security-group-names/<vpc-id>/<name>  {"GroupId": ..}: a group name is unique per VPC
//
// The default VPC, its subnets and its `default` security group have ids derived from the
// account and region (vpc-<17 hex> etc.), so they are the same across restarts and after a
// dev-mode reset recreates them. Its CIDR is a setting: the server's --vpc-cidr, by default
// AWS's 172.31.0.0/16 unless the server's host uses part of it (server/default_vpc.h); a VPC
// that already exists keeps the CIDR it was created with.
//
// Thread-safety: free functions over a thread-safe Store; writes are revision-checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "base/status.h"
#include "controlplane/vpc_rules.h"
#include "store/store.h"
#include "model/keys.h"

namespace wharf::api::ec2 {

struct NetworkOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string vpc_cidr = "172.31.0.0/16";  // the default VPC's; prefix length 8..26
  // Where elastic IPs come from (AllocateAddress): by default TEST-NET-2, a documentation
  // range no real host owns, since wharf's public addresses are names, not routes.
  std::string public_ip_pool = "198.51.100.0/24";
  // How long a NAT gateway is pending (and deleting) before it is available (deleted), as
  // AWS takes a while; clients' waiters poll through it.
  int64_t nat_gateway_transition_ms = 2000;
};

struct Subnet {
  std::string id;                 // subnet-0123456789abcdef0
  std::string cidr_block;         // 172.31.0.0/20
  std::string vpc_id;             // vpc-...
  std::string availability_zone;  // us-east-1a
};

// The subnet with this id, or nullopt when there is none.
Result<std::optional<Subnet>> FindSubnet(store::Store& store, std::string_view subnet_id);

// Whether a security group with this id (sg-...) exists.
Result<bool> SecurityGroupExists(store::Store& store, std::string_view id);

// Creates the default VPC, its subnets and its default security group unless they exist.
// Idempotent and safe to race: the records are created in one transaction that requires
// them absent.
Status EnsureDefaultVpc(store::Store& store, const NetworkOptions& options);

// The default VPC's id for these options (whether or not it exists yet).
std::string DefaultVpcId(const NetworkOptions& options);

// The availability zones wharf reports in a region: <region>a, b and c.
std::vector<std::string> AvailabilityZones(std::string_view region);
// AWS's zone id for a zone name ("us-east-1a" -> "use1-az1").
std::string AvailabilityZoneId(std::string_view zone_name);

// Store keys.
inline constexpr std::string_view kVpcsPrefix = model::keys::kVpcs;
inline constexpr std::string_view kSubnetsPrefix = model::keys::kSubnets;
inline constexpr std::string_view kSecurityGroupsPrefix = model::keys::kSecurityGroups;
inline constexpr std::string_view kInternetGatewaysPrefix = model::keys::kInternetGateways;
inline constexpr std::string_view kAddressesPrefix = model::keys::kAddresses;
inline constexpr std::string_view kNatGatewaysPrefix = model::keys::kNatGateways;
inline constexpr std::string_view kRouteTablesPrefix = model::keys::kRouteTables;
inline constexpr std::string_view kNetworkAclsPrefix = model::keys::kNetworkAcls;
inline constexpr std::string_view kVpcEndpointsPrefix = model::keys::kVpcEndpoints;
using model::keys::SecurityGroupKey;
using model::keys::SecurityGroupNameKey;
using model::keys::SubnetKey;
using model::keys::VpcKey;
using model::keys::InternetGatewayKey;
using model::keys::AddressKey;
using model::keys::PublicIpKey;
using model::keys::NatGatewayKey;
using model::keys::RouteTableKey;
using model::keys::NetworkAclKey;
using model::keys::VpcEndpointKey;

using controlplane::vpc::FormatIpv4Cidr;
using controlplane::vpc::Ipv4Cidr;
using controlplane::vpc::ParseIpv4Cidr;

// The ids of what a VPC is made with.
struct VpcIds {
  std::string vpc;                      // vpc-
  std::string cidr_association;         // vpc-cidr-assoc-
  std::string main_route_table;         // rtb-
  std::string main_association;         // rtbassoc-
  std::string default_security_group;   // sg-
  std::string default_network_acl;      // acl-
  std::string dhcp_options;             // dopt-
};

// The records CreateVpc writes together (the default VPC too): the Vpc with wharf's part
// (`_wharf.attributes`: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics),
// its main route table with the local route, its `default` security group (in from its own
// members, all out) and its default network ACL (all in and out allowed, then denied).
struct VpcRecords {
  boost::json::object vpc, main_route_table, default_security_group, default_network_acl;
};
VpcRecords MakeVpcRecords(const NetworkOptions& where, const VpcIds& ids, const std::string& cidr,
                          bool is_default, const std::string& tenancy, const boost::json::array& tags);

// A Subnet shape; AvailableIpAddressCount is computed when it is shown.
boost::json::object MakeSubnet(const NetworkOptions& where, const std::string& id, const std::string& vpc_id,
                               const std::string& cidr, const std::string& zone, bool default_for_az);

// A VPC's main route table's id, the VPC's own route tables read from the store; empty when none.
Result<std::string> MainRouteTableId(store::Store& store, std::string_view vpc_id);

}  // namespace wharf::api::ec2
