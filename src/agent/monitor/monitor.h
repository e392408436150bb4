// wharf-monitor: the per-container monitor the agent's runtime (agent/runtime/
// monitor_runtime.cc) leaves behind each container, in place of conmon and doing what
// conmon did for it, in a program whose exec and start cost a fraction of a millisecond
// (libc and libstdc++, no glib, linked statically; bench/README.md "wharf-monitor in place of
// conmon").
//
//   wharf-monitor --runtime <runc> --root <runc root> --bundle <dir> --pid-file <file>
//                 --exit-dir <dir> --persist-dir <dir> --log <file> --sync-fd <n> <container id>
//
// 1. Opens the log, forks and exits: the agent reaps it at once, and the monitor (the child)
//    is in a session of its own, re-parented to init, so it outlives the agent.
// 2. Becomes a child subreaper, forks `<runc> --root R create --bundle B --pid-file P <id>`
//    with stdin /dev/null and stdout/stderr on pipes it reads (runc hands them to the
//    container's process), writes <persist>/monitor.pid while runc works and waits for it.
//    Should the agent stop waiting first (its end of --sync-fd closed: its create timeout),
//    the monitor kills runc and exits without writing anything more.
// 3. Reports on --sync-fd, then closes it, exactly one of:
//      "created <pid>\n"       runc made the container; <pid> is its init process
//      "runtime-failed <text>" runc failed; <text> is what it wrote on stderr (the reason)
//      "error <text>"          the monitor could not do its part, or could not execute runc
// 4. Copies stdout/stderr into the k8s-file log (k8s_log.h), notices OOM kills (oom_watch.h)
//    and reaps. When the container's process exits it writes <persist>/oom if the OOM killer
//    acted, then the exit status (Docker's: the code, or 128+signal) as decimal text to
//    <persist>/exit and <exit-dir>/<id>, each published by rename, and exits.
#pragma once

#include <string>

namespace wharf::monitor {

struct MonitorArgs {
  std::string runtime, root, bundle, pid_file, exit_dir, persist_dir, log, id;
  int sync_fd = -1;
};

// Empty on success, else what is wrong.
std::string ParseArgs(int argc, char** argv, MonitorArgs* args);

// Steps 2-4 in the (already detached) monitor process; returns its exit status.
int Supervise(const MonitorArgs& args, int log_fd);

// Sets /proc/self/oom_score_adj; best effort (as conmon).
void SetOomScoreAdj(const char* value);

// Writes `text` to `path` through a temporary file and rename(2), so readers never see half.
bool PublishFile(const std::string& path, const std::string& text);

}  // namespace wharf::monitor
