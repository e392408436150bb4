// iptables rules the agent keeps per subnet, instead of the bridge plugin's ipMasq.
//
// The bridge plugin's ipMasq makes a chain and a POSTROUTING rule per container and removes
// them on DEL only when the container's namespace still exists, so an agent that crashed
// leaks them; it also costs several iptables runs on every ADD. One set of rules per subnet,
// tagged with the comment "wharf subnet <id>", is made when the subnet's first task is
// attached and removed with the subnet's bridge:
//   nat    POSTROUTING -s CIDR ! -d CIDR -j MASQUERADE          (tasks reach the outside)
//          A VPC subnet's rule leaves the VPC's other bridges out (! -o wh-+), but for a
//          connection the node DNAT'd (a public address: maybe another VPC's, whose CIDR may
//          be this one): between subnets of one VPC a packet keeps its source address, as on
//          AWS, so the target sees, logs and answers its peer, not the gateway. Routing keeps
//          VPCs apart (a VPC's table names its own subnets only), so the rest of wh-* traffic
//          is in the VPC. The egress table's SNAT (egress.h, priority 99) comes first for what
//          leaves the VPCs.
//   nat    POSTROUTING -s CIDR -d CIDR --ctstate DNAT -j MASQUERADE
//          (a task reaching a neighbour's hostPort on the bridge gets its reply through the
//           host, which undoes the DNAT; without it the reply would come straight from the
//           neighbour's address and be dropped)
//   filter FORWARD -i BRIDGE -j ACCEPT, FORWARD -o BRIDGE -j ACCEPT
//          (a FORWARD policy of DROP, as Docker sets, would cut the tasks off)
// Thread-safe: iptables serialises through its own lock (-w).
#pragma once

#include <string>

#include "base/process.h"
#include "base/status.h"

namespace wharf::agent {

struct Subnet;

// Adds the rules that are missing.
Status EnsureSubnetRules(CommandRunner& runner, const Subnet& subnet);
// Deletes every copy of the rules. OK when there are none.
Status RemoveSubnetRules(CommandRunner& runner, const Subnet& subnet);

}  // namespace wharf::agent
