#include "net/nft_watch.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "base/logging.h"

namespace wharf::net {
namespace {

// Linux 6.3's NFT_MSG_DESTROY* (`nft destroy table`: delete what may not exist), announced
// with their own types; the headers of the build's kernel (Debian 12's 6.1) lack them.
// NFT_MSG_DESTROYSETELEM (30), as NFT_MSG_DELSETELEM, counts only in a foreign transaction.
constexpr int kMsgDestroyTable = 26;
constexpr int kMsgDestroyChain = 27;
constexpr int kMsgDestroyRule = 28;
constexpr int kMsgDestroySet = 29;
constexpr int kMsgDestroySetElem = 30;
constexpr int kMsgDestroyObj = 31;
constexpr int kMsgDestroyFlowtable = 32;

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

// The payload of attribute `type` of an nf_tables message, or nullopt.
std::optional<std::string_view> Attribute(const nlmsghdr* h, int type) {
  const size_t header = NLMSG_LENGTH(sizeof(nfgenmsg));
  if (h->nlmsg_len < header) return std::nullopt;
  const char* at = reinterpret_cast<const char*>(h) + NLMSG_ALIGN(header);
  size_t left = h->nlmsg_len > NLMSG_ALIGN(header) ? h->nlmsg_len - NLMSG_ALIGN(header) : 0;
  while (left >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, at, sizeof a);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > left) return std::nullopt;
    if ((a.nla_type & NLA_TYPE_MASK) == type) return std::string_view(at + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= left) break;
    at += step;
    left -= step;
  }
  return std::nullopt;
}

// The table a NEW/DEL TABLE, CHAIN, RULE, SET, SETELEM, OBJ or FLOWTABLE message names
// ("<family> <name>"), or "".
std::string TableOf(const nlmsghdr* h) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return "";
  nfgenmsg g;
  std::memcpy(&g, NLMSG_DATA(h), sizeof g);
  std::string_view family = FamilyName(g.nfgen_family);
  if (family.empty()) return "";
  std::optional<std::string_view> name = Attribute(h, NFTA_TABLE_NAME);
  if (!name) return "";
  if (auto nul = name->find('\0'); nul != std::string_view::npos) name = name->substr(0, nul);
  return std::string(family) + " " + std::string(*name);
}

// Whether the process that committed the transaction a NEWGEN ends is one of `own`'s: its
// socket's port id (the header's nlmsg_pid) or its pid (NFTA_GEN_PROC_PID, the global pid:
// NftTableWatch::Start gives NftRuns only to a watch in the initial pid namespace, where the
// owner's pids are the global ones; nft_runs.h).
bool CommittedByOwner(const nlmsghdr* h, const NftRuns& own) {
  if (own.Ours(static_cast<int>(h->nlmsg_pid))) return true;
  std::optional<std::string_view> pid = Attribute(h, NFTA_GEN_PROC_PID);
  if (!pid || pid->size() != sizeof(uint32_t)) return false;
  uint32_t be;
  std::memcpy(&be, pid->data(), sizeof be);
  return own.Ours(static_cast<int>(ntohl(be)));
}

// Calls `each` with every well-formed netlink message of `datagram`, in order, until it
// returns false. Each is copied out whole: a datagram's bytes carry no alignment promise for
// the parsing above.
template <typename Each>
void ForEachMessage(std::string_view datagram, Each each) {
  const char* at = datagram.data();
  size_t left = datagram.size();
  while (left >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, at, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > left) break;
    std::vector<char> message(at, at + h.nlmsg_len);
    if (!each(reinterpret_cast<const nlmsghdr*>(message.data()))) break;
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= left) break;
    at += step;
    left -= step;
  }
}

}  // namespace

std::optional<std::set<std::string>> ListNftTables() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  timeval wait{2, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  struct {
    nlmsghdr h;
    nfgenmsg g;
  } request{};
  request.h.nlmsg_len = NLMSG_LENGTH(sizeof(nfgenmsg));
  request.h.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
  request.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.h.nlmsg_seq = 1;
  request.g.nfgen_family = AF_UNSPEC;  // every family
  request.g.version = NFNETLINK_V0;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &request, request.h.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return std::nullopt;
  }
  std::vector<char> buffer(64 * 1024);
  std::set<std::string> tables;
  for (;;) {
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    enum { kMore, kDone, kFailed } state = kMore;
    ForEachMessage(std::string_view(buffer.data(), static_cast<size_t>(n)), [&](const nlmsghdr* m) {
      if ((m->nlmsg_flags & NLM_F_DUMP_INTR) != 0 || m->nlmsg_type == NLMSG_ERROR) {
        state = kFailed;
      } else if (m->nlmsg_type == NLMSG_DONE) {
        state = kDone;
      } else if (NFNL_SUBSYS_ID(m->nlmsg_type) == NFNL_SUBSYS_NFTABLES && NFNL_MSG_TYPE(m->nlmsg_type) == NFT_MSG_NEWTABLE) {
        if (std::string table = TableOf(m); !table.empty()) tables.insert(std::move(table));
      }
      return state == kMore;
    });
    if (state == kFailed) return std::nullopt;
    if (state == kDone) return tables;
  }
}


std::set<std::string> NftTableEvents::Read(std::string_view datagram) {
  std::set<std::string> gone;
  ForEachMessage(datagram, [&](const nlmsghdr* m) {
    if (NFNL_SUBSYS_ID(m->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return true;
    int type = NFNL_MSG_TYPE(m->nlmsg_type);
    if (type == NFT_MSG_NEWGEN) {
      if (own_ != nullptr && !CommittedByOwner(m, *own_)) {
        gone.merge(touched_);  // someone else's change: whatever it was, the owner's is written again
      }
      gone.merge(deleted_);
      for (const std::string& table : damaged_) {
        if (!made_.count(table)) gone.insert(table);
      }
      deleted_.clear();
      damaged_.clear();
      made_.clear();
      touched_.clear();
      return true;
    }
    bool del = false;
    switch (type) {
      case NFT_MSG_DELTABLE:
      case NFT_MSG_DELCHAIN:
      case NFT_MSG_DELRULE:
      case NFT_MSG_DELSET:
      case NFT_MSG_DELOBJ:
      case NFT_MSG_DELFLOWTABLE:
      case kMsgDestroyTable:
      case kMsgDestroyChain:
      case kMsgDestroyRule:
      case kMsgDestroySet:
      case kMsgDestroyObj:
      case kMsgDestroyFlowtable:
        del = true;
        break;
      case NFT_MSG_NEWTABLE:
      case NFT_MSG_NEWCHAIN:
      case NFT_MSG_NEWRULE:
      case NFT_MSG_NEWSET:
      case NFT_MSG_NEWOBJ:
      case NFT_MSG_NEWFLOWTABLE:
        break;
      case NFT_MSG_NEWSETELEM:
      case NFT_MSG_DELSETELEM:
      case kMsgDestroySetElem:
        if (std::string table = TableOf(m); tables_.count(table)) touched_.insert(std::move(table));
        return true;  // wharf's own element changes are no loss
      default:
        return true;  // generations of other subsystems, GET replies
    }
    // Each of these messages names its table in attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
    // NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE,
    // NFTA_FLOWTABLE_TABLE), the DESTROY ones as their DEL twins.
    std::string table = TableOf(m);
    if (!tables_.count(table)) return true;
    touched_.insert(table);
    if (type == NFT_MSG_DELTABLE || type == kMsgDestroyTable) {
      deleted_.insert(table);
    } else if (type == NFT_MSG_NEWTABLE) {
      deleted_.erase(table);
      made_.insert(table);
    } else if (del) {
      damaged_.insert(table);
    } else {
      made_.insert(table);
    }
    return true;
  });
  return gone;
}

std::set<std::string> NftTableEvents::Lost(const std::optional<std::set<std::string>>& existing) {
  deleted_.clear();  // the transaction being announced is no longer known whole
  damaged_.clear();
  made_.clear();
  touched_.clear();
  if (!existing) return tables_;
  std::set<std::string> gone;
  for (const std::string& table : tables_) {
    if (!existing->count(table)) gone.insert(table);
  }
  return gone;
}

Result<std::unique_ptr<NftTableWatch>> NftTableWatch::Start(std::set<std::string> tables, OnGone on_gone,
                                                            const NftRuns* own) {
  if (own != nullptr && !InInitialPidNamespace()) {
    // nft_runs.h: the owner's pids are not the kernel's global ones here.
    LOG_INFO("msg=\"nft table watch in a pid namespace: another's replace of a table is mended at the refresh\"");
    own = nullptr;
  }
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
  // Room for a burst (a whole ruleset flushed and written again by several owners) before
  // the kernel drops announcements (ENOBUFS). FORCE passes rmem_max, with CAP_NET_ADMIN.
  int room = kReceiveBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &room, sizeof room);
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    int e = errno;
    close(fd);
    return Status::Unavailable(std::string("eventfd: ") + std::strerror(e));
  }
  try {
    return std::unique_ptr<NftTableWatch>(new NftTableWatch(fd, wake, std::move(tables), std::move(on_gone), own));
  } catch (const std::system_error& e) {  // no thread: the constructor closed nothing
    close(fd);
    close(wake);
    return Status::Unavailable(std::string("nft table watch thread: ") + e.what());
  }
}

NftTableWatch::NftTableWatch(int socket, int wake, std::set<std::string> tables, OnGone on_gone, const NftRuns* own)
    : socket_(socket), wake_(wake), events_(std::move(tables), own), on_gone_(std::move(on_gone)) {
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
      LOG_WARN("msg=\"nft table watch stopped: tables removed by others come back only at the next refresh\" "
               "error=\"poll: {}\"",
               std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    for (;;) {
      ssize_t n = recv(socket_, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == ENOBUFS) {
        // Announcements lost: which tables are gone is asked of the kernel, so that only
        // missing ones are written again (writing all would be another burst, and lose more).
        std::optional<std::set<std::string>> existing = ListNftTables();
        if (!existing) LOG_WARN("msg=\"nft announcements lost and tables not listed: all taken as gone\"");
        std::set<std::string> gone = events_.Lost(existing);
        if (!gone.empty()) on_gone_(gone);
        continue;
      }
      if (n <= 0) break;  // EAGAIN: read all there was
      std::set<std::string> gone = events_.Read(std::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!gone.empty()) on_gone_(gone);
    }
  }
}

}  // namespace wharf::net
