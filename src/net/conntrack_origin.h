// The original destination of a connection the host DNAT'd, from conntrack over netlink.
// getsockopt(SO_ORIGINAL_DST) looks a connection up in the default conntrack zone only, and a
// VPC's connections are tracked in the VPC's own zone (agent/network/network.h), so a task's
// connection DNAT'd to the server is found there by asking conntrack with the zone.
// Needs CAP_NET_ADMIN. Thread-safe (a netlink socket per call). Never blocks: the kernel answers
// a conntrack GET within the sendto, so the reply is read without waiting.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace wharf::net {

// The connection whose reply direction runs from `local` (the accepted socket's own address)
// to `peer`, tracked in conntrack zone `zone`: the destination its client dialled. nullopt
// when conntrack has no such connection or cannot be asked.
std::optional<sockaddr_in> ConntrackOriginalDestination(const sockaddr_in& local, const sockaddr_in& peer,
                                                        uint16_t zone);

// The original tuple's destination (address and port) in the kernel's answer `reply` to the
// IPCTNL_MSG_CT_GET numbered `seq`: nullopt for anything else (an NLMSG_ERROR, another
// message, a truncated or malformed one). Pure; fuzzed (fuzz/conntrack_fuzzer.cc).
std::optional<sockaddr_in> ParseConntrackOriginal(std::string_view reply, uint32_t seq);

}  // namespace wharf::net
