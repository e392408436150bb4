// The original destination of a connection the host DNAT'd, from conntrack over netlink.
// getsockopt(SO_ORIGINAL_DST) looks a connection up in the default conntrack zone only, and a
// VPC's connections are tracked in the VPC's own zone (agent/network/network.h), so a task's
// connection DNAT'd to the server is found there by asking conntrack with the zone.
// Needs CAP_NET_ADMIN. Thread-safe (a netlink socket per call).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>

namespace wharf::net {

// The connection whose reply direction runs from `local` (the accepted socket's own address)
// to `peer`, tracked in conntrack zone `zone`: the destination its client dialled. nullopt
// when conntrack has no such connection or cannot be asked.
std::optional<sockaddr_in> ConntrackOriginalDestination(const sockaddr_in& local, const sockaddr_in& peer,
                                                        uint16_t zone);

}  // namespace wharf::net
