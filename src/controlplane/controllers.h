// Controllers: the control plane's periodic work, started as one object and run only on the
// leader (store::Leadership: always with SQLite, the etcd lease holder with etcd).
//
// Each controller is a job with its own thread: it runs every `interval`, or every
// `busy_interval` while its last run said there is more to do soon (a service mid-
// deployment), and only while this server leads; a follower's jobs wait and check again. A
// job's failure is logged and it runs again at its next time; the revision checks of every
// commit keep a stale leader's run harmless. The jobs are the service controller (a round
// over every service) and the maintenance (stopped-task expiry, ECR lifecycle policies,
// registry garbage collection), given by the server, which owns what they act on.
//
// Lifecycle: Start starts every job's thread; destruction stops them, waiting for a run in
// progress. Thread-safety: Wake may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "store/leader_lease.h"

namespace wharf::controlplane {

struct ControllerJob {
  std::string name;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds busy_interval{1000};
  // One run; true: more to do soon (the next run comes after busy_interval).
  std::function<Result<bool>()> run;
};

class Controllers {
 public:
  static std::unique_ptr<Controllers> Start(const store::Leadership& leadership, std::vector<ControllerJob> jobs);
  ~Controllers();

  // Runs every job soon, whatever its interval (after a change that needs them).
  void Wake();

  // How many runs each job has made (by the order given; tests and metrics).
  std::vector<int> runs() const;

 private:
  explicit Controllers(const store::Leadership& leadership) : leadership_(leadership) {}
  void Loop(size_t index);

  const store::Leadership& leadership_;
  std::vector<ControllerJob> jobs_;  // constant after Start

  mutable Mutex mu_;
  CondVar cv_;  // signalled on Wake and stopping_
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t wakes_ GUARDED_BY(mu_) = 0;
  std::vector<int> runs_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace wharf::controlplane
