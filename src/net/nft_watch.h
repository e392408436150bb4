// Noticing at once that someone else removed one of wharf's nft tables (`nft flush ruleset`,
// `nft delete table`, another firewall tool), so its owner writes it again instead of leaving
// bridges unguarded until its next resync.
//
// The kernel announces every nf_tables change to netlink group NFNLGRP_NFTABLES; a
// transaction's announcements end with a new generation (NFT_MSG_NEWGEN). NftTableEvents reads
// them and, at each generation's end, names the watched tables that the transaction deleted
// and did not make again: replacing a table whole (`delete table` then `table { ... }` in one
// script, as wharf does) is no loss. So is a table emptied without being deleted: a
// transaction that deleted rules, chains, sets or objects of a watched table (`nft flush
// table`, `nft delete chain`, `nft delete rule`) and added none to it names it too; one that
// also adds to it (wharf's VPC table: `flush chain` then its rules again) does not. Linux
// 6.3's `nft destroy` (NFT_MSG_DESTROY*) counts as `nft delete`. Who made the transaction is
// told apart when the owner gives its NftRuns (nft_runs.h: the pids of the nft processes it
// ran) and runs in the initial pid namespace (else its pids are not the kernel's): a transaction of anyone else's that touches a watched table at all (a table deleted
// and made again whole, a rule deleted and another added, set elements flushed) names it,
// so the owner writes it again whole at once; the owner's own are judged as above (set
// elements are not watched there: wharf's own element changes delete some). Without
// NftRuns, foreign changes that leave the table whole pass until the owner's refresh.
// Why not a check every second (`nft list tables`): a process per second per node for
// something that almost never happens; the notifications cost nothing while nothing
// changes, and arrive within the transaction's commit.
//
// NftTableEvents is pure but for asking NftRuns (bytes in, names out). NftTableWatch owns the socket and a thread
// that calls `on_gone` with those names; after lost notifications (the socket's buffer, a
// few MiB, overran) with the watched tables a dump of the kernel's tables lacks (all of them
// when the dump fails). Its owner decides what a loss means (a table it removed itself on
// purpose is no loss: it must not write it back).
// Thread-safety: NftTableEvents is thread-compatible; NftTableWatch's constructor and
// destructor from one thread, `on_gone` on the watch's thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "net/nft_runs.h"

namespace wharf::net {

// Every nf_tables table there is now ("<family> <name>", as nft spells them), by a netlink
// dump (NFT_MSG_GETTABLE); nullopt when the kernel does not answer it whole (a dump cut short
// by a change, no permission, no nf_tables).
std::optional<std::set<std::string>> ListNftTables();

class NftTableEvents {
 public:
  // `tables`: "<family> <name>", as nft spells them ("ip wharf_egress_1a2b3c4d", "inet ...").
  // `own`: the owner's nft runs, to tell foreign transactions by (null: not told apart);
  // it outlives this.
  explicit NftTableEvents(std::set<std::string> tables, const NftRuns* own = nullptr)
      : tables_(std::move(tables)), own_(own) {}
  // Reads one datagram of netlink messages; returns the watched tables a transaction that
  // ended in it deleted for good (empty most of the time). Malformed messages are skipped.
  std::set<std::string> Read(std::string_view datagram);
  // Announcements were lost: the watched tables not in `existing` (the kernel's tables now),
  // every one without it; the transaction being read is forgotten.
  std::set<std::string> Lost(const std::optional<std::set<std::string>>& existing);
  const std::set<std::string>& tables() const { return tables_; }

 private:
  const std::set<std::string> tables_;
  const NftRuns* const own_;
  // In the transaction being announced: tables deleted; tables some of whose rules, chains,
  // sets or objects were deleted; tables made or added to; tables named by any message
  // (elements too).
  std::set<std::string> deleted_, damaged_, made_, touched_;
};

class NftTableWatch {
 public:
  using OnGone = std::function<void(const std::set<std::string>&)>;
  // Unavailable when the kernel refuses the subscription (no nf_tables, no CAP_NET_ADMIN):
  // then the owner's resync is all there is. `own` as NftTableEvents' (outlives the watch);
  // ignored outside the initial pid namespace (nft_runs.h).
  static Result<std::unique_ptr<NftTableWatch>> Start(std::set<std::string> tables, OnGone on_gone,
                                                      const NftRuns* own = nullptr);
  ~NftTableWatch();  // stops and joins the thread; `on_gone` is not called after it returns
  NftTableWatch(const NftTableWatch&) = delete;
  NftTableWatch& operator=(const NftTableWatch&) = delete;

 private:
  static constexpr int kReceiveBuffer = 4 << 20;

  NftTableWatch(int socket, int wake, std::set<std::string> tables, OnGone on_gone, const NftRuns* own);
  void Loop();

  // Constant after construction (the thread alone reads the socket and events_).
  const int socket_;
  const int wake_;  // an eventfd: the destructor's stop
  NftTableEvents events_;
  const OnGone on_gone_;
  std::thread thread_;
};

}  // namespace wharf::net
