// Running a helper program (runc, a CNI plugin, iptables, ip) and collecting what it said.
//
// The node shells out to these, so this is its process seam: tests and callers that need a
// fake pass their own CommandRunner. No shell is used; argv[0] is an absolute path or found
// on PATH. stdin is the given bytes (or empty), stdout and stderr are collected together so
// neither pipe fills; a program that outlives its timeout is killed and the run fails with
// Unavailable. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf {

struct CommandResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;
  std::string err;
};

struct Command {
  std::vector<std::string> argv;
  // Replaces the environment when set; the child inherits ours otherwise.
  std::optional<std::map<std::string, std::string>> env;
  std::string stdin_data;
  std::chrono::milliseconds timeout{30000};  // then SIGKILL; 0: no limit
  // Called with the child's pid once it runs, before any of `stdin_data` is written: a
  // program that reads its stdin whole before it acts (`nft -f -`) has done nothing yet, so
  // the caller can know the pid before the program's effects (net/nft_runs.h).
  std::function<void(int pid)> started = nullptr;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Fails only when the program could not be started; a non-zero exit is a result.
  virtual Result<CommandResult> Run(const Command& command) = 0;
};

// posix_spawn with pipes for stdin/stdout/stderr.
class ProcessRunner final : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override;
};

// Runs `argv` and turns a non-zero exit into Internal("<argv0>: <stderr>").
Result<std::string> RunChecked(CommandRunner& runner, std::vector<std::string> argv);

// argv with the real process runner.
Result<CommandResult> RunProcess(std::vector<std::string> argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The absolute path of `name` on PATH (or in the sbin directories daemons' PATHs often lack),
// or `name` itself if it contains a '/'. FailedPrecondition when there is none.
Result<std::string> FindExecutable(const std::string& name);

}  // namespace wharf
