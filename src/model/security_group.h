// Security groups as the nodes enforce them (docs/SECURITY_GROUPS.md).
//
// The stored record, ec2/security-groups/<sg-id>, is the SecurityGroup shape of
// DescribeSecurityGroups: IpPermissions / IpPermissionsEgress grouped by protocol and ports,
// each with its sources. `SecurityGroupRecord` reads it into flat rules, one per
// (protocol, ports, peer), which is what a firewall compiles.
//
// What the server sends a node, beside its task assignments (the feed, docs/AGENT.md):
//   "securityGroups": [{"groupId", "ingress": [<rule>], "egress": [<rule>]}]
//       the rules of every group one of the node's awsvpc ENIs is in;
//   "groupMembers": [{"groupId", "addresses": [ipv4...], "marks": [u32...]}]
//       the live members of every group those rules name as a peer: the addresses of the
//       awsvpc tasks in it (any node, not STOPPED) and the socket marks of the load
//       balancers in it (LoadBalancerMark), whose connections to targets come from a host;
//   <rule> = {"protocol": "-1"|"tcp"|"udp"|"icmp"|"icmpv6"|<number>, "fromPort", "toPort",
//             one of "cidr" (IPv4 or IPv6), "groupId", "prefixListId"}.
// FromJson checks what a node is sent: a malformed message is InvalidArgument. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

struct SecurityGroupRule {
  std::string protocol = "-1";  // as EC2 stores it: -1 (all), tcp, udp, icmp, icmpv6 or a number
  int from_port = -1;           // tcp/udp: first port; icmp: type; -1: all
  int to_port = -1;             // tcp/udp: last port; icmp: code; -1: all
  // The peer, exactly one set: the source (ingress) or destination (egress).
  std::string cidr;
  std::string group_id;
  std::string prefix_list_id;

  bool operator==(const SecurityGroupRule&) const = default;
};

struct SecurityGroupRules {
  std::string group_id;
  std::vector<SecurityGroupRule> ingress;
  std::vector<SecurityGroupRule> egress;

  bool operator==(const SecurityGroupRules&) const = default;
};

struct SecurityGroupMembers {
  std::vector<std::string> addresses;  // IPv4 addresses of its awsvpc tasks' ENIs
  std::vector<uint32_t> marks;         // socket marks of the load balancers in it

  bool operator==(const SecurityGroupMembers&) const = default;
};

// What a node needs to enforce its ENIs' groups.
struct NodeSecurity {
  std::vector<SecurityGroupRules> groups;                // by group id
  std::map<std::string, SecurityGroupMembers> members;  // by group id

  bool empty() const { return groups.empty() && members.empty(); }
  // Adds "securityGroups" and "groupMembers" to the feed's answer.
  void AddTo(boost::json::object& answer) const;
  // Reads them back; both absent is an empty NodeSecurity.
  static Result<NodeSecurity> FromAnswer(const boost::json::object& answer);

  bool operator==(const NodeSecurity&) const = default;
};

// A typed view of a stored group (the SecurityGroup shape). The record must outlive it.
class SecurityGroupRecord {
 public:
  explicit SecurityGroupRecord(const boost::json::object& record) : record_(record) {}
  std::string group_id() const;
  std::string vpc_id() const;
  // The flat rules: one per (protocol, ports, peer) of IpPermissions / IpPermissionsEgress.
  SecurityGroupRules rules() const;

 private:
  const boost::json::object& record_;
};

// The SO_MARK a load balancer's connections to its targets carry, so that a node tells them
// from other traffic of its host: 0x77 in the top byte, 20 bits of a hash of the ARN below
// (bits 0xf000 clear, as other programs use them).
uint32_t LoadBalancerMark(std::string_view load_balancer_arn);

}  // namespace wharf::model
