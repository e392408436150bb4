// ReadRecord and UpdateRecord: the JSON records in the store.
#include "controlplane/records.h"

#include <gtest/gtest.h>

#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

TEST(UpdateRecordTest, ChangesTheRecord) {
  store::MemoryStore store;
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put("r", R"({"n":1})")}}).ok());
  auto r = UpdateRecord(store, "r", [](std::optional<json::object>& record) -> store::Decision<int64_t> {
    int64_t n = record->at("n").as_int64() + 1;
    (*record)["n"] = n;
    return store::Commit(n);
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::optional<int64_t>(2));
  auto read = ReadRecord(store, "r");
  ASSERT_TRUE(read.ok() && *read);
  EXPECT_EQ((*read)->value, (json::object{{"n", 2}}));
}

TEST(UpdateRecordTest, ARecordThatIsNotAnObjectIsInternal) {
  store::MemoryStore store;
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put("r", "[1,2]")}}).ok());
  bool ran = false;
  auto r = UpdateRecord(store, "r", [&](std::optional<json::object>&) -> store::Decision<bool> {
    ran = true;
    return store::Commit(true);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInternal());
  EXPECT_FALSE(ran);
}

TEST(UpdateRecordTest, ResettingTheRecordDeletesIt) {
  store::MemoryStore store;
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put("r", "{}")}}).ok());
  auto r = UpdateRecord(store, "r", [](std::optional<json::object>& record) -> store::Decision<bool> {
    record.reset();
    return store::Commit(true);
  });
  ASSERT_TRUE(r.ok());
  auto kv = store.Get("r");
  ASSERT_TRUE(kv.ok());
  EXPECT_FALSE(kv->has_value());
}

}  // namespace
}  // namespace wharf::controlplane
