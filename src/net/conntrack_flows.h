// Ending the connections a node DNAT'd to an address it no longer serves, through conntrack
// over netlink: a VPC interface endpoint deleted (or its interface in a subnet removed) ends
// its connections, as on AWS. The node's egress table stops DNATing new connections to the
// address at once, but an established flow keeps the NAT conntrack recorded for it; deleting
// the entry makes its next packet a connection of its own, which nothing redirects any more
// (agent/network/egress.h "endpoints"). Needs CAP_NET_ADMIN. Thread-safe (a netlink socket
// per call); blocks for at most a few seconds (the dump and one delete per entry).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::net {

// Deletes the TCP entries of conntrack zone `zone` whose original destination (what the client
// dialled) is `destination`: the number deleted, or Unavailable when conntrack cannot be asked.
Result<int> EndConntrackFlowsTo(uint16_t zone, const sockaddr_in& destination);

// One recv's worth `batch` of the kernel's answer to the dump numbered `seq`: the original
// tuples (each CTA_TUPLE_ORIG attribute whole, as a delete names an entry) of the entries of
// zone `zone` going to TCP `destination` are appended to `tuples`. false once the dump is over
// (NLMSG_DONE, an error, a message that does not parse). Pure; fuzzed (fuzz/conntrack_fuzzer.cc).
bool ParseConntrackDump(std::string_view batch, uint32_t seq, uint16_t zone, const sockaddr_in& destination,
                        std::vector<std::string>& tuples);

}  // namespace wharf::net
