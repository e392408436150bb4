#include "net/worker_pool.h"

#include <algorithm>
#include <exception>

#include "base/logging.h"

namespace wharf::net {

WorkerPool::WorkerPool(WorkerPoolOptions options) : queue_limit_(options.queue_limit) {
  int n = std::max(1, options.threads);
  workers_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() { Stop(); }

Status WorkerPool::TryPost(std::function<void()> work) {
  {
    MutexLock lock(mu_);
    if (stopping_) return Status::FailedPrecondition("worker pool is stopping");
    if (queue_.size() >= queue_limit_) {
      return Status::Unavailable("worker pool queue is full (" + std::to_string(queue_limit_) + " waiting)");
    }
    queue_.push_back(std::move(work));
  }
  wake_.Signal();
  return Status::OK();
}

void WorkerPool::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void WorkerPool::Work() {
  MutexLock lock(mu_);
  for (;;) {
    while (!stopping_ && queue_.empty()) wake_.Wait(mu_);
    if (queue_.empty()) return;  // stopping, and everything queued has run
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    lock.Unlock();
    try {
      work();
    } catch (const std::exception& e) {
      LOG_ERROR("msg=\"worker task threw\" error=\"{}\"", e.what());
    }
    work = nullptr;  // what it captured goes before the next wait, not after it
    lock.Lock();
  }
}

}  // namespace wharf::net
