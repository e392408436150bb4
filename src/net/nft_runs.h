// Which nf_tables transactions are an owner's own: the pids of the nft processes it ran.
//
// The kernel ends every transaction's announcements with NFT_MSG_NEWGEN, which names the
// committing process: NFTA_GEN_PROC_PID (its pid in the initial pid namespace) and, in every
// message's header, the port id of its netlink socket (which a process's first socket takes
// from its pid as the process sees it, so also inside a pid namespace). NftTableWatch asks
// NftRuns whether either is one of its owner's nft children, and treats any other
// transaction that touches a watched table as a change to repair at once (nft_watch.h).
//
// Sound because the pid is known before the child can commit: NftRunRecorder records it
// from Command::started, which the process runner calls before writing the child's stdin,
// and `nft -f -` reads its script whole before it commits (so every nft run that changes a
// watched table goes through ApplyNft, never an nft command line). A pid stays "ours" while
// the child runs and kKeepEnded after it exits: its announcements are in every subscribed
// socket before it exits, so that is only for a watch reading late. The other way round, a
// foreign nft taking an ended child's pid within kKeepEnded would pass as ours: the kernel
// hands pids out in turn, so that takes pid_max (at least 32768) processes in 10 s; it would
// then be mended at the owner's refresh. A watch reading later than kKeepEnded takes the
// owner's own transaction for a foreign one: one needless rewrite, which is the owner's again.
//
// Thread-safety: NftRuns is thread-safe; NftRunRecorder is as thread-safe as the runner it wraps.
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "base/mutex.h"
#include "base/process.h"

namespace wharf::net {

class NftRuns {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kKeepEnded{10};

  void Started(int pid) EXCLUDES(mu_);
  void Ended(int pid, Clock::time_point now) EXCLUDES(mu_);
  // A child running, or ended less than kKeepEnded before `now`. Never pid 0 (the kernel's).
  bool Ours(int pid, Clock::time_point now) const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::map<int, std::optional<Clock::time_point>> runs_ GUARDED_BY(mu_);  // pid -> ended at (none: running)
};

// Runs commands through `inner`, recording the pids of its nft children in `runs`.
class NftRunRecorder final : public CommandRunner {
 public:
  NftRunRecorder(CommandRunner& inner, NftRuns& runs) : inner_(inner), runs_(runs) {}
  Result<CommandResult> Run(const Command& command) override;

 private:
  CommandRunner& inner_;
  NftRuns& runs_;
};

}  // namespace wharf::net
