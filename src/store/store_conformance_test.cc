// One conformance suite for every Store backend (STYLE 12). Each backend registers a
// factory below; the etcd one starts its own etcd on loopback ports.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/mutex.h"
#include "tests/support/store_backends.h"

namespace wharf::store {
namespace {

using namespace std::chrono_literals;

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = MakeTestBackend(GetParam());
    if (!backend_) GTEST_SKIP() << GetParam() << " backend unavailable on this machine";
    store_ = &backend_->store();
  }

  int64_t Put(const std::string& key, const std::string& value) {
    auto r = store_->Commit(Txn{{}, {Op::Put(key, value)}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->succeeded);
    return r->revision;
  }

  std::unique_ptr<TestBackend> backend_;
  Store* store_ = nullptr;
};

TEST_P(StoreConformance, GetOfMissingKeyIsEmpty) {
  auto r = store_->Get("nope");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
}

TEST_P(StoreConformance, PutThenGetCarriesRevisions) {
  int64_t r1 = Put("a", "1");
  auto got = store_->Get("a");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "1");
  EXPECT_EQ((*got)->create_revision, r1);
  EXPECT_EQ((*got)->mod_revision, r1);

  int64_t r2 = Put("a", "2");
  EXPECT_GT(r2, r1);
  got = store_->Get("a");
  EXPECT_EQ((*got)->value, "2");
  EXPECT_EQ((*got)->create_revision, r1);
  EXPECT_EQ((*got)->mod_revision, r2);
}

TEST_P(StoreConformance, BinaryValuesRoundTrip) {
  std::string value("\0\x01\xff zero", 8);
  Put("bin", value);
  EXPECT_EQ((*store_->Get("bin"))->value, value);
}

TEST_P(StoreConformance, CompareOnAbsentKeyCreatesOnce) {
  Txn create{{Compare{"only", 0}}, {Op::Put("only", "first")}};
  auto r1 = store_->Commit(create);
  ASSERT_TRUE(r1.ok());
  EXPECT_TRUE(r1->succeeded);
  auto r2 = store_->Commit(create);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->succeeded);
  EXPECT_EQ((*store_->Get("only"))->value, "first");
}

TEST_P(StoreConformance, FailedCompareChangesNothing) {
  int64_t rev = Put("x", "1");
  auto before = store_->CurrentRevision();
  Txn txn{{Compare{"x", rev + 100}}, {Op::Put("x", "2"), Op::Put("y", "2")}};
  auto r = store_->Commit(txn);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded);
  EXPECT_EQ((*store_->Get("x"))->value, "1");
  EXPECT_FALSE(store_->Get("y")->has_value());
  EXPECT_EQ(*store_->CurrentRevision(), *before);
}

TEST_P(StoreConformance, TransactionAppliesAllOpsAtOneRevision) {
  int64_t rev = Put("k1", "old");
  Txn txn{{Compare{"k1", rev}}, {Op::Put("k1", "new"), Op::Put("k2", "v"), Op::Delete("k3")}};
  auto r = store_->Commit(txn);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->succeeded);
  EXPECT_EQ((*store_->Get("k1"))->mod_revision, r->revision);
  EXPECT_EQ((*store_->Get("k2"))->mod_revision, r->revision);
}

TEST_P(StoreConformance, DeleteRemovesKey) {
  int64_t rev = Put("gone", "v");
  auto r = store_->Commit(Txn{{Compare{"gone", rev}}, {Op::Delete("gone")}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->succeeded);
  EXPECT_FALSE(store_->Get("gone")->has_value());
}

TEST_P(StoreConformance, ListIsOrderedPrefixScopedAndPaginated) {
  for (std::string k : {"p/c", "p/a", "p/b", "q/a", "p/d", "o/z"}) Put(k, k);
  auto page = store_->List("p/", "", 2);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].key, "p/a");
  EXPECT_EQ(page->items[1].key, "p/b");
  EXPECT_TRUE(page->more);
  page = store_->List("p/", "p/b", 2);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].key, "p/c");
  EXPECT_EQ(page->items[1].key, "p/d");
  EXPECT_FALSE(page->more);
  page = store_->List("p/", "", 0);
  EXPECT_EQ(page->items.size(), 4u);
  EXPECT_GE(page->revision, *store_->CurrentRevision() - 0);
}

TEST_P(StoreConformance, WatchSeesLaterChangesInOrder) {
  Mutex mu;
  CondVar cv;
  std::vector<Event> seen;
  int64_t start = *store_->CurrentRevision();
  auto watch = store_->WatchPrefix("w/", start, [&](const std::vector<Event>& events) {
    MutexLock lock(mu);
    seen.insert(seen.end(), events.begin(), events.end());
    cv.SignalAll();
  });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  Put("w/1", "a");
  Put("other", "x");
  int64_t rev = Put("w/2", "b");
  store_->Commit(Txn{{}, {Op::Delete("w/1")}});

  auto deadline = std::chrono::steady_clock::now() + 10s;
  MutexLock lock(mu);
  while (seen.size() < 3 && cv.WaitUntil(mu, deadline)) {
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kv.key, "w/1");
  EXPECT_EQ(seen[0].type, Event::Type::kPut);
  EXPECT_EQ(seen[1].kv.key, "w/2");
  EXPECT_EQ(seen[1].kv.mod_revision, rev);
  EXPECT_EQ(seen[2].kv.key, "w/1");
  EXPECT_EQ(seen[2].type, Event::Type::kDelete);
}

TEST_P(StoreConformance, WatchFromPastRevisionReplays) {
  int64_t start = *store_->CurrentRevision();
  Put("r/1", "a");
  Put("r/2", "b");
  Mutex mu;
  CondVar cv;
  std::vector<std::string> keys;
  auto watch = store_->WatchPrefix("r/", start, [&](const std::vector<Event>& events) {
    MutexLock lock(mu);
    for (const auto& e : events) keys.push_back(e.kv.key);
    cv.SignalAll();
  });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  MutexLock lock(mu);
  while (keys.size() < 2 && cv.WaitUntil(mu, deadline)) {
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"r/1", "r/2"}));
}

TEST_P(StoreConformance, CancelledWatchStopsDelivery) {
  std::atomic<int> calls{0};
  auto watch = store_->WatchPrefix("c/", *store_->CurrentRevision(),
                                   [&](const std::vector<Event>&) { ++calls; });
  ASSERT_TRUE(watch.ok());
  watch->reset();
  Put("c/1", "a");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(StoreConformance, ConcurrentCompareAndSwapLosesNoIncrement) {
  Put("counter", "0");
  auto worker = [&] {
    for (int i = 0; i < 25; ++i) {
      for (;;) {
        auto cur = store_->Get("counter");
        ASSERT_TRUE(cur.ok());
        int n = std::stoi((*cur)->value);
        auto r = store_->Commit(
            Txn{{Compare{"counter", (*cur)->mod_revision}}, {Op::Put("counter", std::to_string(n + 1))}});
        ASSERT_TRUE(r.ok());
        if (r->succeeded) break;
      }
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  EXPECT_EQ((*store_->Get("counter"))->value, "50");
}

TEST_P(StoreConformance, WipeRemovesEverything) {
  Put("a", "1");
  Put("b/c", "2");
  ASSERT_TRUE(store_->Wipe().ok());
  EXPECT_TRUE(store_->List("", "", 0)->items.empty());
}

TEST_P(StoreConformance, ReopenKeepsAcknowledgedWrites) {
  if (!backend_->CanReopen()) GTEST_SKIP() << "not durable";
  int64_t rev = Put("durable", "yes");
  ASSERT_TRUE(backend_->Reopen().ok());
  store_ = &backend_->store();
  auto got = store_->Get("durable");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "yes");
  EXPECT_EQ((*got)->mod_revision, rev);
  EXPECT_GT(Put("after", "x"), rev);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values("memory", "sqlite", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wharf::store
