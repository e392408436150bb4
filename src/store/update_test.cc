// The read-modify-write helpers, run against the MemoryStore: a write that lands between
// an attempt's read and its commit is what "another writer got there first" means.
#include "store/update.h"

#include <gtest/gtest.h>

#include "store/memory_store.h"

namespace wharf::store {
namespace {

class UpdateTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, const std::string& value) {
    auto r = store_.Commit(Txn{{}, {Op::Put(key, value)}});
    ASSERT_TRUE(r.ok() && r->succeeded);
  }
  std::optional<std::string> Value(const std::string& key) {
    auto kv = store_.Get(key);
    EXPECT_TRUE(kv.ok());
    if (!kv.ok() || !*kv) return std::nullopt;
    return (*kv)->value;
  }
  int64_t Revision() { return *store_.CurrentRevision(); }

  MemoryStore store_;
};

TEST_F(UpdateTest, ChangesTheValueAndAnswers) {
  Put("k", "1");
  auto r = Update(store_, "k", [](std::optional<std::string>& value) -> Decision<int> {
    *value += "2";
    return Commit(7);
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::optional<int>(7));
  EXPECT_EQ(Value("k"), "12");
}

TEST_F(UpdateTest, CreatesAnAbsentKey) {
  auto r = Update(store_, "new", [](std::optional<std::string>& value) -> Decision<bool> {
    EXPECT_FALSE(value);
    value = "made";
    return Commit(true);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Value("new"), "made");
}

TEST_F(UpdateTest, ConcurrentWriteMakesItRetryThenSucceed) {
  Put("counter", "0");
  int calls = 0;
  auto r = Update(store_, "counter", [&](std::optional<std::string>& value) -> Decision<std::string> {
    ++calls;
    // Another writer commits after this attempt read the key: its compare fails.
    if (calls == 1) Put("counter", "5");
    value = std::to_string(std::stoi(*value) + 1);
    return Commit(*value);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(*r, std::optional<std::string>("6"));  // built on the other writer's value
  EXPECT_EQ(Value("counter"), "6");
}

TEST_F(UpdateTest, GivesUpAfterTheAttemptLimit) {
  Put("hot", "0");
  int calls = 0;
  auto r = Update(store_, "hot", [&](std::optional<std::string>& value) -> Decision<int> {
    ++calls;
    Put("hot", "theirs-" + std::to_string(calls));  // someone always wins the race
    value = "mine";
    return Commit(1);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(calls, kMaxCommitAttempts);
  EXPECT_EQ(Value("hot"), "theirs-" + std::to_string(kMaxCommitAttempts));
}

TEST_F(UpdateTest, StoppingWritesNothing) {
  Put("k", "kept");
  int64_t before = Revision();
  auto r = Update(store_, "k", [](std::optional<std::string>& value) -> Decision<std::string> {
    value = "changed, then thought better of it";
    return std::string("not allowed");
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::optional<std::string>("not allowed"));
  EXPECT_EQ(Value("k"), "kept");
  EXPECT_EQ(Revision(), before);
}

TEST_F(UpdateTest, DeletesTheKey) {
  Put("gone", "soon");
  auto r = Update(store_, "gone", [](std::optional<std::string>& value) -> Decision<bool> {
    value.reset();
    return Commit(true);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Value("gone"), std::nullopt);
}

TEST_F(UpdateTest, DeleteOfAbsentKeyCommitsNothing) {
  int64_t before = Revision();
  auto r = Update(store_, "never", [](std::optional<std::string>&) -> Decision<bool> {
    return Commit(true);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::optional<bool>(true));
  EXPECT_EQ(Revision(), before);
}

TEST_F(UpdateTest, AFailingMutateEndsWithItsStatusAndWritesNothing) {
  Put("k", "not a number");
  int64_t before = Revision();
  int calls = 0;
  auto r = Update(store_, "k", [&](std::optional<std::string>& value) -> Result<Decision<int>> {
    ++calls;
    value = "half-way";
    return Status::InvalidArgument("k does not hold a number");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Value("k"), "not a number");
  EXPECT_EQ(Revision(), before);
}

// A store whose reads fail: the failure comes back as the Status, mutate never runs.
class UnreadableStore final : public Store {
 public:
  Result<std::optional<KeyValue>> Get(std::string_view) override {
    return Status::Unavailable("store down");
  }
  Result<Page> List(std::string_view, std::string_view, size_t) override {
    return Status::Unavailable("store down");
  }
  Result<TxnResult> Commit(const Txn&) override { return Status::Unavailable("store down"); }
  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view, int64_t, WatchCallback) override {
    return Status::Unavailable("store down");
  }
  Result<int64_t> CurrentRevision() override { return Status::Unavailable("store down"); }
  Status Wipe() override { return Status::Unavailable("store down"); }
};

TEST(UpdateFailureTest, StoreErrorsComeBackAsStatus) {
  UnreadableStore store;
  bool ran = false;
  auto r = Update(store, "k", [&](std::optional<std::string>&) -> Decision<int> {
    ran = true;
    return 0;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable());
  EXPECT_FALSE(ran);
}

TEST_F(UpdateTest, SeveralKeysCommitTogether) {
  Put("a", "1");
  auto r = Update(store_, [](Draft& draft) -> Decision<bool> {
    auto a = draft.Get("a");
    if (!a.ok() || !*a) return false;
    draft.Put("b", **a + "b");
    draft.Delete("a");
    auto b = draft.Get("b");  // the draft's own write
    EXPECT_TRUE(b.ok() && *b == std::optional<std::string>("1b"));
    return Commit(true);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::optional<bool>(true));
  EXPECT_EQ(Value("a"), std::nullopt);
  EXPECT_EQ(Value("b"), "1b");
}

TEST_F(UpdateTest, SeveralKeysRetryWhenAnyKeyReadChanged) {
  Put("a", "1");
  Put("b", "2");
  int calls = 0;
  auto r = Update(store_, [&](Draft& draft) -> Decision<std::string> {
    ++calls;
    auto a = draft.Get("a");
    auto b = draft.Get("b");
    if (calls == 1) Put("b", "20");
    std::string sum = std::to_string(std::stoi(**a) + std::stoi(**b));
    draft.Put("sum", sum);
    return Commit(sum);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(*r, std::optional<std::string>("21"));
  EXPECT_EQ(Value("sum"), "21");
}

TEST_F(UpdateTest, SeveralKeysCompareOnlyWhatWasRead) {
  int calls = 0;
  auto r = Update(store_, [&](Draft& draft) -> Decision<bool> {
    ++calls;
    if (calls == 1) Put("blind", "theirs");  // written, never read: no conflict
    draft.Put("blind", "mine");
    return Commit(true);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Value("blind"), "mine");
}

TEST(RetryOnConflictTest, RetriesUntilAResultThenStops) {
  int calls = 0;
  std::optional<std::string> r = RetryOnConflict([&]() -> Attempt<std::string> {
    if (++calls < 3) return kConflict;
    return "done";
  });
  EXPECT_EQ(r, std::optional<std::string>("done"));
  EXPECT_EQ(calls, 3);
}

TEST(RetryOnConflictTest, GivesUpAfterTheAttemptLimit) {
  int calls = 0;
  auto r = RetryOnConflict([&]() -> Attempt<int> {
    ++calls;
    return kConflict;
  });
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(calls, kMaxCommitAttempts);
}

}  // namespace
}  // namespace wharf::store
