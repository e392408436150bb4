// The monitor's work once detached: run `runc create`, report, then watch the container.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/monitor/k8s_log.h"
#include "agent/monitor/monitor.h"
#include "agent/monitor/oom_watch.h"

namespace wharf::monitor {
namespace {

// How much of `data` was written: all of it unless the disk is full or the reader gone.
size_t WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;  // a full disk or a gone reader: nothing better to do with it
    done += static_cast<size_t>(w);
  }
  return done;
}

// The container's log. A write cut short (a full disk) leaves a record without its newline;
// the next write finishes that line first, so that a later record is not glued onto it.
struct LogFile {
  int fd;
  bool mid_record = false;

  void Append(std::string records) {
    if (mid_record) records.insert(0, 1, '\n');
    const size_t done = WriteAll(fd, records);
    if (done > 0) mid_record = records[done - 1] != '\n';
  }
};

void Report(int& sync_fd, const std::string& report) {
  WriteAll(sync_fd, report);
  close(sync_fd);
  sync_fd = -1;
}

// Whatever is already in a pipe, without waiting for more.
std::string ReadAvailable(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string text;
  char buf[4096];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)) {
    if (r > 0) text.append(buf, static_cast<size_t>(r));
  }
  return text;
}

// One container stream: the pipe the monitor reads and the stream's name in the log.
struct Stream {
  int fd;
  const char* name;
};

enum class Copied { kSome, kNothingYet, kEnd };

// Copies one read (at most kReadSize) of `s` into the log; kEnd at EOF or on an error.
Copied CopyOnce(Stream& s, LogFile& log) {
  char buf[kReadSize];
  ssize_t r = read(s.fd, buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return Copied::kNothingYet;
  if (r <= 0) return Copied::kEnd;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::string records;
  AppendK8sRecords(K8sTimestamp(now), s.name, std::string_view(buf, static_cast<size_t>(r)), &records);
  log.Append(std::move(records));
  return Copied::kSome;
}

// Forks `runc create` with the container's stdio: /dev/null, out[1], err[1]. Its pid or -1.
// When runc cannot be executed at all, why goes to `exec_failed_fd` (closed on exec).
pid_t StartCreate(const MonitorArgs& args, const sigset_t& old_mask, int out_fd, int err_fd,
                  int exec_failed_fd) {
  std::vector<std::string> argv_storage = {args.runtime, "--root", args.root, "create", "--bundle",
                                           args.bundle, "--pid-file", args.pid_file, args.id};
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // runc must not outlive a monitor that died, nor run with what the monitor changed for itself.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  // Every disposition the monitor inherited or set (its ignored SIGPIPE; a SIGINT ignored by
  // the shell that started wharf in the background) would pass through runc to the container.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);  // the rest cannot be set
  }
  // glibc refuses its own two (32, 33); the kernel does not. All zeros is SIG_DFL, no flags,
  // no mask, in every architecture's layout of the kernel's struct sigaction.
  struct { void* handler; unsigned long flags; void* restorer; unsigned long mask; } dfl{};
  syscall(SYS_rt_sigaction, 32, &dfl, nullptr, sizeof dfl.mask);
  syscall(SYS_rt_sigaction, 33, &dfl, nullptr, sizeof dfl.mask);
  SetOomScoreAdj("0");
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
  execv(argv[0], argv.data());
  WriteAll(exec_failed_fd, "exec " + args.runtime + ": " + strerror(errno));
  _exit(127);
}

void DrainSignals(int sig_fd) {
  signalfd_siginfo info;
  while (read(sig_fd, &info, sizeof info) > 0) {
  }
}

enum class RuntimeEnd { kExited, kAbandoned, kWaitFailed };

// Waits for `runc create` to exit (*status). An agent that stopped waiting for the report (a
// hung runtime: its create timeout) closed its end of the sync pipe: then runc is killed,
// and kAbandoned says to leave without a trace (the agent deletes the container).
RuntimeEnd WaitForRuntime(int sig_fd, int sync_fd, pid_t create, int* status) {
  for (;;) {
    const pid_t waited = waitpid(create, status, WNOHANG);
    if (waited == create) return RuntimeEnd::kExited;
    if (waited < 0 && errno != EINTR) return RuntimeEnd::kWaitFailed;
    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {sync_fd, 0, 0}};  // a write end polls POLLERR alone
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if ((fds[1].revents & (POLLERR | POLLHUP)) != 0) {
      kill(create, SIGKILL);
      while (waitpid(create, status, 0) < 0 && errno == EINTR) {
      }
      return RuntimeEnd::kAbandoned;
    }
    DrainSignals(sig_fd);
  }
}

// Copies the container's output to the log and reaps until `container_pid` exits; its wait
// status. Sets *oom_killed when the OOM killer acted meanwhile.
int WatchUntilExit(int sig_fd, int container_pid, Stream (&streams)[2], OomWatch& oom, LogFile& log,
                   bool* oom_killed) {
  // The SIGCHLD of a child that exited while runc ran may have been drained with runc's.
  bool reap = true;
  for (;;) {
    if (reap) {
      int status = 0, container_status = -1;
      pid_t pid;
      // Also what the subreaper inherits: the processes of the container's pid namespace
      // once its init has died (the kernel kills them), and whatever runc left.
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == container_pid) container_status = status;
      }
      if (container_status != -1) return container_status;
    }
    pollfd fds[4];
    nfds_t n = 0;
    fds[n++] = {sig_fd, POLLIN, 0};
    if (oom.fd() >= 0) fds[n++] = {oom.fd(), oom.events(), 0};
    const nfds_t first_stream = n;
    for (auto& s : streams) fds[n++] = {s.fd, POLLIN, 0};  // -1 entries are ignored by poll
    if (poll(fds, n, -1) < 0) continue;  // EINTR
    for (nfds_t i = first_stream; i < n; ++i) {
      Stream& s = streams[i - first_stream];
      if (s.fd >= 0 && fds[i].revents != 0 && CopyOnce(s, log) == Copied::kEnd) {
        close(s.fd);
        s.fd = -1;
      }
    }
    if (oom.fd() >= 0 && fds[1].revents != 0 && oom.Check()) *oom_killed = true;
    reap = fds[0].revents != 0;
    if (reap) DrainSignals(sig_fd);
  }
}

int ExitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

void SetOomScoreAdj(const char* value) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t unused = write(fd, value, strlen(value));
  (void)unused;
  close(fd);
}

bool PublishFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  WriteAll(fd, text);
  close(fd);
  return rename(tmp.c_str(), path.c_str()) == 0;
}

int Supervise(const MonitorArgs& args, int log_fd) {
  int sync_fd = args.sync_fd;
  // The container's process is runc's child; when runc exits it becomes ours to wait for.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    Report(sync_fd, std::string("error PR_SET_CHILD_SUBREAPER: ") + strerror(errno));
    return 1;
  }
  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old_mask);
  int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  int out[2], err[2], exec_failed[2];
  if (sig_fd < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(exec_failed, O_CLOEXEC) != 0) {
    Report(sync_fd, std::string("error signalfd/pipe: ") + strerror(errno));
    return 1;
  }
  const pid_t create = StartCreate(args, old_mask, out[1], err[1], exec_failed[1]);
  close(out[1]);
  close(err[1]);
  close(exec_failed[1]);
  if (create < 0) {
    Report(sync_fd, std::string("error fork: ") + strerror(errno));
    return 1;
  }
  // While runc works (the agent reads it only after the report).
  if (!PublishFile(args.persist_dir + "/monitor.pid", std::to_string(getpid()))) {
    Report(sync_fd, "error write " + args.persist_dir + "/monitor.pid: " + strerror(errno));
    kill(create, SIGKILL);
    return 1;
  }
  int create_status = 0;
  switch (WaitForRuntime(sig_fd, sync_fd, create, &create_status)) {
    case RuntimeEnd::kExited:
      break;
    case RuntimeEnd::kAbandoned:
      return 1;
    case RuntimeEnd::kWaitFailed:
      // Not knowing how runc ended, we may not take it for success.
      Report(sync_fd, std::string("error waitpid runtime: ") + strerror(errno));
      kill(create, SIGKILL);
      return 1;
  }
  // A runtime that could not even be run is the node's fault, not the task definition's.
  if (std::string why = ReadAvailable(exec_failed[0]); !why.empty()) {
    Report(sync_fd, "error " + why);
    return 1;
  }
  close(exec_failed[0]);
  if (!WIFEXITED(create_status) || WEXITSTATUS(create_status) != 0) {
    // runc writes why on stderr, the pipe that would have been the container's (as conmon).
    std::string why = ReadAvailable(err[0]);
    if (why.empty()) why = "runtime exited with status " + std::to_string(ExitStatus(create_status));
    Report(sync_fd, "runtime-failed " + why);
    return 1;
  }
  std::string pid_text;
  if (int fd = open(args.pid_file.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    pid_text = ReadAvailable(fd);
    close(fd);
  }
  const int container_pid = atoi(pid_text.c_str());
  if (container_pid <= 0) {
    Report(sync_fd, "error no container pid in " + args.pid_file);
    return 1;
  }
  // Before the report: once it is sent the container may be started and be gone at once.
  OomWatch oom;
  oom.Start(container_pid);  // without a memory cgroup there is no OOM to notice
  Report(sync_fd, "created " + std::to_string(container_pid) + "\n");
  bool oom_killed = false;
  Stream streams[2] = {{out[0], "stdout"}, {err[0], "stderr"}};
  LogFile log{log_fd};
  const int container_status = WatchUntilExit(sig_fd, container_pid, streams, oom, log, &oom_killed);
  // What the process wrote before it exited; not what its orphans write on (as conmon).
  for (auto& s : streams) {
    if (s.fd < 0) continue;
    fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
    while (CopyOnce(s, log) == Copied::kSome) {
    }
    close(s.fd);
  }
  // The kernel signals an OOM before the killed process's exit, but both may come in one poll.
  if (oom.Check()) oom_killed = true;
  if (oom_killed) PublishFile(args.persist_dir + "/oom", "");
  const std::string status = std::to_string(ExitStatus(container_status));
  PublishFile(args.persist_dir + "/exit", status);
  PublishFile(args.exit_dir + "/" + args.id, status);
  return 0;
}

std::string ParseArgs(int argc, char** argv, MonitorArgs* args) {
  struct Flag {
    const char* name;
    std::string* value;
  };
  std::string sync_fd;
  const Flag flags[] = {{"--runtime", &args->runtime},   {"--root", &args->root},
                        {"--bundle", &args->bundle},     {"--pid-file", &args->pid_file},
                        {"--exit-dir", &args->exit_dir}, {"--persist-dir", &args->persist_dir},
                        {"--log", &args->log},           {"--sync-fd", &sync_fd}};
  for (int i = 1; i < argc; ++i) {
    const Flag* flag = nullptr;
    for (const auto& f : flags) {
      if (strcmp(argv[i], f.name) == 0) flag = &f;
    }
    if (flag == nullptr) {
      if (argv[i][0] == '-' || !args->id.empty()) return std::string("unexpected argument ") + argv[i];
      args->id = argv[i];
      continue;
    }
    if (++i == argc) return std::string(flag->name) + " needs a value";
    *flag->value = argv[i];
  }
  if (!sync_fd.empty()) args->sync_fd = atoi(sync_fd.c_str());
  for (const auto& f : flags) {
    if (f.value->empty()) return std::string(f.name) + " is required";
  }
  if (args->id.empty()) return "the container id is required";
  return "";
}

}  // namespace wharf::monitor
