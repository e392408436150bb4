#include "net/conntrack_flows.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "net/netlink_message.h"

namespace wharf::net {
namespace {

using netlink::FindAttribute;

constexpr uint16_t kCtGet = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
constexpr uint16_t kCtNew = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
constexpr uint16_t kCtDelete = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;

uint32_t NextSeq() {
  static std::atomic<uint32_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Whether entry attributes `attrs` are of zone `zone` (no CTA_ZONE: zone 0) and go to TCP
// `destination` as first dialled.
bool Matches(std::string_view attrs, uint16_t zone, const sockaddr_in& destination) {
  std::string_view z = FindAttribute(attrs, CTA_ZONE);
  uint16_t entry_zone = 0;
  if (z.size() == 2) {
    std::memcpy(&entry_zone, z.data(), 2);
    entry_zone = ntohs(entry_zone);
  } else if (!z.empty()) {
    return false;
  }
  if (entry_zone != zone) return false;
  std::string_view orig = FindAttribute(attrs, CTA_TUPLE_ORIG);
  std::string_view address = FindAttribute(FindAttribute(orig, CTA_TUPLE_IP), CTA_IP_V4_DST);
  std::string_view proto = FindAttribute(orig, CTA_TUPLE_PROTO);
  std::string_view number = FindAttribute(proto, CTA_PROTO_NUM);
  std::string_view port = FindAttribute(proto, CTA_PROTO_DST_PORT);
  return address.size() == 4 && port.size() == 2 && number.size() == 1 &&
         static_cast<uint8_t>(number[0]) == IPPROTO_TCP &&
         std::memcmp(address.data(), &destination.sin_addr.s_addr, 4) == 0 &&
         std::memcmp(port.data(), &destination.sin_port, 2) == 0;
}

// A netlink socket to the kernel that gives up on a silent kernel after two seconds.
int OpenSocket() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return -1;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

bool Send(int fd, const std::string& request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  return ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
         static_cast<ssize_t>(request.size());
}

}  // namespace

bool ParseConntrackDump(std::string_view batch, uint32_t seq, uint16_t zone, const sockaddr_in& destination,
                        std::vector<std::string>& tuples) {
  while (batch.size() >= NLMSG_HDRLEN) {
    nlmsghdr h;
    std::memcpy(&h, batch.data(), sizeof h);  // the view need not be aligned
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > batch.size() || h.nlmsg_seq != seq) return false;
    if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) return false;
    size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (h.nlmsg_type == kCtNew && h.nlmsg_len >= start) {
      std::string_view attrs = batch.substr(start, h.nlmsg_len - start);
      if (Matches(attrs, zone, destination)) tuples.emplace_back(FindAttribute(attrs, CTA_TUPLE_ORIG, true));
    }
    batch.remove_prefix(std::min<size_t>(batch.size(), NLMSG_ALIGN(h.nlmsg_len)));
  }
  return true;
}

Result<int> EndConntrackFlowsTo(uint16_t zone, const sockaddr_in& destination) {
  int fd = OpenSocket();
  if (fd < 0) return Status::Unavailable(std::string("netlink socket: ") + std::strerror(errno));
  const uint32_t seq = NextSeq();
  netlink::Message dump(kCtGet, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // Kernels since 6.8 dump only the zone asked for; older ones ignore it (Matches checks).
  uint16_t zone_be = htons(zone);
  dump.Put(CTA_ZONE, &zone_be, 2);
  std::vector<std::string> tuples;
  if (!Send(fd, dump.Finish())) {
    ::close(fd);
    return Status::Unavailable(std::string("conntrack dump: ") + std::strerror(errno));
  }
  // The dump comes in batches of messages, NLM_F_MULTI, until NLMSG_DONE.
  std::string buffer(64 * 1024, '\0');
  bool more = true;
  while (more) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;  // a timeout or an error: delete what was found
    more = ParseConntrackDump(std::string_view(buffer.data(), static_cast<size_t>(n)), seq, zone, destination,
                              tuples);
  }
  int deleted = 0;
  for (const std::string& tuple : tuples) {
    netlink::Message del(kCtDelete, NLM_F_REQUEST | NLM_F_ACK, NextSeq());
    del.PutRaw(tuple);
    del.Put(CTA_ZONE, &zone_be, 2);
    if (!Send(fd, del.Finish())) continue;
    // The kernel's ack: an NLMSG_ERROR whose error is 0 (deleted) or -ENOENT (gone already).
    alignas(nlmsghdr) char ack[1024];
    ssize_t n = ::recv(fd, ack, sizeof ack, 0);
    if (n >= static_cast<ssize_t>(NLMSG_HDRLEN + sizeof(nlmsgerr))) {
      nlmsgerr e;
      std::memcpy(&e, ack + NLMSG_HDRLEN, sizeof e);
      if (e.error == 0) ++deleted;
    }
  }
  ::close(fd);
  return deleted;
}

}  // namespace wharf::net
