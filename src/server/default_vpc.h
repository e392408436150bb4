// The default VPC's CIDR when `--vpc-cidr` is not given: AWS's 172.31.0.0/16 (its default
// subnets the /20s 172.31.0.0, .16.0, .32.0, as AWS's), unless this host already uses part of
// it, then 10.213.0.0/16.
//
// Why not always AWS's: the node puts each subnet's first address (172.31.0.1, 172.31.16.1,
// ...) on the subnet's bridge, a host address, and the subnet's route in the host's main table
// (agent/network/network.h: the host reaches its tasks through them). On a machine that is
// itself in AWS's default VPC (an EC2 instance at 172.31.x.y/20, its router 172.31.x.1) that
// makes the instance's own router a local address and shadows its subnet: the host loses its
// network. Docker hands out 172.17.0.0/16..172.31.0.0/16 for its networks too. VPCs being
// routed apart on the node (policy routing) does not help: host addresses are the host's in
// every VPC. So the default follows AWS where it is safe and steps aside where it is not,
// with a log line; a VPC that already exists keeps the CIDR it was made with.
#pragma once

#include <string>
#include <vector>

namespace wharf {

inline constexpr const char* kAwsDefaultVpcCidr = "172.31.0.0/16";
inline constexpr const char* kFallbackDefaultVpcCidr = "10.213.0.0/16";

// AWS's CIDR unless one of `host_networks` ("a.b.c.d/n": the host's addresses with their
// prefixes, its routes, its routers as /32) overlaps it; then the fallback. Pure.
std::string ChooseDefaultVpcCidr(const std::vector<std::string>& host_networks);

// This host's IPv4 networks: its interfaces' addresses (with prefixes), the destinations of
// its main routing table's routes other than the default, and their gateways (/32). wharf's
// own bridges (wh-*, wharf0) and loopback are left out: a restarted server must not step aside
// from the CIDR its own node is using.
std::vector<std::string> HostIpv4Networks();

}  // namespace wharf
