// wharf-monitor's entry: arguments, then detaching from the agent (monitor.h says the rest).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agent/monitor/monitor.h"

namespace {

void ReportAndExit(int sync_fd, const std::string& text) {
  const std::string report = "error " + text;
  if (sync_fd >= 0) {
    ssize_t unused = write(sync_fd, report.data(), report.size());
    (void)unused;
  }
  _exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  // An ignored SIGCHLD (inherited from whoever started us) makes the kernel reap our
  // children itself: waitpid would never return runc's status or the container's.
  signal(SIGCHLD, SIG_DFL);
  wharf::monitor::MonitorArgs args;
  const std::string bad = wharf::monitor::ParseArgs(argc, argv, &args);
  if (!bad.empty()) ReportAndExit(args.sync_fd, bad);
  // Only we write the report: neither runc nor the container may hold it open.
  if (fcntl(args.sync_fd, F_SETFD, FD_CLOEXEC) != 0) {
    ReportAndExit(-1, "bad --sync-fd");
  }
  // A reader that went away (an agent that gave up waiting) must not kill us; nor may the
  // OOM killer pick the monitor over its container (conmon's -1000; runc gets 0 back).
  signal(SIGPIPE, SIG_IGN);
  wharf::monitor::SetOomScoreAdj("-1000");
  int log_fd = open(args.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0) ReportAndExit(args.sync_fd, "open " + args.log + ": " + strerror(errno));

  // The agent waits for this process; the monitor is its child, which init inherits.
  pid_t monitor = fork();
  if (monitor < 0) ReportAndExit(args.sync_fd, std::string("fork: ") + strerror(errno));
  if (monitor > 0) _exit(0);
  setsid();
  // Not the agent's working directory: it would keep that mount busy for the container's life.
  if (chdir("/") != 0) ReportAndExit(args.sync_fd, std::string("chdir /: ") + strerror(errno));
  return wharf::monitor::Supervise(args, log_fd);
}
