// Running a helper program (a CNI plugin, iptables, ip) and collecting what it said.
//
// The network code shells out to the plugins and to iptables, so this is its process seam:
// tests and callers that need a fake pass their own CommandRunner. RunCommand never uses a
// shell; argv[0] is an absolute path or found on PATH. Thread-safe (no shared state).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::agent {

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

}  // namespace wharf::agent
