// Netlink attributes as the kernel lays them out (aligned to 4), for tests that feed parsers
// of conntrack's messages (net/conntrack_origin, net/conntrack_flows).
#pragma once

#include <arpa/inet.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace wharf::testing {

inline std::string Attr(uint16_t type, std::string payload) {
  std::string out(NLA_HDRLEN, '\0');
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + payload.size()), type};
  std::memcpy(out.data(), &a, sizeof a);
  out += payload;
  out.resize(NLA_ALIGN(out.size()), '\0');
  return out;
}
inline std::string Nest(uint16_t type, std::string inner) { return Attr(type | NLA_F_NESTED, std::move(inner)); }
// An IPv4 address's 4 bytes, in network order.
inline std::string Address(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return std::string(reinterpret_cast<const char*>(&a.s_addr), 4);
}
// A 16-bit value (a port) in network order.
inline std::string Be16(uint16_t v) {
  uint16_t be = htons(v);
  return std::string(reinterpret_cast<const char*>(&be), 2);
}

}  // namespace wharf::testing
