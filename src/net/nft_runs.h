// Which nf_tables transactions are an owner's own: the pids of the nft processes it ran.
//
// The kernel ends every transaction's announcements with NFT_MSG_NEWGEN, which names the
// committing process: NFTA_GEN_PROC_PID (its pid in the initial pid namespace) and, in every
// message's header, the port id of its netlink socket (which a process's first socket takes
// from its pid as the process sees it). NftTableWatch asks NftRuns whether either is one of
// its owner's nft children, and treats any other transaction that touches a watched table as
// a change to repair at once (nft_watch.h). Only when the owner is in the initial pid
// namespace (InInitialPidNamespace): the pids it records are as it sees them, which in a
// container's pid namespace are not the kernel's global ones, so a foreign process whose
// global pid is one of them would pass as the owner's, and the owner's own never would by
// its pid. There the watch does not tell owners apart (a transaction that adds to a table
// is taken as the owner's, nft_watch.h), and a foreign replace waits for the owner's refresh.
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
// Time is the owner's Clock (tests move it by hand); a step of the wall clock shortens or
// lengthens kKeepEnded once, with the same outcomes.
//
// Thread-safety: NftRuns is thread-safe; NftRunRecorder is as thread-safe as the runner it wraps.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string_view>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/process.h"

namespace wharf::net {

// Whether the process whose /proc/self/status is `status` is in the initial pid namespace:
// its NSpid line has one pid (false without the line: a kernel before 4.1, not known).
bool InInitialPidNamespace(std::string_view status);
// The same for this process.
bool InInitialPidNamespace();

class NftRuns {
 public:
  static constexpr std::chrono::seconds kKeepEnded{10};

  explicit NftRuns(const Clock& clock) : clock_(clock) {}
  void Started(int pid) EXCLUDES(mu_);
  void Ended(int pid) EXCLUDES(mu_);
  // A child running, or ended less than kKeepEnded ago. Never pid 0 (the kernel's).
  bool Ours(int pid) const EXCLUDES(mu_);

 private:
  using Time = std::chrono::system_clock::time_point;

  const Clock& clock_;
  mutable Mutex mu_;
  std::map<int, std::optional<Time>> runs_ GUARDED_BY(mu_);  // pid -> ended at (none: running)
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
