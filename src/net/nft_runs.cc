#include "net/nft_runs.h"

#include <string_view>

#include "base/file_contents.h"

namespace wharf::net {

void NftRuns::Started(int pid) {
  MutexLock lock(mu_);
  runs_[pid] = std::nullopt;
}

bool InInitialPidNamespace(std::string_view status) {
  size_t at = status.find("NSpid:");
  while (at != std::string_view::npos && at != 0 && status[at - 1] != '\n') at = status.find("NSpid:", at + 1);
  if (at == std::string_view::npos) return false;
  std::string_view line = status.substr(at + 6);
  line = line.substr(0, line.find('\n'));
  int pids = 0;
  bool in_word = false;
  for (char c : line) {
    bool space = c == ' ' || c == '\t';
    if (!space && !in_word) ++pids;
    in_word = !space;
  }
  return pids == 1;
}

bool InInitialPidNamespace() {
  std::optional<std::string> status = ReadFileContents("/proc/self/status");
  return status && InInitialPidNamespace(*status);
}

void NftRuns::Ended(int pid) {
  const Time now = clock_.Now();
  MutexLock lock(mu_);
  runs_[pid] = now;
  for (auto it = runs_.begin(); it != runs_.end();) {  // the list stays as long as the runs of 10 s
    it = it->second && now - *it->second >= kKeepEnded ? runs_.erase(it) : std::next(it);
  }
}

bool NftRuns::Ours(int pid) const {
  if (pid <= 0) return false;
  const Time now = clock_.Now();
  MutexLock lock(mu_);
  auto it = runs_.find(pid);
  return it != runs_.end() && (!it->second || now - *it->second < kKeepEnded);
}

Result<CommandResult> NftRunRecorder::Run(const Command& command) {
  // Both arms views: a std::string arm would make the result a temporary copy, left dangling.
  std::string_view program = command.argv.empty() ? std::string_view() : std::string_view(command.argv[0]);
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
  if (pid > 0) runs_.Ended(pid);
  return result;
}

}  // namespace wharf::net
