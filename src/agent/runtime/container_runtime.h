// The container runtime seam: create, start, inspect, signal and delete OCI containers.
//
// Lifecycle of one container: Create (bundle with config.json already written) -> Start ->
// State (poll) ... Kill -> State says "stopped" with the exit code -> Delete. A container
// outlives the object and the process that created it: the implementation leaves a
// per-container monitor (wharf-monitor, agent/monitor/monitor.h; Debian's conmon before it)
// that holds stdio, writes the log and records the exit code in a file, so a new runtime
// object over the same state_dir (after an agent restart) lists the containers and reads their
// state. Exit codes follow Docker: 128+signal when killed.
//
// Layout under RuntimeOptions::state_dir:
//   runc/                     runc --root (runc's own state, one dir per container)
//   exits/<id>                the monitor's exit file: the exit status as decimal text
//   containers/<id>/          the monitor's persist dir: its own "exit" and "oom" files,
//                             monitor.pid (conmon.pid for a container conmon watches),
//                             init.pid (the container's process, for Start)
//   sockets/<id>              conmon's attach socket dir, of containers conmon watches
//
// Thread-safety: implementations are safe to call from several threads for different ids.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::agent {

struct ContainerState {
  std::string status;  // created | running | stopped
  int pid = 0;         // the container's init process on the host, 0 when stopped
  std::optional<int> exit_code;  // set once stopped and the monitor recorded it
  std::optional<std::chrono::system_clock::time_point> finished_at;
  bool oom_killed = false;
};

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;
  // Starts the monitor and `runc create`; returns once the container exists (its process waits
  // for Start) or with the runtime's error (e.g. executable not found). stdout/stderr go to
  // log_path in the CRI "k8s-file" format: "<RFC3339Nano> stdout|stderr F|P <text>".
  // AlreadyExists when the id is taken; FailedPrecondition for what the container's definition
  // got wrong (runc's message), Internal for the node's own failures (a runtime that cannot be
  // executed, or that does not answer within create_timeout: it is killed, with its monitor).
  // Leaves nothing behind on failure.
  virtual Status Create(const std::string& id, const std::string& bundle_dir,
                        const std::string& log_path) = 0;
  virtual Status Start(const std::string& id) = 0;
  // NotFound when this runtime has no container with this id.
  virtual Result<ContainerState> State(const std::string& id) = 0;
  // FailedPrecondition when the container is not running.
  virtual Status Kill(const std::string& id, int signal) = 0;
  // Kills what is left, removes the runtime's state and the container's cgroup. OK when absent.
  virtual Status Delete(const std::string& id) = 0;
  // Every container this runtime knows, created or stopped (for adoption after a restart).
  virtual Result<std::vector<std::string>> List() = 0;
  // For a started container: "stopped" with its exit code once the monitor recorded one,
  // else "running" (pid 0) while its monitor lives — without running the runtime binary, so
  // watching many containers often stays cheap. Falls back to State otherwise.
  virtual Result<ContainerState> WatchState(const std::string& id) { return State(id); }
  // A descriptor that polls readable once a started container's monitor has exited (then
  // WatchState says "stopped"), so that a node of many idle tasks waits instead of polling;
  // the caller closes it. -1 when this runtime has none (or the monitor is gone already):
  // poll WatchState then.
  virtual int ExitDescriptor(const std::string& id) { (void)id; return -1; }
  // Runs argv inside the running container (health checks); its exit code, or Unavailable
  // when it outlives `timeout` (it is killed then).
  virtual Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) = 0;
};

struct RuntimeOptions {
  std::string runtime_binary = "runc";  // name on PATH or absolute path
  std::string state_dir;                // absolute; created if missing
  // wharf-monitor; empty: the one beside the running program (/proc/self/exe), else on PATH.
  std::string monitor_binary;
  std::chrono::milliseconds create_timeout{30000};
};

// FailedPrecondition when the monitor binary cannot be found (the agent must not start).
Result<std::unique_ptr<ContainerRuntime>> MakeMonitorRuntime(RuntimeOptions options);

// Removes a cgroup (v1: in every mounted hierarchy; v2: the unified one) and its empty
// descendants, e.g. the task-level "/wharf/<task-id>" parent that runc does not remove.
// OK when absent; Unavailable when it still holds processes.
Status RemoveCgroup(const std::string& cgroups_path);

// The task-level limits (the task definition's cpu and memory, the task size on Fargate) on
// the parent cgroup of the task's containers: memory is a hard limit for them together, CPU
// units their shares. 0 leaves a limit unset.
Status SetTaskLimits(const std::string& cgroups_path, int64_t cpu_units, int64_t memory_mib);

}  // namespace wharf::agent
