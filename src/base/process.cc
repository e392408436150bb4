#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

extern char** environ;

namespace wharf {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() { Close(); }
  void Close() {
    for (int& fd : fds) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  }
};

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Feeds stdin and drains stdout/stderr together so that neither side blocks on a full pipe.
// False when the deadline passed first.
bool Pump(int in_fd, const std::string& input, int out_fd, int err_fd, CommandResult& result,
          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t written = 0;
  if (input.empty() && in_fd >= 0) {
    close(in_fd);
    in_fd = -1;
  }
  char buf[16384];
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd pfds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_fd >= 0) { idx_in = n; pfds[n++] = {in_fd, POLLOUT, 0}; }
    if (out_fd >= 0) { idx_out = n; pfds[n++] = {out_fd, POLLIN, 0}; }
    if (err_fd >= 0) { idx_err = n; pfds[n++] = {err_fd, POLLIN, 0}; }
    int wait_ms = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        for (int fd : {in_fd, out_fd, err_fd}) {
          if (fd >= 0) close(fd);
        }
        return false;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = poll(pfds, n, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) continue;
    if (idx_in >= 0 && pfds[idx_in].revents) {
      ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EINTR && errno != EAGAIN) written = input.size();
      if (written >= input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    auto drain = [&](int idx, int& fd, std::string& sink) {
      if (idx < 0 || !pfds[idx].revents) return;
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fd);
        fd = -1;
      }
    };
    drain(idx_out, out_fd, result.out);
    drain(idx_err, err_fd, result.err);
  }
  if (in_fd >= 0) close(in_fd);
  return true;
}

}  // namespace

Result<CommandResult> ProcessRunner::Run(const Command& command) {
  if (command.argv.empty()) return Status::InvalidArgument("empty command");
  Pipe in, out, err;
  if (pipe2(in.fds, O_CLOEXEC) != 0 || pipe2(out.fds, O_CLOEXEC) != 0 ||
      pipe2(err.fds, O_CLOEXEC) != 0) {
    return Status::Internal(Errno("pipe2"));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);

  std::vector<char*> argv;
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (command.env) {
    for (const auto& [k, v] : *command.env) env_strings.push_back(k + "=" + v);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
  // A plugin that exits before reading stdin must not kill us with SIGPIPE; write() gets EPIPE
  // instead because the agent ignores SIGPIPE process-wide (networking code does too).
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(),
                        command.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::Internal("cannot start " + command.argv[0] + ": " + std::strerror(rc));
  }
  close(in.fds[0]);
  in.fds[0] = -1;
  close(out.fds[1]);
  out.fds[1] = -1;
  close(err.fds[1]);
  err.fds[1] = -1;
  if (command.started) command.started(pid);

  CommandResult result;
  bool finished = Pump(in.fds[1], command.stdin_data, out.fds[0], err.fds[0], result, command.timeout);
  in.fds[1] = out.fds[0] = err.fds[0] = -1;  // closed by Pump
  if (!finished) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return Status::Internal(Errno("waitpid"));
  }
  if (!finished) return Status::Unavailable(command.argv[0] + " timed out");
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return result;
}

Result<CommandResult> RunProcess(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  ProcessRunner runner;
  return runner.Run(Command{std::move(argv), std::nullopt, "", timeout});
}

Result<std::string> FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) return Status::FailedPrecondition(name + " is not executable");
    return name;
  }
  const char* path = getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  // Daemons often run with a PATH lacking sbin, where Debian puts runc.
  for (const char* d : {"/usr/sbin/", "/sbin/", "/usr/bin/"}) {
    std::string candidate = std::string(d) + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Status::FailedPrecondition(name + " not found on PATH");
}

Result<std::string> RunChecked(CommandRunner& runner, std::vector<std::string> argv) {
  Command command{std::move(argv), std::nullopt, "", std::chrono::seconds(30)};
  ASSIGN_OR_RETURN(CommandResult r, runner.Run(command));
  if (r.exit_code != 0) {
    std::string joined;
    for (const auto& a : command.argv) joined += (joined.empty() ? "" : " ") + a;
    std::string msg = r.err.empty() ? r.out : r.err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Internal(joined + ": exit " + std::to_string(r.exit_code) + ": " + msg);
  }
  return std::move(r.out);
}

}  // namespace wharf
