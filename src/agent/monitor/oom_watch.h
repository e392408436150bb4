// Noticing that the kernel's OOM killer acted in a container's memory cgroup, as conmon does,
// so that the agent can report "OutOfMemoryError" (the monitor then creates <persist>/oom).
//
// cgroup v1: an eventfd registered on the cgroup's memory.oom_control through
// cgroup.event_control; it also fires once when the cgroup is removed, which is told apart by
// the cgroup being gone. The kernel signals OOMs of an ancestor (the task-level limit) to the
// descendants too. cgroup v2: memory.events itself, whose "oom"/"oom_kill" counters grow; the
// kernel marks a change with POLLPRI|POLLERR on an open descriptor of it, re-armed by reading
// it (no inotify instance per container: they are few, 128 per user by default).
// Not thread-safe; one per monitor.
#pragma once

#include <string>

namespace wharf::monitor {

class OomWatch {
 public:
  OomWatch() = default;
  OomWatch(const OomWatch&) = delete;
  OomWatch& operator=(const OomWatch&) = delete;
  ~OomWatch();

  // Watches the memory cgroup `pid` is in. On failure (the process is gone, no memory
  // controller) fd() stays -1 and nothing is ever reported; the reason is returned.
  std::string Start(int pid);
  // Polls `events()` when something may have happened; -1 when not watching.
  int fd() const { return fd_; }
  short events() const;
  // After fd() polled readable, or once at the end (never blocks): whether an OOM happened
  // since the last call that said so.
  bool Check();

 private:
  bool CheckV1();
  bool CheckV2();

  int fd_ = -1;               // v1: the eventfd; v2: memory.events
  int oom_control_fd_ = -1;   // v1: kept open for as long as the eventfd is registered
  bool v2_ = false;
  std::string cgroup_dir_;    // the container's memory cgroup directory
  long last_v2_count_ = 0;
};

}  // namespace wharf::monitor
