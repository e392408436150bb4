#include "net/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace wharf::net {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, RunsWorkOffTheCallersThread) {
  WorkerPool pool({2, 8});
  EXPECT_EQ(pool.threads(), 2u);
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(pool.TryPost([&] { ran_on.set_value(std::this_thread::get_id()); }).ok());
  auto future = ran_on.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST(WorkerPool, RunsEveryItemOnceInOrderOnOneWorker) {
  WorkerPool pool({1, 100});
  std::vector<int> order;  // one worker: no lock needed, read after Stop joined it
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.TryPost([&order, i] { order.push_back(i); }).ok());
  pool.Stop();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(WorkerPool, BlockedWorkersDoNotBlockEachOther) {
  // The point of the pool: one item stuck (a slow store call) leaves the others running.
  WorkerPool pool({2, 8});
  std::latch release(1);
  std::promise<void> second_ran;
  ASSERT_TRUE(pool.TryPost([&] { release.wait(); }).ok());
  ASSERT_TRUE(pool.TryPost([&] { second_ran.set_value(); }).ok());
  EXPECT_EQ(second_ran.get_future().wait_for(10s), std::future_status::ready);
  release.count_down();
}

TEST(WorkerPool, FullQueueRefusesWithUnavailableAndNeverRunsTheRefusedItem) {
  WorkerPool pool({1, 2});
  std::latch started(1), release(1);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TryPost([&] {
                started.count_down();
                release.wait();
              }).ok());
  started.wait();  // the worker is busy: what follows waits in the queue
  ASSERT_TRUE(pool.TryPost([&] { ++ran; }).ok());
  ASSERT_TRUE(pool.TryPost([&] { ++ran; }).ok());
  Status refused = pool.TryPost([&] { ran += 100; });
  EXPECT_TRUE(refused.IsUnavailable()) << refused.ToString();
  release.count_down();
  pool.Stop();
  EXPECT_EQ(ran.load(), 2);
}

TEST(WorkerPool, QueueTakesWorkAgainOnceItDrains) {
  WorkerPool pool({1, 1});
  std::latch started(1), release(1);
  ASSERT_TRUE(pool.TryPost([&] {
                started.count_down();
                release.wait();
              }).ok());
  started.wait();
  ASSERT_TRUE(pool.TryPost([] {}).ok());
  EXPECT_TRUE(pool.TryPost([] {}).IsUnavailable());
  release.count_down();
  std::promise<void> later;
  // The queue empties as soon as the worker is free; a post then succeeds.
  Status posted;
  for (int i = 0; i < 1000; ++i) {
    posted = pool.TryPost([&] { later.set_value(); });
    if (posted.ok()) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(posted.ok()) << posted.ToString();
  EXPECT_EQ(later.get_future().wait_for(10s), std::future_status::ready);
}

TEST(WorkerPool, StopDrainsQueuedWorkThenRefuses) {
  WorkerPool pool({1, 10});
  std::latch started(1);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TryPost([&] {
                started.count_down();
                while (!release) std::this_thread::sleep_for(1ms);
                ++ran;
              }).ok());
  started.wait();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.TryPost([&] { ++ran; }).ok());
  std::thread stopper([&] { pool.Stop(); });
  // Stop has begun (or is about to): new work is refused, queued work is not dropped.
  Status refused;
  for (int i = 0; i < 1000; ++i) {
    refused = pool.TryPost([] {});
    if (refused.IsFailedPrecondition()) break;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(refused.IsFailedPrecondition()) << refused.ToString();
  release = true;
  stopper.join();
  EXPECT_EQ(ran.load(), 6);
  EXPECT_TRUE(pool.TryPost([] {}).IsFailedPrecondition());
  pool.Stop();  // again: nothing to do
}

TEST(WorkerPool, WorkMayPostMoreWork) {
  WorkerPool pool({1, 4});
  std::promise<void> inner;
  ASSERT_TRUE(pool.TryPost([&] { ASSERT_TRUE(pool.TryPost([&] { inner.set_value(); }).ok()); }).ok());
  EXPECT_EQ(inner.get_future().wait_for(10s), std::future_status::ready);
}

TEST(WorkerPool, ThrowingItemCostsOnlyItself) {
  WorkerPool pool({1, 4});
  std::promise<void> after;
  ASSERT_TRUE(pool.TryPost([] { throw std::runtime_error("bug"); }).ok());
  ASSERT_TRUE(pool.TryPost([&] { after.set_value(); }).ok());
  EXPECT_EQ(after.get_future().wait_for(10s), std::future_status::ready);
}

}  // namespace
}  // namespace wharf::net
