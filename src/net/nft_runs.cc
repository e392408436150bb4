#include "net/nft_runs.h"

#include <string_view>

namespace wharf::net {

void NftRuns::Started(int pid) {
  MutexLock lock(mu_);
  runs_[pid] = std::nullopt;
}

void NftRuns::Ended(int pid, Clock::time_point now) {
  MutexLock lock(mu_);
  runs_[pid] = now;
  for (auto it = runs_.begin(); it != runs_.end();) {  // the list stays as long as the runs of 10 s
    it = it->second && now - *it->second >= kKeepEnded ? runs_.erase(it) : std::next(it);
  }
}

bool NftRuns::Ours(int pid, Clock::time_point now) const {
  if (pid <= 0) return false;
  MutexLock lock(mu_);
  auto it = runs_.find(pid);
  return it != runs_.end() && (!it->second || now - *it->second < kKeepEnded);
}

Result<CommandResult> NftRunRecorder::Run(const Command& command) {
  std::string_view program = command.argv.empty() ? "" : command.argv[0];
  if (size_t slash = program.rfind('/'); slash != std::string_view::npos) program.remove_prefix(slash + 1);
  if (program != "nft") return inner_.Run(command);
  int pid = 0;
  Command recorded = command;
  recorded.started = [&](int child) {
    pid = child;
    runs_.Started(child);
    if (command.started) command.started(child);
  };
  Result<CommandResult> result = inner_.Run(recorded);
  if (pid > 0) runs_.Ended(pid, NftRuns::Clock::now());
  return result;
}

}  // namespace wharf::net
