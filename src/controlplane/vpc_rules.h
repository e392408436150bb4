// The rules of VPC address space, as EC2 applies them: VPC and subnet CIDR blocks, the five
// addresses AWS reserves in every subnet, the first free address for a network interface, and
// which resources keep a VPC, subnet or gateway from being deleted.
//
// Pure functions over values; no I/O. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace wharf::controlplane::vpc {

// An IPv4 CIDR block. `address` may have host bits set as written; Network() clears them.
struct Ipv4Cidr {
  uint32_t address = 0;
  int prefix = 0;

  uint32_t Mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t Network() const { return address & Mask(); }
  uint64_t Size() const { return uint64_t{1} << (32 - prefix); }
  uint32_t Last() const { return Network() + static_cast<uint32_t>(Size() - 1); }
  bool Contains(uint32_t ip) const { return (ip & Mask()) == Network(); }
  bool Contains(const Ipv4Cidr& inner) const { return inner.prefix >= prefix && Contains(inner.Network()); }
  bool Overlaps(const Ipv4Cidr& other) const { return Contains(other) || other.Contains(*this); }
};

// "10.0.0.0/16" -> the block; nullopt when it is not an IPv4 CIDR block.
std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text);
std::string FormatIpv4Cidr(const Ipv4Cidr& cidr);  // as written: host bits kept
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);

// A VPC's primary block: /16 (65,536 addresses) to /28 (16), AWS's limits.
inline constexpr int kLargestVpcPrefix = 16;
inline constexpr int kSmallestVpcPrefix = 28;
// A subnet: /16 to /28 too, inside its VPC's block.
inline constexpr int kLargestSubnetPrefix = 16;
inline constexpr int kSmallestSubnetPrefix = 28;
// AWS keeps the network address, .1 (the VPC router), .2 (DNS), .3 (future use) and the
// broadcast address of every subnet.
inline constexpr int kReservedPerSubnet = 5;

enum class CidrVerdict {
  kOk,
  kMalformed,  // not a CIDR block: InvalidParameterValue
  kOutOfRange, // wrong size or outside the VPC: InvalidVpc.Range / InvalidSubnet.Range
  kConflict,   // overlaps a subnet of the VPC: InvalidSubnet.Conflict
};

CidrVerdict CheckVpcCidr(std::string_view cidr);
// `siblings` are the CIDR blocks of the VPC's other subnets.
CidrVerdict CheckSubnetCidr(std::string_view cidr, std::string_view vpc_cidr,
                            const std::set<std::string>& siblings);

// What DescribeSubnets shows as AvailableIpAddressCount: the block less the reserved five
// and the addresses network interfaces took.
int64_t AvailableAddresses(const Ipv4Cidr& subnet, int64_t taken);

// The first address of `subnet` that is neither reserved nor in `taken` (dotted quads).
std::optional<std::string> FirstFreeAddress(const Ipv4Cidr& subnet, const std::set<std::string>& taken);

// What is still in a VPC when DeleteVpc is asked for. The VPC's own main route table,
// `default` security group and default network ACL go with it and are not counted.
struct VpcContents {
  int subnets = 0;
  int security_groups = 0;      // other than `default`
  int route_tables = 0;         // other than the main one
  int internet_gateways = 0;    // attached
  int nat_gateways = 0;         // not deleted
  int vpc_endpoints = 0;        // not deleted
  int network_interfaces = 0;
};
bool HasDependencies(const VpcContents& contents);

// What is still in a subnet when DeleteSubnet is asked for. Route table associations are not
// dependencies: they go with the subnet, as on AWS.
struct SubnetContents {
  int network_interfaces = 0;  // task ENIs, NAT gateways' and endpoints' interfaces
  int nat_gateways = 0;        // not deleted
};
bool HasDependencies(const SubnetContents& contents);

}  // namespace wharf::controlplane::vpc
