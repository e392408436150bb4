#include "net/conntrack_flows.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
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

std::string Errno(std::string_view what, int error) { return std::string(what) + ": " + std::strerror(error); }

// The destination (`destination` true) or source address and port of tuple `tuple`
// (CTA_TUPLE_ORIG's or CTA_TUPLE_REPLY's payload) when it is TCP over IPv4.
bool TcpEnd(std::string_view tuple, bool destination, sockaddr_in& out) {
  std::string_view address =
      FindAttribute(FindAttribute(tuple, CTA_TUPLE_IP), destination ? CTA_IP_V4_DST : CTA_IP_V4_SRC);
  std::string_view proto = FindAttribute(tuple, CTA_TUPLE_PROTO);
  std::string_view number = FindAttribute(proto, CTA_PROTO_NUM);
  std::string_view port = FindAttribute(proto, destination ? CTA_PROTO_DST_PORT : CTA_PROTO_SRC_PORT);
  if (address.size() != 4 || port.size() != 2 || number.size() != 1 || static_cast<uint8_t>(number[0]) != IPPROTO_TCP) {
    return false;
  }
  out.sin_family = AF_INET;
  std::memcpy(&out.sin_addr.s_addr, address.data(), 4);
  std::memcpy(&out.sin_port, port.data(), 2);
  return true;
}

// Whether entry attributes `attrs` are of zone `zone` (no CTA_ZONE: zone 0), TCP, and picked by
// `which`.
bool Matches(std::string_view attrs, uint16_t zone, const FlowFilter& which) {
  std::string_view z = FindAttribute(attrs, CTA_ZONE);
  uint16_t entry_zone = 0;
  if (z.size() == 2) {
    std::memcpy(&entry_zone, z.data(), 2);
    entry_zone = ntohs(entry_zone);
  } else if (!z.empty()) {
    return false;
  }
  if (entry_zone != zone) return false;
  ConntrackFlow flow;
  return TcpEnd(FindAttribute(attrs, CTA_TUPLE_ORIG), true, flow.original_destination) &&
         TcpEnd(FindAttribute(attrs, CTA_TUPLE_REPLY), false, flow.reply_source) && which(flow);
}

// A netlink socket to the kernel that gives up on a silent kernel after two seconds.
int OpenSocket() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return -1;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

Status Send(int fd, const std::string& request, std::string_view what) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n = ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  if (n == static_cast<ssize_t>(request.size())) return Status::OK();
  return Status::Unavailable(Errno(what, n < 0 ? errno : EMSGSIZE));
}

// The kernel's ack of request `seq`: its NLMSG_ERROR's error (0: done, else -errno). Messages
// of another request (a late one of the dump) are passed over.
Result<int> ReadAck(int fd, uint32_t seq) {
  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) return Status::Unavailable(Errno("conntrack delete's ack", errno));
    std::string_view batch(buffer, static_cast<size_t>(n));
    while (batch.size() >= NLMSG_HDRLEN) {
      nlmsghdr h;
      std::memcpy(&h, batch.data(), sizeof h);
      if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > batch.size()) break;
      if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR && h.nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
        nlmsgerr e;
        std::memcpy(&e, batch.data() + NLMSG_HDRLEN, sizeof e);
        return e.error;
      }
      batch.remove_prefix(std::min<size_t>(batch.size(), NLMSG_ALIGN(h.nlmsg_len)));
    }
  }
}

}  // namespace

Result<bool> ParseConntrackDump(std::string_view batch, uint32_t seq, uint16_t zone, const FlowFilter& which,
                                std::vector<std::string>& tuples) {
  while (batch.size() >= NLMSG_HDRLEN) {
    nlmsghdr h;
    std::memcpy(&h, batch.data(), sizeof h);  // the view need not be aligned
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > batch.size()) {
      return Status::Internal("conntrack dump: a message that does not parse");
    }
    if (h.nlmsg_seq != seq) return Status::Internal("conntrack dump: a message of another request");
    if (h.nlmsg_type == NLMSG_DONE) return false;
    if (h.nlmsg_type == NLMSG_ERROR) {
      nlmsgerr e{};
      if (h.nlmsg_len >= NLMSG_HDRLEN + sizeof e) std::memcpy(&e, batch.data() + NLMSG_HDRLEN, sizeof e);
      return Status::Unavailable(Errno("conntrack dump", e.error < 0 ? -e.error : EPROTO));
    }
    size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (h.nlmsg_type == kCtNew && h.nlmsg_len >= start) {
      std::string_view attrs = batch.substr(start, h.nlmsg_len - start);
      if (Matches(attrs, zone, which)) tuples.emplace_back(FindAttribute(attrs, CTA_TUPLE_ORIG, true));
    }
    batch.remove_prefix(std::min<size_t>(batch.size(), NLMSG_ALIGN(h.nlmsg_len)));
  }
  return true;
}

Result<int> EndConntrackFlows(uint16_t zone, const FlowFilter& which) {
  int fd = OpenSocket();
  if (fd < 0) return Status::Unavailable(Errno("netlink socket", errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const uint32_t seq = NextSeq();
  netlink::Message dump(kCtGet, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // Kernels since 6.8 dump only the zone asked for; older ones ignore it (Matches checks).
  uint16_t zone_be = htons(zone);
  dump.Put(CTA_ZONE, &zone_be, 2);
  RETURN_IF_ERROR(Send(fd, dump.Finish(), "conntrack dump"));
  // The dump comes in batches of messages, NLM_F_MULTI, until NLMSG_DONE; a timeout (EAGAIN)
  // before it is a failure, not an end.
  std::vector<std::string> tuples;
  std::string buffer(64 * 1024, '\0');
  for (bool more = true; more;) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) return Status::Unavailable(Errno("conntrack dump", errno));
    if (n == 0) return Status::Unavailable("conntrack dump: the socket closed before its end");
    ASSIGN_OR_RETURN(more, ParseConntrackDump(std::string_view(buffer.data(), static_cast<size_t>(n)), seq, zone,
                                              which, tuples));
  }
  int deleted = 0;
  Status failed;
  for (const std::string& tuple : tuples) {
    const uint32_t del_seq = NextSeq();
    netlink::Message del(kCtDelete, NLM_F_REQUEST | NLM_F_ACK, del_seq);
    del.PutRaw(tuple);
    del.Put(CTA_ZONE, &zone_be, 2);
    RETURN_IF_ERROR(Send(fd, del.Finish(), "conntrack delete"));
    // The kernel's ack: an NLMSG_ERROR whose error is 0 (deleted) or -ENOENT (gone already).
    ASSIGN_OR_RETURN(int error, ReadAck(fd, del_seq));
    if (error == 0) {
      ++deleted;
    } else if (error != -ENOENT && failed.ok()) {
      failed = Status::Unavailable(Errno("conntrack delete", -error));
    }
  }
  if (!failed.ok()) return failed;
  return deleted;
}

Result<int> EndConntrackFlowsTo(uint16_t zone, const sockaddr_in& destination) {
  return EndConntrackFlows(zone, [destination](const ConntrackFlow& f) {
    return f.original_destination.sin_addr.s_addr == destination.sin_addr.s_addr &&
           f.original_destination.sin_port == destination.sin_port;
  });
}

}  // namespace wharf::net
