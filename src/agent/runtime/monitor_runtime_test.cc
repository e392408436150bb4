// Real containers through wharf-monitor + runc (needs root, runc, busybox-static).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/runtime/container_runtime.h"
#include "agent/runtime/oci_spec.h"

namespace wharf::agent {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MonitorRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    for (const char* bin : {"/bin/busybox", "/usr/sbin/runc"}) {
      if (access(bin, X_OK) != 0) GTEST_SKIP() << bin << " missing";
    }
    char tmpl[] = "/tmp/wharf-rt-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    rootfs_ = dir_ + "/rootfs";
    fs::create_directories(rootfs_ + "/bin");
    fs::create_directories(rootfs_ + "/etc");
    fs::copy_file("/bin/busybox", rootfs_ + "/bin/busybox");
    for (const char* applet : {"sh", "echo", "sleep", "cat", "grep", "id", "pwd", "true", "test", "[",
                               "printf", "dd", "head", "tr"}) {
      fs::create_symlink("busybox", rootfs_ + "/bin/" + applet);
    }
    std::ofstream(rootfs_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                              "app:x:1000:1000::/home/app:/bin/sh\n";
    std::ofstream(rootfs_ + "/etc/group") << "root:x:0:\napp:x:1000:\nstaff:x:50:app\n";
    fs::create_directories(dir_ + "/shared");
    cgroup_parent_ = "/wharf-test-" + std::to_string(getpid());
    auto runtime = MakeMonitorRuntime(Options());
    ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
    runtime_ = std::move(*runtime);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (runtime_) {
      for (const auto& id : created_) EXPECT_TRUE(runtime_->Delete(id).ok()) << id;
    }
    EXPECT_TRUE(RemoveCgroup(cgroup_parent_).ok());
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RuntimeOptions Options() {
    RuntimeOptions o;
    o.state_dir = dir_ + "/state";
    return o;
  }

  // Writes <dir>/bundles/<id>/config.json for `definition` and returns the bundle dir.
  std::string Bundle(const std::string& id, std::string_view definition) {
    ContainerSpecInput in;
    in.definition = json::parse(definition).as_object();
    in.rootfs = rootfs_;
    in.hostname = "wharf-test";
    in.cgroups_path = cgroup_parent_ + "/" + id;
    in.mounts = {{dir_ + "/shared", "/shared", false}};
    auto spec = BuildOciSpec(in);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    std::string bundle = dir_ + "/bundles/" + id;
    fs::create_directories(bundle);
    std::ofstream(bundle + "/config.json") << json::serialize(spec.ok() ? *spec : json::object{});
    return bundle;
  }

  std::string Log(const std::string& id) { return dir_ + "/" + id + ".log"; }

  // Creates and starts `id` from a child process (an agent of its own, which then exits), with
  // `setup` run in that child first; whether both succeeded there.
  bool CreateAndStartInChild(const std::string& id, const std::string& bundle, void (*setup)() = nullptr) {
    pid_t child = fork();
    if (child == 0) {
      if (setup) setup();
      auto rt = MakeMonitorRuntime(Options()).value();
      Status st = rt->Create(id, bundle, Log(id));
      if (st.ok()) st = rt->Start(id);
      _exit(st.ok() ? 0 : 1);
    }
    int status = 0;
    return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  Status Run(const std::string& id, std::string_view definition) {
    std::string bundle = Bundle(id, definition);
    created_.push_back(id);
    Status st = runtime_->Create(id, bundle, Log(id));
    if (!st.ok()) return st;
    return runtime_->Start(id);
  }

  Result<ContainerState> WaitStopped(ContainerRuntime& rt, const std::string& id,
                                     std::chrono::seconds limit = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      auto s = rt.State(id);
      if (!s.ok()) return s;
      if (s->status == "stopped" && s->exit_code) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Status::Unavailable("container " + id + " did not stop");
  }

  std::string dir_, rootfs_, cgroup_parent_;
  std::unique_ptr<ContainerRuntime> runtime_;
  std::vector<std::string> created_;
};

// The agent refuses to start without its monitor rather than fail every task later.
TEST(MonitorRuntime, MissingMonitorIsRefusedAtOnce) {
  RuntimeOptions options;
  options.state_dir = "/nonexistent/wharf-runtime-test";
  options.monitor_binary = "/nonexistent/wharf-monitor";
  auto rt = MakeMonitorRuntime(options);
  ASSERT_FALSE(rt.ok());
  EXPECT_TRUE(rt.status().IsFailedPrecondition()) << rt.status().ToString();
  EXPECT_NE(rt.status().message().find("/nonexistent/wharf-monitor"), std::string::npos);
}

TEST_F(MonitorRuntimeTest, ExitCodeAndLogLine) {
  const auto t0 = Clock::now();
  ASSERT_TRUE(Run("exit3", R"({"command":["sh","-c","echo hi; echo oops >&2; exit 3"]})").ok());
  const auto started = Clock::now() - t0;
  std::printf("create+start (incl. spec build): %.1f ms\n",
              std::chrono::duration<double, std::milli>(started).count());
  auto s = WaitStopped(*runtime_, "exit3");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, "stopped");
  EXPECT_EQ(s->exit_code, 3);
  EXPECT_TRUE(s->finished_at.has_value());
  const std::string log = ReadFile(Log("exit3"));
  EXPECT_NE(log.find(" stdout F hi\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stderr F oops\n"), std::string::npos) << log;
}

TEST_F(MonitorRuntimeTest, SigtermStopsALongRunningContainer) {
  // A shell as PID 1 gets no default signal actions, so it traps TERM as real images do.
  ASSERT_TRUE(Run("term", R"({"command":["sh","-c","trap 'exit 143' TERM; echo trapped; while true; do sleep 0.05; done"]})").ok());
  auto s = runtime_->State("term");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, "running");
  EXPECT_GT(s->pid, 0);
  // Running is not yet trapping: a TERM before the trap is set is ignored by PID 1 for good.
  for (int i = 0; i < 500 && ReadFile(Log("term")).find("trapped") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(ReadFile(Log("term")).find("trapped"), std::string::npos);
  ASSERT_TRUE(runtime_->Kill("term", SIGTERM).ok());
  s = WaitStopped(*runtime_, "term");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 143);
  EXPECT_TRUE(runtime_->Kill("term", SIGTERM).IsFailedPrecondition());
}

TEST_F(MonitorRuntimeTest, ExitDescriptorPollsReadableOnceTheContainerExits) {
  ASSERT_TRUE(Run("waited", R"({"command":["sleep","1000"]})").ok());
  int fd = runtime_->ExitDescriptor("waited");
  ASSERT_GE(fd, 0);
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 100), 0);  // running: nothing to wait for
  ASSERT_TRUE(runtime_->Kill("waited", SIGKILL).ok());
  p.revents = 0;
  EXPECT_EQ(poll(&p, 1, 10000), 1);
  auto s = runtime_->WatchState("waited");  // the exit file is there once the monitor is gone
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, "stopped");
  EXPECT_EQ(s->exit_code, 137);
  close(fd);
  EXPECT_LT(runtime_->ExitDescriptor("waited"), 0);  // nothing left to wait for
}

TEST_F(MonitorRuntimeTest, InitProcessForwardsSigterm) {
  if (access("/usr/bin/tini-static", X_OK) != 0) GTEST_SKIP() << "tini not installed";
  ASSERT_TRUE(Run("init", R"({"command":["sleep","1000"],"linuxParameters":{"initProcessEnabled":true}})").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let tini start sleep
  ASSERT_TRUE(runtime_->Kill("init", SIGTERM).ok());
  auto s = WaitStopped(*runtime_, "init");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 143);  // tini exits 128+signal of its child
}

TEST_F(MonitorRuntimeTest, SigkillGives137AndDeleteRemovesEverything) {
  ASSERT_TRUE(Run("killme", R"({"command":["sleep","1000"]})").ok());
  const std::string cgroup = "/sys/fs/cgroup/memory" + cgroup_parent_ + "/killme";
  EXPECT_TRUE(fs::exists(cgroup));
  auto s = runtime_->State("killme");
  ASSERT_TRUE(s.ok());
  const std::string monitor_pid = ReadFile(dir_ + "/state/containers/killme/monitor.pid");
  const std::string rss = ReadFile("/proc/" + std::to_string(std::atoi(monitor_pid.c_str())) + "/status");
  if (auto p = rss.find("VmRSS:"); p != std::string::npos) {
    std::printf("wharf-monitor %s", rss.substr(p, rss.find('\n', p) - p + 1).c_str());
  }
  ASSERT_TRUE(runtime_->Kill("killme", SIGKILL).ok());
  s = WaitStopped(*runtime_, "killme");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->exit_code, 137);

  ASSERT_TRUE(runtime_->Delete("killme").ok());
  created_.clear();
  EXPECT_FALSE(fs::exists(cgroup));
  EXPECT_FALSE(fs::exists(dir_ + "/state/runc/killme"));
  EXPECT_FALSE(fs::exists(dir_ + "/state/exits/killme"));
  EXPECT_FALSE(fs::exists(dir_ + "/state/containers/killme"));
  EXPECT_TRUE(runtime_->State("killme").status().IsNotFound());
  EXPECT_TRUE(runtime_->Delete("killme").ok());  // idempotent
}

TEST_F(MonitorRuntimeTest, DeleteOfARunningContainerKillsIt) {
  ASSERT_TRUE(Run("running", R"({"command":["sleep","1000"]})").ok());
  auto s = runtime_->State("running");
  ASSERT_TRUE(s.ok());
  const int pid = s->pid;
  ASSERT_TRUE(runtime_->Delete("running").ok());
  created_.clear();
  EXPECT_NE(kill(pid, 0), 0);
  EXPECT_FALSE(fs::exists(dir_ + "/state/exits/running"));  // the monitor did not write late
  auto list = runtime_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(MonitorRuntimeTest, MonitorOutlivesTheCreatingProcess) {
  const std::string bundle =
      Bundle("survivor", R"({"command":["sh","-c","while [ ! -f /shared/go ]; do sleep 0.02; done; exit 7"]})");
  created_.push_back("survivor");
  ASSERT_TRUE(CreateAndStartInChild("survivor", bundle));

  auto fresh = MakeMonitorRuntime(Options()).value();  // as after an agent restart
  auto list = fresh->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<std::string>{"survivor"});
  auto s = fresh->State("survivor");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, "running");
  EXPECT_FALSE(s->exit_code.has_value());

  std::ofstream(dir_ + "/shared/go") << "";
  s = WaitStopped(*fresh, "survivor");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 7);
}

TEST_F(MonitorRuntimeTest, MissingExecutableFailsCreateWithRuncsMessage) {
  std::string bundle = Bundle("noexec", R"({"command":["/bin/nope"]})");
  Status st = runtime_->Create("noexec", bundle, Log("noexec"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsFailedPrecondition()) << st.ToString();
  EXPECT_NE(st.message().find("no such file or directory"), std::string::npos) << st.ToString();
  EXPECT_FALSE(fs::exists(dir_ + "/state/runc/noexec"));
  EXPECT_FALSE(fs::exists(dir_ + "/state/containers/noexec"));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory" + cgroup_parent_ + "/noexec"));
  EXPECT_TRUE(runtime_->State("noexec").status().IsNotFound());
  // The id is free again.
  created_.push_back("noexec");
  EXPECT_TRUE(runtime_->Create("noexec", Bundle("noexec", R"({"command":["true"]})"), Log("noexec")).ok());
  EXPECT_TRUE(runtime_->Create("noexec", bundle, Log("noexec")).IsAlreadyExists());
}

// The monitor is no child of the agent (a session of its own, re-parented away at once), so
// an agent killed outright leaves the container running, its output logged and its exit
// recorded for the next agent.
TEST_F(MonitorRuntimeTest, MonitorSurvivesItsCreatorBeingKilled) {
  const std::string bundle = Bundle(
      "orphan", R"({"command":["sh","-c","echo before; while [ ! -f /shared/go ]; do sleep 0.02; done; echo after; exit 5"]})");
  created_.push_back("orphan");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t agent = fork();
  if (agent == 0) {
    auto rt = MakeMonitorRuntime(Options()).value();
    Status st = rt->Create("orphan", bundle, Log("orphan"));
    if (st.ok()) st = rt->Start("orphan");
    char c = st.ok() ? 'y' : 'n';
    ssize_t unused = write(ready[1], &c, 1);
    (void)unused;
    pause();  // killed by the test, as an agent would be
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(c, 'y');

  const int monitor = std::atoi(ReadFile(dir_ + "/state/containers/orphan/monitor.pid").c_str());
  ASSERT_GT(monitor, 0);
  // /proc/<pid>/stat: "pid (comm) state ppid pgrp session ..."
  const std::string stat = ReadFile("/proc/" + std::to_string(monitor) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state;
  int ppid = 0, pgrp = 0, session = 0;
  fields >> state >> ppid >> pgrp >> session;
  EXPECT_NE(ppid, agent);
  EXPECT_EQ(session, monitor);

  ASSERT_EQ(kill(agent, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(agent, &status, 0), agent);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto fresh = MakeMonitorRuntime(Options()).value();  // the next agent
  auto s = fresh->WatchState("orphan");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, "running");
  std::ofstream(dir_ + "/shared/go") << "";
  s = WaitStopped(*fresh, "orphan");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 5);
  const std::string log = ReadFile(Log("orphan"));
  EXPECT_NE(log.find(" stdout F before\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F after\n"), std::string::npos) << log;
}

// wharf started from a script in the background has SIGINT and SIGQUIT ignored, and may have
// SIGCHLD ignored: the monitor must still see its children exit, and the container must
// start with every signal at its default (Docker's containers do).
TEST_F(MonitorRuntimeTest, IgnoredSignalsOfTheAgentReachNeitherMonitorNorContainer) {
  const std::string bundle = Bundle("sigdfl", R"({"command":["sh","-c","grep SigIgn /proc/self/status; exit 4"]})");
  created_.push_back("sigdfl");
  ASSERT_TRUE(CreateAndStartInChild("sigdfl", bundle, [] {
    signal(SIGCHLD, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
  }));
  auto s = WaitStopped(*runtime_, "sigdfl");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 4);
  const std::string log = ReadFile(Log("sigdfl"));
  EXPECT_NE(log.find(" stdout F SigIgn:\t0000000000000000\n"), std::string::npos) << log;
}

bool Alive(int pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Processes whose command line has `arg` as one of its arguments.
std::vector<int> ProcessesWithArgument(const std::string& arg) {
  std::vector<int> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = ReadFile(e.path().string() + "/cmdline");
    if (cmdline.find(std::string(1, '\0') + arg + '\0') != std::string::npos && Alive(std::stoi(name))) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

// A runtime that hangs in create: Create gives up at its timeout and leaves neither the
// monitor nor the runtime behind, nor an exit file that a later container of the id would find.
TEST_F(MonitorRuntimeTest, HungRuntimeTimesOutAndLeavesNothing) {
  const std::string stub = dir_ + "/hung-runc";
  std::ofstream(stub) << "#!/bin/sh\n"
                         "case \"$3\" in create) echo $$ > " << dir_ << "/stub.pid; exec sleep 60;; esac\n"
                         "exit 0\n";
  fs::permissions(stub, fs::perms::owner_all);
  RuntimeOptions options = Options();
  options.runtime_binary = stub;
  options.create_timeout = std::chrono::milliseconds(500);
  auto rt = MakeMonitorRuntime(options).value();
  const auto t0 = Clock::now();
  Status st = rt->Create("hung", Bundle("hung", R"({"command":["true"]})"), Log("hung"));
  EXPECT_FALSE(st.ok());
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  const int stub_pid = std::atoi(ReadFile(dir_ + "/stub.pid").c_str());
  ASSERT_GT(stub_pid, 0);
  for (int i = 0; i < 100 && Alive(stub_pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(Alive(stub_pid));
  EXPECT_TRUE(ProcessesWithArgument(stub).empty());  // the monitor: `--runtime <stub>`
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(dir_ + "/state/exits/hung"));
  EXPECT_FALSE(fs::exists(dir_ + "/state/containers/hung"));
}

// A runtime that cannot be executed is the node's fault (Internal), not the task
// definition's (FailedPrecondition, which ECS reports as CannotStartContainerError).
TEST_F(MonitorRuntimeTest, MissingRuntimeIsAnInternalError) {
  RuntimeOptions options = Options();
  options.runtime_binary = dir_ + "/no-runc";
  auto rt = MakeMonitorRuntime(options).value();
  Status st = rt->Create("norunc", Bundle("norunc", R"({"command":["true"]})"), Log("norunc"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsInternal()) << st.ToString();
  EXPECT_NE(st.message().find("no-runc"), std::string::npos) << st.ToString();
  EXPECT_FALSE(fs::exists(dir_ + "/state/containers/norunc"));
}

// Any runc failure at create reaches the caller with runc's own reason, not just a status.
TEST_F(MonitorRuntimeTest, RuncErrorMessageFailsCreate) {
  std::string bundle = Bundle("badcwd", R"({"command":["true"]})");
  auto config = json::parse(ReadFile(bundle + "/config.json")).as_object();
  config["process"].as_object()["cwd"] = "relative/dir";
  std::ofstream(bundle + "/config.json") << json::serialize(config);
  Status st = runtime_->Create("badcwd", bundle, Log("badcwd"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsFailedPrecondition()) << st.ToString();
  EXPECT_NE(st.message().find("absolute"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("level=error"), std::string::npos) << st.ToString();  // runc's msg only
  EXPECT_FALSE(fs::exists(dir_ + "/state/containers/badcwd"));
  EXPECT_EQ(ReadFile(Log("badcwd")), "");  // runc's complaint is not the container's output
}

TEST_F(MonitorRuntimeTest, OomKillIsRecorded) {
  // dd fills a 64 MiB buffer from /dev/zero under a 16 MiB limit (no swap on these machines).
  ASSERT_TRUE(Run("oom", R"({"command":["dd","if=/dev/zero","of=/dev/null","bs=64M","count=1"],"memory":16})").ok());
  auto s = WaitStopped(*runtime_, "oom");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->exit_code, 137);
  EXPECT_TRUE(s->oom_killed);
  ASSERT_TRUE(Run("nooom", R"({"command":["true"],"memory":16})").ok());
  s = WaitStopped(*runtime_, "nooom");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->oom_killed);
}

// conmon's records: a read that ends mid-line is a P record, the rest of the line follows.
TEST_F(MonitorRuntimeTest, PartialLinesAndLongLines) {
  ASSERT_TRUE(Run("partial", R"({"command":["sh","-c","printf abc; sleep 0.2; printf 'def\\nlast'; sleep 0.2; head -c 20000 /dev/zero | tr '\\0' x; echo"]})").ok());
  ASSERT_TRUE(WaitStopped(*runtime_, "partial").ok());
  const std::string log = ReadFile(Log("partial"));
  EXPECT_NE(log.find(" stdout P abc\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F def\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout P last\n"), std::string::npos) << log;
  size_t xs = 0, records = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    ++records;
    const size_t tag = line.find(" stdout ");
    ASSERT_NE(tag, std::string::npos) << line;
    ASSERT_EQ(line[10], 'T') << line;  // RFC 3339 with its offset: 2026-12-07T12:21:13.1...+00:00
    const std::string text = line.substr(tag + 10);
    xs += std::count(text.begin(), text.end(), 'x');
    EXPECT_LE(text.size(), 8192u);
  }
  EXPECT_EQ(xs, 20000u);
  EXPECT_GE(records, 6u);
}

// A container that an agent running conmon left: its pid file is conmon.pid; the rest of the
// layout is the same, so it is watched, waited for and deleted alike.
TEST_F(MonitorRuntimeTest, ContainerOfAConmonAgentIsWatched) {
  ASSERT_TRUE(Run("legacy", R"({"command":["sleep","1000"]})").ok());
  const std::string persist = dir_ + "/state/containers/legacy";
  fs::rename(persist + "/monitor.pid", persist + "/conmon.pid");
  auto fresh = MakeMonitorRuntime(Options()).value();
  auto s = fresh->WatchState("legacy");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, "running");
  int fd = fresh->ExitDescriptor("legacy");
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(fresh->Kill("legacy", SIGKILL).ok());
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 10000), 1);
  close(fd);
  s = fresh->WatchState("legacy");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, "stopped");
  EXPECT_EQ(s->exit_code, 137);
}

TEST_F(MonitorRuntimeTest, DockerDefaultCapabilitiesAndSeccomp) {
  ASSERT_TRUE(Run("caps", R"j({"command":["grep","-E","^(Cap|Seccomp:)","/proc/self/status"]})j").ok());
  ASSERT_TRUE(Run("caps-user", R"({"command":["grep","^Cap","/proc/self/status"],"user":"app"})").ok());
  ASSERT_TRUE(WaitStopped(*runtime_, "caps").ok());
  ASSERT_TRUE(WaitStopped(*runtime_, "caps-user").ok());
  // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
  // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
  const std::string root_log = ReadFile(Log("caps"));
  EXPECT_NE(root_log.find("CapEff:\t00000000a80425fb"), std::string::npos) << root_log;
  EXPECT_NE(root_log.find("CapPrm:\t00000000a80425fb"), std::string::npos);
  EXPECT_NE(root_log.find("CapBnd:\t00000000a80425fb"), std::string::npos);
  EXPECT_NE(root_log.find("CapInh:\t0000000000000000"), std::string::npos);
  EXPECT_NE(root_log.find("CapAmb:\t0000000000000000"), std::string::npos);
  EXPECT_NE(root_log.find("Seccomp:\t2"), std::string::npos);
  const std::string user_log = ReadFile(Log("caps-user"));
  EXPECT_NE(user_log.find("CapEff:\t0000000000000000"), std::string::npos) << user_log;
  EXPECT_NE(user_log.find("CapBnd:\t00000000a80425fb"), std::string::npos);
}

TEST_F(MonitorRuntimeTest, UserWorkdirAndEnvironmentApplied) {
  ASSERT_TRUE(Run("proc", R"({"command":["sh","-c","id; pwd; echo FOO=$FOO HOME=$HOME; cat /etc/hostname 2>/dev/null; hostname 2>/dev/null; test -w / || echo rootro"],
      "user":"app","workingDirectory":"/shared","readonlyRootFilesystem":true,
      "environment":[{"name":"FOO","value":"bar"}]})").ok());
  auto s = WaitStopped(*runtime_, "proc");
  ASSERT_TRUE(s.ok());
  const std::string log = ReadFile(Log("proc"));
  EXPECT_NE(log.find("uid=1000(app) gid=1000(app) groups=50(staff)"), std::string::npos) << log;
  EXPECT_NE(log.find("F /shared\n"), std::string::npos) << log;
  EXPECT_NE(log.find("FOO=bar HOME=/home/app"), std::string::npos) << log;
  EXPECT_NE(log.find("rootro"), std::string::npos) << log;
}

// Start opens runc's exec fifo itself (no `runc start`): runc must agree afterwards.
TEST_F(MonitorRuntimeTest, StartWithoutRuncLeavesRuncSayingRunning) {
  ASSERT_TRUE(Run("fifo", R"({"command":["sleep","60"]})").ok());
  auto s = runtime_->State("fifo");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, "running");
  EXPECT_GT(s->pid, 0);
  EXPECT_FALSE(fs::exists(dir_ + "/state/runc/fifo/exec.fifo"));
  EXPECT_FALSE(runtime_->Start("fifo").ok());  // runc's answer: not in "created"
  ASSERT_TRUE(runtime_->Kill("fifo", SIGKILL).ok());
  auto stopped = WaitStopped(*runtime_, "fifo");
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->exit_code, 137);
}

// A created container whose init was killed cannot be started; Start says so, not hangs.
TEST_F(MonitorRuntimeTest, StartOfAKilledInitFails) {
  std::string bundle = Bundle("dead", R"({"command":["sleep","60"]})");
  created_.push_back("dead");
  ASSERT_TRUE(runtime_->Create("dead", bundle, Log("dead")).ok());
  ASSERT_TRUE(runtime_->Kill("dead", SIGKILL).ok());
  const auto t0 = Clock::now();
  Status st = runtime_->Start("dead");
  EXPECT_FALSE(st.ok());
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

// Ten containers in a row each created, started and run to their end. The times are printed for
// whoever reads the log; they are not asserted (bench/task_bench.py measures start latency).
TEST_F(MonitorRuntimeTest, TenContainersInARowCreateAndStart) {
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "lat" + std::to_string(i);
    std::string bundle = Bundle(id, R"({"command":["true"]})");
    created_.push_back(id);
    const auto t0 = Clock::now();
    ASSERT_TRUE(runtime_->Create(id, bundle, Log(id)).ok());
    const auto t1 = Clock::now();
    ASSERT_TRUE(runtime_->Start(id).ok());
    const auto t2 = Clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    std::printf("create %.1f ms, start %.1f ms\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("create+start p50 %.1f ms, max %.1f ms\n", ms[ms.size() / 2], ms.back());
  for (int i = 0; i < 10; ++i) {
    auto s = WaitStopped(*runtime_, "lat" + std::to_string(i));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->exit_code, 0);
  }
}

}  // namespace
}  // namespace wharf::agent
