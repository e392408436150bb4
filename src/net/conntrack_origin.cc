#include "net/conntrack_origin.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <string_view>

#include "net/netlink_message.h"

namespace wharf::net {
namespace {
using netlink::Message;
std::string_view Attribute(std::string_view attrs, uint16_t type) { return netlink::FindAttribute(attrs, type); }
}  // namespace

std::optional<sockaddr_in> ParseConntrackOriginal(std::string_view reply, uint32_t seq) {
  if (reply.size() < NLMSG_HDRLEN) return std::nullopt;
  nlmsghdr h;
  std::memcpy(&h, reply.data(), sizeof h);  // the view need not be aligned
  if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > reply.size() || h.nlmsg_seq != seq ||
      h.nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) {
    return std::nullopt;
  }
  size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (h.nlmsg_len < start) return std::nullopt;
  std::string_view attrs = reply.substr(start, h.nlmsg_len - start);
  std::string_view orig = Attribute(attrs, CTA_TUPLE_ORIG);
  std::string_view address = Attribute(Attribute(orig, CTA_TUPLE_IP), CTA_IP_V4_DST);
  std::string_view port = Attribute(Attribute(orig, CTA_TUPLE_PROTO), CTA_PROTO_DST_PORT);
  if (address.size() != 4 || port.size() != 2) return std::nullopt;
  sockaddr_in d{};
  d.sin_family = AF_INET;
  std::memcpy(&d.sin_addr.s_addr, address.data(), 4);
  std::memcpy(&d.sin_port, port.data(), 2);
  return d;
}

std::optional<sockaddr_in> ConntrackOriginalDestination(const sockaddr_in& local, const sockaddr_in& peer,
                                                        uint16_t zone) {
  static std::atomic<uint32_t> next_seq{1};
  const uint32_t seq = next_seq.fetch_add(1, std::memory_order_relaxed);
  Message m((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, NLM_F_REQUEST, seq);
  size_t tuple = m.Begin(CTA_TUPLE_REPLY);
  size_t ip = m.Begin(CTA_TUPLE_IP);
  m.Put(CTA_IP_V4_SRC, &local.sin_addr.s_addr, 4);
  m.Put(CTA_IP_V4_DST, &peer.sin_addr.s_addr, 4);
  m.End(ip);
  size_t proto = m.Begin(CTA_TUPLE_PROTO);
  uint8_t tcp = IPPROTO_TCP;
  m.Put(CTA_PROTO_NUM, &tcp, 1);
  m.Put(CTA_PROTO_SRC_PORT, &local.sin_port, 2);
  m.Put(CTA_PROTO_DST_PORT, &peer.sin_port, 2);
  m.End(proto);
  m.End(tuple);
  uint16_t zone_be = htons(zone);
  m.Put(CTA_ZONE, &zone_be, 2);
  const std::string& request = m.Finish();

  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return std::nullopt;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::optional<sockaddr_in> out;
  // An entry's answer is a few hundred bytes; aligned for the header's fields.
  alignas(nlmsghdr) char reply[8192];
  if (::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
      static_cast<ssize_t>(request.size())) {
    // The kernel answered within sendto (netlink_unicast_kernel): nothing to wait for.
    sockaddr_nl from{};
    socklen_t from_length = sizeof from;
    ssize_t n = ::recvfrom(fd, reply, sizeof reply, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_length);
    // Only the kernel's (port 0) answer to this request counts.
    if (n > 0 && from.nl_family == AF_NETLINK && from.nl_pid == 0) {
      out = ParseConntrackOriginal(std::string_view(reply, static_cast<size_t>(n)), seq);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace wharf::net
