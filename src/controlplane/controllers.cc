#include "controlplane/controllers.h"

#include "base/logging.h"

namespace wharf::controlplane {

std::unique_ptr<Controllers> Controllers::Start(const store::Leadership& leadership, std::vector<ControllerJob> jobs) {
  std::unique_ptr<Controllers> c(new Controllers(leadership));
  c->jobs_ = std::move(jobs);
  {
    MutexLock lock(c->mu_);
    c->runs_.assign(c->jobs_.size(), 0);
  }
  for (size_t i = 0; i < c->jobs_.size(); ++i) {
    Controllers* raw = c.get();
    c->threads_.emplace_back([raw, i] { raw->Loop(i); });
  }
  return c;
}

Controllers::~Controllers() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) t.join();
}

void Controllers::Wake() {
  {
    MutexLock lock(mu_);
    ++wakes_;
  }
  cv_.SignalAll();
}

std::vector<int> Controllers::runs() const {
  MutexLock lock(mu_);
  return runs_;
}

void Controllers::Loop(size_t index) {
  const ControllerJob& job = jobs_[index];
  MutexLock lock(mu_);
  bool busy = false;
  uint64_t seen_wakes = wakes_;
  while (!stopping_) {
    auto deadline = std::chrono::steady_clock::now() + (busy ? job.busy_interval : job.interval);
    while (!stopping_ && wakes_ == seen_wakes && cv_.WaitUntil(mu_, deadline)) {
    }
    if (stopping_) break;
    seen_wakes = wakes_;
    if (!leadership_.IsLeader()) {
      busy = false;
      continue;
    }
    lock.Unlock();
    auto ran = job.run();
    if (!ran.ok()) LOG_WARN("msg=\"controller run failed\" controller={} error=\"{}\"", job.name, ran.status().ToString());
    busy = ran.ok() && *ran;
    lock.Lock();
    ++runs_[index];
  }
}

}  // namespace wharf::controlplane
