// iptables rules the agent keeps per subnet, instead of the bridge plugin's ipMasq.
//
// The bridge plugin's ipMasq makes a chain and a POSTROUTING rule per container and removes
// them on DEL only when the container's namespace still exists, so an agent that crashed
// leaks them; it also costs several iptables runs on every ADD. One set of rules per subnet,
// tagged with the comment "wharf subnet <id>", is made when the subnet's first task is
// attached and removed with the subnet's bridge:
//   nat    POSTROUTING -s CIDR ! -d CIDR -j MASQUERADE          (tasks reach the outside)
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
