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
// dev-mode reset recreates them. Its CIDR is a setting (10.213.0.0/16 by default, not AWS's
// 172.31.0.0/16, which a host inside a real AWS default VPC would collide with); a VPC that
// already exists keeps the CIDR it was created with.
//
// Thread-safety: free functions over a thread-safe Store; writes are revision-checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"
#include "model/keys.h"

namespace wharf::api::ec2 {

struct NetworkOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string vpc_cidr = "10.213.0.0/16";  // the default VPC's; prefix length 8..26
};

struct Subnet {
  std::string id;                 // subnet-0123456789abcdef0
  std::string cidr_block;         // 10.213.0.0/20
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
using model::keys::SecurityGroupKey;
using model::keys::SecurityGroupNameKey;
using model::keys::SubnetKey;
using model::keys::VpcKey;

// "10.213.0.0/16" -> address and prefix length, or nullopt if not an IPv4 CIDR block.
struct Ipv4Cidr {
  uint32_t address = 0;
  int prefix = 0;
};
std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text);
std::string FormatIpv4Cidr(const Ipv4Cidr& cidr);

}  // namespace wharf::api::ec2
