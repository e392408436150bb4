#include "net/nft_watch.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace wharf::net {
namespace {

// nft's word for a netfilter family (NFPROTO_*), "" for one wharf never uses.
std::string_view FamilyName(uint8_t family) {
  switch (family) {
    case 1: return "inet";   // NFPROTO_INET
    case 2: return "ip";     // NFPROTO_IPV4
    case 3: return "arp";    // NFPROTO_ARP
    case 5: return "netdev";  // NFPROTO_NETDEV
    case 7: return "bridge";  // NFPROTO_BRIDGE
    case 10: return "ip6";   // NFPROTO_IPV6
    default: return "";
  }
}

// The table a NEWTABLE/DELTABLE message names, "<family> <name>", or "".
std::string TableOf(const nlmsghdr* h) {
  const size_t header = NLMSG_LENGTH(sizeof(nfgenmsg));
  if (h->nlmsg_len < header) return "";
  nfgenmsg g;
  std::memcpy(&g, NLMSG_DATA(h), sizeof g);
  std::string_view family = FamilyName(g.nfgen_family);
  if (family.empty()) return "";
  const char* at = reinterpret_cast<const char*>(h) + NLMSG_ALIGN(header);
  size_t left = h->nlmsg_len > NLMSG_ALIGN(header) ? h->nlmsg_len - NLMSG_ALIGN(header) : 0;
  while (left >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, at, sizeof a);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > left) return "";
    if ((a.nla_type & NLA_TYPE_MASK) == NFTA_TABLE_NAME) {
      std::string_view name(at + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
      if (auto nul = name.find('\0'); nul != std::string_view::npos) name = name.substr(0, nul);
      return std::string(family) + " " + std::string(name);
    }
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= left) break;
    at += step;
    left -= step;
  }
  return "";
}

}  // namespace

std::set<std::string> NftTableEvents::Read(std::string_view datagram) {
  std::set<std::string> gone;
  const char* at = datagram.data();
  size_t left = datagram.size();
  while (left >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, at, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > left) break;
    // Copied out whole: a datagram's bytes carry no alignment promise for the parsing above.
    std::vector<char> message(at, at + h.nlmsg_len);
    const auto* m = reinterpret_cast<const nlmsghdr*>(message.data());
    if (NFNL_SUBSYS_ID(h.nlmsg_type) == NFNL_SUBSYS_NFTABLES) {
      int type = NFNL_MSG_TYPE(h.nlmsg_type);
      if (type == NFT_MSG_NEWGEN) {
        gone.merge(deleted_);
        deleted_.clear();
      } else if (type == NFT_MSG_DELTABLE || type == NFT_MSG_NEWTABLE) {
        std::string table = TableOf(m);
        if (tables_.count(table)) {
          if (type == NFT_MSG_DELTABLE) {
            deleted_.insert(table);
          } else {
            deleted_.erase(table);
          }
        }
      }
    }
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= left) break;
    at += step;
    left -= step;
  }
  return gone;
}

Result<std::unique_ptr<NftTableWatch>> NftTableWatch::Start(std::set<std::string> tables, OnGone on_gone) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0) return Status::Unavailable(std::string("netlink socket: ") + std::strerror(errno));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  int group = NFNLGRP_NFTABLES;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    int e = errno;
    close(fd);
    return Status::Unavailable(std::string("nf_tables notifications: ") + std::strerror(e));
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    int e = errno;
    close(fd);
    return Status::Unavailable(std::string("eventfd: ") + std::strerror(e));
  }
  return std::unique_ptr<NftTableWatch>(new NftTableWatch(fd, wake, std::move(tables), std::move(on_gone)));
}

NftTableWatch::NftTableWatch(int socket, int wake, std::set<std::string> tables, OnGone on_gone)
    : socket_(socket), wake_(wake), events_(std::move(tables)), on_gone_(std::move(on_gone)) {
  thread_ = std::thread([this] { Loop(); });
}

NftTableWatch::~NftTableWatch() {
  uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  close(socket_);
  close(wake_);
}

void NftTableWatch::Loop() {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    for (;;) {
      ssize_t n = recv(socket_, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == ENOBUFS) {
        on_gone_(events_.tables());  // announcements lost: any of them may be gone
        continue;
      }
      if (n <= 0) break;  // EAGAIN: read all there was
      std::set<std::string> gone = events_.Read(std::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!gone.empty()) on_gone_(gone);
    }
  }
}

}  // namespace wharf::net
