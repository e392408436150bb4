// The subnets a node has set up on its host (bridge, iptables rules, a VPC's routing), each
// recorded in <network state dir>/subnets/<subnet id>.json before anything of it is made and
// forgotten once RemoveSubnetBridge has taken all of it down.
//
// Why: an agent takes a subnet's bridge down when it stops with no task left, but it knew
// only the subnets its own tasks used since it started. An agent killed (or stopped while a
// task's teardown was under way) left `wharf0` or a VPC bridge, its rules and its leases, and
// the next agent, with no task there, never took them down. The next agent reads these
// records at start and counts their subnets as its own (NodeResources::UseSubnet), so its
// idle stop removes them.
// Thread-safe: each call is one file operation; a record is written whole (rename) and synced,
// file and directory, before RecordSubnet returns.
#pragma once

#include <string>
#include <vector>

#include "agent/network/network.h"
#include "base/status.h"

namespace wharf::agent {

// Writes `subnet`'s record under `dir` (idempotent).
Status RecordSubnet(const std::string& dir, const Subnet& subnet);
// Every readable record under `dir`; an unreadable one is skipped (logged).
std::vector<Subnet> RecordedSubnets(const std::string& dir);
// Removes `subnet_id`'s record; OK when there is none.
void ForgetSubnet(const std::string& dir, const std::string& subnet_id);

}  // namespace wharf::agent
