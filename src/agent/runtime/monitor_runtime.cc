// ContainerRuntime over runc, with wharf-monitor (agent/monitor/monitor.h) as the
// per-container monitor.
//
// Create spawns the monitor, which detaches (its first process exits at once), runs
// `runc create` and reports on a pipe: the container's pid, or runc's error message. It then
// stays the container process's parent (a subreaper), copies stdout/stderr to the k8s-file log
// and, when the process exits, writes the exit status to exits/<id>. Start, State, Kill and
// Delete call runc directly (Start not even that); nothing of ours needs to be alive in between.
//
// Containers that an agent of before left under Debian's conmon keep working: conmon used
// the same layout and files (exit, oom, exits/<id>), and named its pid file conmon.pid.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawn.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file_contents.h"
#include "base/process.h"
#include "agent/runtime/container_runtime.h"
#include "base/logging.h"

extern char** environ;

namespace wharf::agent {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  for (char c : id) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// runc logs through logrus: `time="..." level=error msg="runc create failed: ..."`. The msg
// part is what a user needs (it names the missing executable and so on).
std::string RuncMessage(std::string text) {
  auto start = text.find("msg=\"");
  if (start != std::string::npos) {
    std::string msg;
    for (size_t i = start + 5; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      msg += text[i];
    }
    return msg;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool NotExist(const CommandResult& out) {
  return out.err.find("does not exist") != std::string::npos ||
         out.err.find("container not found") != std::string::npos;
}

// A monitor that exited may linger as a zombie until its new parent (init) reaps it.
bool ProcessAlive(int pid) {
  if (pid <= 0) return false;
  auto stat = ReadFileContents("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto close_paren = stat->rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat->size() &&
         (*stat)[close_paren + 2] != 'Z' && (*stat)[close_paren + 2] != 'X';
}

// Kills a monitor (which stops waiting on anything then) and waits until it is gone.
void StopMonitor(int pid) {
  if (pid <= 0 || kill(pid, SIGKILL) != 0) return;
  for (int i = 0; i < 200 && ProcessAlive(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

class MonitorRuntime final : public ContainerRuntime {
 public:
  MonitorRuntime(RuntimeOptions options, std::string runc, std::string monitor)
      : options_(std::move(options)), runc_(std::move(runc)), monitor_(std::move(monitor)) {}

  Status Create(const std::string& id, const std::string& bundle_dir,
                const std::string& log_path) override;
  Status Start(const std::string& id) override;
  Result<ContainerState> State(const std::string& id) override;
  Status Kill(const std::string& id, int signal) override;
  Status Delete(const std::string& id) override;
  Result<std::vector<std::string>> List() override;
  Result<ContainerState> WatchState(const std::string& id) override;
  int ExitDescriptor(const std::string& id) override;
  Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) override;

 private:
  std::string RuncRoot() const { return options_.state_dir + "/runc"; }
  std::string ExitFile(const std::string& id) const { return options_.state_dir + "/exits/" + id; }
  std::string PersistDir(const std::string& id) const {
    return options_.state_dir + "/containers/" + id;
  }
  // conmon's attach sockets, of containers an agent of before made under conmon.
  std::string SocketDir() const { return options_.state_dir + "/sockets"; }
  // The container's init process, as the monitor reported it at create.
  std::string PidFile(const std::string& id) const { return PersistDir(id) + "/init.pid"; }

  Result<CommandResult> Runc(std::vector<std::string> args) {
    args.insert(args.begin(), {runc_, "--root", RuncRoot()});
    return RunProcess(args);
  }
  // The monitor's pid (conmon's for a container an agent of before made), 0 when unknown.
  int MonitorPid(const std::string& id) const;
  Status LaunchMonitor(const std::string& id, const std::string& bundle_dir,
                      const std::string& log_path);
  void RemoveFiles(const std::string& id);

  // Constant after construction.
  const RuntimeOptions options_;
  const std::string runc_, monitor_;  // absolute paths
};

Status MonitorRuntime::Create(const std::string& id, const std::string& bundle_dir,
                             const std::string& log_path) {
  if (!ValidId(id)) return Status::InvalidArgument("invalid container id: " + id);
  if (bundle_dir.empty() || bundle_dir[0] != '/') {
    return Status::InvalidArgument("bundle dir must be absolute: " + bundle_dir);
  }
  // The persist dir doubles as the claim on the id: mkdir is atomic.
  if (mkdir(PersistDir(id).c_str(), 0700) != 0) {
    if (errno == EEXIST) return Status::AlreadyExists("container " + id + " already exists");
    return Status::Internal("mkdir " + PersistDir(id) + ": " + strerror(errno));
  }
  Status st = LaunchMonitor(id, bundle_dir, log_path);
  if (!st.ok()) {
    // A monitor still waiting on a hung runc (the create timeout) goes first, and its runc
    // with it (runc's parent-death signal): else it could write exits/<id> after the files
    // are gone, for a later container of the same id to find.
    StopMonitor(MonitorPid(id));
    // runc create cleans up after itself when it fails; this covers a monitor that died or a
    // container that was created but whose report we could not read.
    auto out = Runc({"delete", "--force", id});
    (void)out;
    RemoveFiles(id);
    return st.WithContext("create container " + id);
  }
  return Status::OK();
}

Status MonitorRuntime::LaunchMonitor(const std::string& id, const std::string& bundle_dir,
                                     const std::string& log_path) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + strerror(errno));
  // The monitor's end becomes its fd 3: dup2 in the child clears close-on-exec (a pipe end
  // that already is 3 is moved first, since dup2 onto itself would leave the flag set).
  if (sync[1] == 3) {
    int moved = fcntl(sync[1], F_DUPFD_CLOEXEC, 4);
    close(sync[1]);
    sync[1] = moved;
  }
  const std::vector<std::string> args = {
      monitor_, "--runtime", runc_, "--root", RuncRoot(), "--bundle", bundle_dir,
      "--pid-file", bundle_dir + "/pidfile", "--exit-dir", options_.state_dir + "/exits",
      "--persist-dir", PersistDir(id), "--log", log_path, "--sync-fd", "3", id};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // posix_spawn (vfork) rather than fork: copying the agent's page tables is the cost of a
  // fork, milliseconds for a server with a few hundred MB mapped.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, 0, 1);
  posix_spawn_file_actions_adddup2(&actions, 0, 2);
  posix_spawn_file_actions_adddup2(&actions, sync[1], 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  // Nothing of the calling thread's signal mask, or of what the agent ignores (its own
  // SIGPIPE; SIGCHLD, SIGINT, SIGQUIT from whoever started it), reaches the monitor and
  // through it runc and the container: a monitor with SIGCHLD ignored never sees an exit.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(sync[1]);
  if (rc != 0) {
    close(sync[0]);
    return Status::Internal("cannot start " + monitor_ + ": " + strerror(rc));
  }

  // The monitor writes its report and closes its end; EOF ends it.
  std::string report;
  const auto deadline = std::chrono::steady_clock::now() + options_.create_timeout;
  char buf[4096];
  bool eof = false;
  while (!eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{sync[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n <= 0) continue;  // EINTR, or the deadline (checked above)
    ssize_t r = read(sync[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      eof = true;
    } else {
      report.append(buf, r);
      // A pid is all of a success report: not worth waiting for the close.
      eof = report.rfind("created ", 0) == 0 && report.back() == '\n';
    }
  }
  close(sync[0]);
  // Its first process exits as soon as it has forked the monitor, which init inherits.
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }

  if (!eof) return Status::Internal("the monitor did not report within the create timeout");
  if (report.rfind("created ", 0) == 0) {
    const int container_pid = std::atoi(report.c_str() + 8);
    if (container_pid <= 0) return Status::Internal("unexpected monitor report: " + report);
    // For Start; without it, Start runs `runc start`.
    std::ofstream(PidFile(id)) << container_pid << "\n";
    return Status::OK();
  }
  if (report.rfind("runtime-failed ", 0) == 0) {
    // A missing executable is the user's mistake, not ours: ECS reports it as a
    // CannotStartContainerError with runc's text.
    return Status::FailedPrecondition(RuncMessage(report.substr(15)));
  }
  if (report.rfind("error ", 0) == 0) return Status::Internal("monitor: " + report.substr(6));
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
    return Status::Internal(monitor_ + " exited with status " + std::to_string(WEXITSTATUS(wstatus)));
  }
  return Status::Internal("the monitor exited before reporting" +
                          (report.empty() ? std::string() : ": " + report));
}

// What `runc start` does, without running runc (a Go program: ~10 ms of exec and start-up on
// the path to RUNNING): `runc create` leaves the container's init blocked opening
// <root>/<id>/exec.fifo for writing; a reader unblocks it, it writes one byte and execs the
// process, which closes the fifo (close-on-exec), so EOF means the process runs. runc then
// removes the fifo, which is how it tells "created" from "running" afterwards.
// nullopt when there is no fifo (another runtime, or a container not in "created"): the
// caller runs `runc start` and gets its answer.
std::optional<Status> StartThroughFifo(const std::string& fifo, const std::string& pidfile) {
  int init_pid = 0;
  if (auto text = ReadFileContents(pidfile)) init_pid = std::atoi(text->c_str());
  if (init_pid <= 0) return std::nullopt;
  int fd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
    close(fd);
    return std::nullopt;
  }
  std::string data;
  bool eof = false;
  while (!eof) {
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, 100);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      // As runc: an init that died never writes; it cannot be started.
      if (!ProcessAlive(init_pid)) {
        close(fd);
        return Status::FailedPrecondition("container process is already dead");
      }
      continue;
    }
    char buf[16];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
      data.append(buf, r);
    } else if (r == 0) {
      eof = (p.revents & POLLHUP) != 0 || !data.empty();
      // A reader sees no writer yet only before init opened the fifo: wait for it.
      if (!eof) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else if (errno != EAGAIN && errno != EINTR) {
      int err = errno;
      close(fd);
      return Status::Internal("read " + fifo + ": " + strerror(err));
    }
  }
  close(fd);
  if (data.empty()) return Status::FailedPrecondition("cannot start an already running container");
  if (unlink(fifo.c_str()) != 0 && errno != ENOENT) {
    return Status::Internal("remove " + fifo + ": " + strerror(errno));
  }
  return Status::OK();
}

Status MonitorRuntime::Start(const std::string& id) {
  if (!ValidId(id)) return Status::InvalidArgument("invalid container id: " + id);
  if (auto started = StartThroughFifo(RuncRoot() + "/" + id + "/exec.fifo", PidFile(id))) {
    if (started->ok()) return Status::OK();
    return Status::FailedPrecondition("start container " + id + ": " + started->message());
  }
  ASSIGN_OR_RETURN(CommandResult out, Runc({"start", id}));
  if (out.exit_code == 0) return Status::OK();
  if (NotExist(out)) return Status::NotFound("container " + id + " does not exist");
  return Status::FailedPrecondition("start container " + id + ": " + RuncMessage(out.err));
}

Result<ContainerState> MonitorRuntime::State(const std::string& id) {
  if (!ValidId(id)) return Status::InvalidArgument("invalid container id: " + id);
  auto stopped_state = [&]() -> std::optional<ContainerState> {
    auto text = ReadFileContents(ExitFile(id));
    if (!text || text->empty()) return std::nullopt;
    ContainerState s;
    s.status = "stopped";
    s.exit_code = std::atoi(text->c_str());
    struct stat st {};
    if (stat(ExitFile(id).c_str(), &st) == 0) {
      s.finished_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    }
    s.oom_killed = access((PersistDir(id) + "/oom").c_str(), F_OK) == 0;
    return s;
  };
  // The exit file is final and cheaper than running runc.
  if (auto s = stopped_state()) return *s;

  ASSIGN_OR_RETURN(CommandResult out, Runc({"state", id}));
  if (out.exit_code != 0) {
    if (NotExist(out)) {
      if (access(PersistDir(id).c_str(), F_OK) != 0) {
        return Status::NotFound("container " + id + " does not exist");
      }
      return ContainerState{"stopped", 0, std::nullopt, std::nullopt, false};
    }
    return Status::Internal("runc state " + id + ": " + RuncMessage(out.err));
  }
  boost::system::error_code ec;
  json::value v = json::parse(out.out, ec);
  if (ec || !v.is_object()) return Status::Internal("runc state " + id + ": unparsable output");
  ContainerState s;
  const auto& o = v.as_object();
  if (const auto* st = o.if_contains("status"); st && st->is_string()) s.status = st->as_string();
  if (const auto* p = o.if_contains("pid"); p && p->is_int64()) s.pid = static_cast<int>(p->as_int64());
  if (s.status == "paused") s.status = "running";
  if (s.status == "stopped") {
    s.pid = 0;
    // The monitor writes the exit file just after reaping; look again before reporting "unknown".
    if (auto again = stopped_state()) return *again;
  }
  return s;
}

Result<ContainerState> MonitorRuntime::WatchState(const std::string& id) {
  if (!ValidId(id)) return Status::InvalidArgument("invalid container id: " + id);
  if (access(ExitFile(id).c_str(), F_OK) != 0) {
    const int monitor_pid = MonitorPid(id);
    // The monitor outlives its container by the moment it takes to write the exit file.
    if (monitor_pid > 0 && ProcessAlive(monitor_pid)) return ContainerState{"running", 0, std::nullopt, std::nullopt, false};
  }
  return State(id);
}

int MonitorRuntime::ExitDescriptor(const std::string& id) {
  if (!ValidId(id)) return -1;
  const int monitor_pid = MonitorPid(id);
  if (monitor_pid <= 0) return -1;
  // A pidfd polls readable when the process exits; the monitor exits just after writing the
  // exit file.
  int fd = static_cast<int>(syscall(SYS_pidfd_open, monitor_pid, 0));
  if (fd < 0) return -1;
  // Opened after the pid was reaped and reused: not our monitor. The caller's WatchState
  // after this sees the exit file anyway; this keeps it from waiting on a stranger.
  if (!ProcessAlive(monitor_pid) || access(ExitFile(id).c_str(), F_OK) == 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int MonitorRuntime::MonitorPid(const std::string& id) const {
  for (const char* name : {"/monitor.pid", "/conmon.pid"}) {
    if (auto text = ReadFileContents(PersistDir(id) + name)) return std::atoi(text->c_str());
  }
  return 0;
}

Result<int> MonitorRuntime::Exec(const std::string& id, const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  std::vector<std::string> args{"exec", id};
  args.insert(args.end(), argv.begin(), argv.end());
  args.insert(args.begin(), {runc_, "--root", RuncRoot()});
  auto out = RunProcess(args, timeout);
  if (!out.ok()) return Status::Unavailable("exec in " + id + ": " + out.status().message());
  return out->exit_code;
}

Status MonitorRuntime::Kill(const std::string& id, int signal) {
  ASSIGN_OR_RETURN(CommandResult out, Runc({"kill", id, std::to_string(signal)}));
  if (out.exit_code == 0) return Status::OK();
  if (NotExist(out)) return Status::NotFound("container " + id + " does not exist");
  return Status::FailedPrecondition("kill container " + id + ": " + RuncMessage(out.err));
}

void MonitorRuntime::RemoveFiles(const std::string& id) {
  std::error_code ec;
  fs::remove(ExitFile(id), ec);
  fs::remove(SocketDir() + "/" + id, ec);
  fs::remove_all(PersistDir(id), ec);
}

Status MonitorRuntime::Delete(const std::string& id) {
  if (!ValidId(id)) return Status::InvalidArgument("invalid container id: " + id);
  const int monitor_pid = MonitorPid(id);
  // --force kills a running container first; runc removes its state and cgroup.
  ASSIGN_OR_RETURN(CommandResult out, Runc({"delete", "--force", id}));
  if (out.exit_code != 0 && !NotExist(out)) {
    return Status::Internal("delete container " + id + ": " + RuncMessage(out.err));
  }
  // Let the monitor finish writing the exit file before removing it, or it would reappear.
  for (int i = 0; i < 200 && ProcessAlive(monitor_pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  RemoveFiles(id);
  return Status::OK();
}

Result<std::vector<std::string>> MonitorRuntime::List() {
  std::vector<std::string> ids;
  for (const auto& dir : {options_.state_dir + "/containers", RuncRoot()}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string name = e.path().filename();
      if (e.is_directory() && ValidId(name) && std::find(ids.begin(), ids.end(), name) == ids.end()) {
        ids.push_back(name);
      }
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// wharf-monitor beside the running program (build/ or the install directory), else on PATH.
Result<std::string> DefaultMonitor() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string beside = (self.parent_path() / "wharf-monitor").string();
    if (access(beside.c_str(), X_OK) == 0) return beside;
  }
  auto found = FindExecutable("wharf-monitor");
  if (found.ok()) return *found;
  return Status::FailedPrecondition("wharf-monitor is neither beside " + self.string() +
                                    " nor on PATH: it is built and installed with wharf");
}

}  // namespace

Result<std::unique_ptr<ContainerRuntime>> MakeMonitorRuntime(RuntimeOptions options) {
  // Checked now, not at the first task: without a monitor no container can run.
  std::string monitor_path;
  if (options.monitor_binary.empty()) {
    ASSIGN_OR_RETURN(monitor_path, DefaultMonitor());
  } else {
    auto monitor = FindExecutable(options.monitor_binary);
    if (!monitor.ok()) {
      return Status::FailedPrecondition("monitor " + options.monitor_binary + " not found");
    }
    monitor_path = *monitor;
  }
  // A runtime that cannot be found is kept as given: every call then reports it cannot be run.
  auto runc = FindExecutable(options.runtime_binary);
  std::string runc_path = runc.ok() ? *runc : options.runtime_binary;
  std::error_code ec;
  for (const char* sub : {"/runc", "/exits", "/containers"}) {
    fs::create_directories(options.state_dir + sub, ec);
  }
  return std::unique_ptr<ContainerRuntime>(std::make_unique<MonitorRuntime>(
      std::move(options), std::move(runc_path), std::move(monitor_path)));
}

}  // namespace wharf::agent
