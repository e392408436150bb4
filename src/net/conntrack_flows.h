// Ending the connections a node DNAT'd to an address it no longer serves, through conntrack
// over netlink: a VPC interface endpoint deleted (or its interface in a subnet removed, or the
// endpoint replaced) ends its connections, as on AWS. The node's egress table stops DNATing
// new connections to the address at once, but an established flow keeps the NAT conntrack
// recorded for it; deleting the entry makes its next packet a connection of its own, which
// nothing redirects any more (agent/network/egress.h "endpoints"). Needs CAP_NET_ADMIN.
// Thread-safe (a netlink socket per call); blocks for at most a few seconds (the dump and one
// delete per entry).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::net {

// A TCP entry of conntrack as its dump shows it.
struct ConntrackFlow {
  sockaddr_in original_destination{};  // what the client dialled
  sockaddr_in reply_source{};          // who answers it: a DNAT's target, else the same
};
// Which entries to end.
using FlowFilter = std::function<bool(const ConntrackFlow&)>;

// Deletes the TCP entries of conntrack zone `zone` that `which` picks: the number deleted, or
// Unavailable (with errno's words) when conntrack cannot be asked, the dump fails or ends
// before its NLMSG_DONE (a silent kernel: two seconds), or a delete fails but for an entry
// gone already. Entries found before a failing dump are not deleted.
Result<int> EndConntrackFlows(uint16_t zone, const FlowFilter& which);
// Those whose original destination (what the client dialled) is `destination`.
Result<int> EndConntrackFlowsTo(uint16_t zone, const sockaddr_in& destination);

// One recv's worth `batch` of the kernel's answer to the dump numbered `seq`: the original
// tuples (each CTA_TUPLE_ORIG attribute whole, as a delete names an entry) of the TCP entries
// of zone `zone` that `which` picks are appended to `tuples`. true while more is to come, false
// at NLMSG_DONE; an error for the kernel's NLMSG_ERROR (its errno), a message of another
// request or one that does not parse. Pure; fuzzed (fuzz/conntrack_fuzzer.cc).
Result<bool> ParseConntrackDump(std::string_view batch, uint32_t seq, uint16_t zone, const FlowFilter& which,
                                std::vector<std::string>& tuples);

}  // namespace wharf::net
