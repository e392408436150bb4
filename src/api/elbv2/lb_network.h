// Where a load balancer sits in its VPC (CreateLoadBalancer, SetSubnets, SetSecurityGroups):
// its subnets, checked against the EC2 API's records as ELBv2 checks them, and one network
// interface per subnet whose address is claimed under ecs/eni-ips/<subnet>/<ip> like every
// other user of a subnet's addresses (so none is handed out twice and DeleteSubnet refuses a
// subnet a load balancer is in). The interfaces are kept in the record (model/load_balancer.h)
// and shown by the EC2 API's DescribeNetworkInterfaces.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/elbv2/common.h"
#include "model/load_balancer.h"

namespace wharf::api::elbv2 {

struct LbSubnet {
  Record record;  // ec2/subnets/<id>, with the revision it was read at
  std::string id, vpc_id, zone, cidr;
};

struct LbPlacement {
  std::string vpc_id;
  std::vector<LbSubnet> subnets;  // sorted by zone
  json::array zones;              // the AvailabilityZones shape
};

// The subnets asked for in Subnets or SubnetMappings, or the default VPC's default subnets
// when neither is given: all exist (SubnetNotFound), are in one VPC and in distinct zones, at
// least two (InvalidConfigurationRequest).
std::variant<LbPlacement, AwsError> ResolveSubnets(Context& c, const json::object& in);

// An internet-facing load balancer's VPC has an internet gateway attached, else AWS's
// InvalidSubnet ("VPC vpc-... has no internet gateway").
std::optional<AwsError> CheckInternetGateway(Context& c, const std::string& vpc_id);

// Every group exists (InvalidSecurityGroup) and is in `vpc_id` (InvalidConfigurationRequest).
std::optional<AwsError> CheckSecurityGroups(Context& c, const json::array& groups, const std::string& vpc_id);

// The id of a VPC's `default` security group; empty when there is none.
Result<std::string> DefaultSecurityGroup(Context& c, const std::string& vpc_id);

// Adds to `txn` what moves the load balancer's interfaces from `current` to one per subnet of
// `placement`: an interface whose subnet stays is kept, a new subnet's gets the first free
// address (claimed compare-absent), a dropped subnet's address is released. Each subnet's
// record is compared and rewritten unchanged, so a DeleteSubnet racing this one sees it.
// An internet-facing load balancer's new interface also gets a public address from the pool
// (claimed compare-absent under ec2/public-ips/, released with the interface).
std::variant<std::vector<model::LoadBalancerInterface>, AwsError> PlanInterfaces(
    Context& c, const LbPlacement& placement, const std::vector<model::LoadBalancerInterface>& current,
    const std::string& lb_arn, bool internet_facing, store::Txn& txn);

// Adds the release of every address of `interfaces`, private and public, to `txn`.
void ReleaseInterfaces(const std::vector<model::LoadBalancerInterface>& interfaces, store::Txn& txn);

// IpAddressType: ipv4 only (wharf has no IPv6), else InvalidConfigurationRequest.
std::optional<AwsError> CheckIpAddressType(const std::string& type);

}  // namespace wharf::api::elbv2
