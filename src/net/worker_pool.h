// WorkerPool: a fixed set of threads for work that may block (a store call, an etcd round
// trip, an fsync), so that event loops only parse requests and write answers. A loop posts
// the work and returns to its sockets; the work answers through whatever it captured (an
// HttpServer Responder, which may be called from any thread).
//
// Lifecycle: the constructor starts `threads` workers (at least one). Stop() refuses new
// work, lets the workers run everything already queued, and joins them; the destructor
// calls it. Stop() must not be called from a worker: it would wait for itself.
//
// Terms: TryPost either queues the work, which then runs exactly once on some worker, in
// the order posted, or refuses it and never runs it:
//   - Unavailable when `queue_limit` items are already waiting: the workers are not keeping
//     up (a slow store), and the caller answers "slow down" at once instead of letting the
//     wait, and the memory the waiting requests hold, grow without bound;
//   - FailedPrecondition once Stop() has begun.
// A work item that throws is a bug; it is logged and costs that item only.
//
// Thread-safety: TryPost may be called from any thread, including a worker.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"

namespace wharf::net {

struct WorkerPoolOptions {
  int threads = 4;
  size_t queue_limit = 256;  // items waiting for a worker, not counting those running
};

class WorkerPool {
 public:
  explicit WorkerPool(WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Status TryPost(std::function<void()> work) EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  size_t threads() const { return workers_.size(); }

 private:
  void Work() EXCLUDES(mu_);

  // Constant after construction.
  const size_t queue_limit_;
  std::vector<std::thread> workers_;

  Mutex mu_;
  CondVar wake_;  // work queued, or stopping
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace wharf::net
