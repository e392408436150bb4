// ParallelSteps: runs slow steps (a resource's provisioning) on threads of their own and hands
// each result back to the one thread that started them, which keeps every piece of state: a
// stack operation starts the steps whose dependencies are done, takes the next finished one,
// records it, starts what it unblocked. At most `limit` steps run at once.
//
// Thread-safety: Start, Next and running are for the starting thread only; the steps run on
// their own threads and touch nothing but what they were given. The destructor waits for the
// steps still running (their results are dropped).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace wharf::controlplane {

template <class T>
class ParallelSteps {
 public:
  explicit ParallelSteps(size_t limit) : limit_(limit) {}
  ~ParallelSteps() {
    for (auto& t : threads_) t.join();
  }
  ParallelSteps(const ParallelSteps&) = delete;
  ParallelSteps& operator=(const ParallelSteps&) = delete;

  // Whether another step may start now.
  bool HasRoom() const { return running_ < limit_; }
  size_t running() const { return running_; }

  void Start(std::string key, std::function<T()> step) {
    ++running_;
    threads_.emplace_back([this, key = std::move(key), step = std::move(step)]() mutable {
      T result = step();
      MutexLock lock(mu_);
      done_.emplace_back(std::move(key), std::move(result));
      cv_.SignalAll();
    });
  }

  // Waits for a step to finish: its key and result. Only while running() > 0.
  std::pair<std::string, T> Next() {
    MutexLock lock(mu_);
    while (done_.empty()) cv_.Wait(mu_);
    auto out = std::move(done_.front());
    done_.pop_front();
    --running_;
    return out;
  }

 private:
  const size_t limit_;
  // The starting thread's own.
  size_t running_ = 0;
  std::vector<std::thread> threads_;

  Mutex mu_;
  CondVar cv_;
  std::deque<std::pair<std::string, T>> done_ GUARDED_BY(mu_);
};

}  // namespace wharf::controlplane
