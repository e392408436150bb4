// Running a helper binary (runc) and collecting what it printed.
//
// The child gets /dev/null as stdin and no descriptor of ours besides its stdout/stderr pipes,
// so a long-lived child cannot hold our sockets or pipes open.
// Thread-safety: safe from any thread (fork is followed only by async-signal-safe calls).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::agent {

struct CommandOutput {
  int exit_code = 0;  // 128+signal when the child was killed
  std::string out, err;
};

// Runs argv[0] (an absolute path) with argv and the current environment, waiting up to
// `timeout` (then SIGKILL). Internal when it cannot be started or times out.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The absolute path of `name` on PATH (or `name` itself if it contains a '/').
Result<std::string> FindExecutable(const std::string& name);

}  // namespace wharf::agent
