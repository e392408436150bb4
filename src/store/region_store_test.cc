// Two regions' views of one MemoryStore: each sees only its own keys under the same names,
// shares the shared ones, and commits across both atomically.
#include "store/region_store.h"

#include <gtest/gtest.h>

#include "store/memory_store.h"

namespace wharf::store {
namespace {

class RegionStoreTest : public ::testing::Test {
 protected:
  MemoryStore base_;
  RegionStore home_{base_, "", {"shared/"}};
  RegionStore eu_{base_, "regions/eu-west-1/", {"shared/"}};
};

TEST_F(RegionStoreTest, RegionsKeepTheirOwnRecordsUnderTheSameKey) {
  ASSERT_TRUE(home_.Commit({{{"ecs/clusters/a", 0}}, {Op::Put("ecs/clusters/a", "home")}})->succeeded);
  ASSERT_TRUE(eu_.Commit({{{"ecs/clusters/a", 0}}, {Op::Put("ecs/clusters/a", "eu")}})->succeeded);
  EXPECT_EQ((*home_.Get("ecs/clusters/a"))->value, "home");
  auto eu = *eu_.Get("ecs/clusters/a");
  ASSERT_TRUE(eu);
  EXPECT_EQ(eu->value, "eu");
  EXPECT_EQ(eu->key, "ecs/clusters/a");
  EXPECT_TRUE((*base_.Get("regions/eu-west-1/ecs/clusters/a")));

  auto page = eu_.List("ecs/clusters/", "", 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].key, "ecs/clusters/a");
  EXPECT_EQ(home_.List("ecs/", "", 0)->items.size(), 1u);
}

TEST_F(RegionStoreTest, SharedKeysAreOneClaimForEveryRegion) {
  ASSERT_TRUE(home_.Commit({{{"shared/ports/80", 0}}, {Op::Put("shared/ports/80", "home")}})->succeeded);
  // eu-west-1 sees the claim and cannot take the port.
  EXPECT_FALSE(eu_.Commit({{{"shared/ports/80", 0}}, {Op::Put("shared/ports/80", "eu")}})->succeeded);
  EXPECT_EQ((*eu_.Get("shared/ports/80"))->value, "home");
}

TEST_F(RegionStoreTest, PagesContinueAfterTheRegionsOwnKey) {
  for (const char* k : {"t/1", "t/2", "t/3"}) {
    ASSERT_TRUE(eu_.Commit({{}, {Op::Put(k, "v")}})->succeeded);
  }
  auto first = eu_.List("t/", "", 2);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_TRUE(first->more);
  auto rest = eu_.List("t/", first->items.back().key, 2);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].key, "t/3");
}

TEST_F(RegionStoreTest, WatchSeesOnlyTheRegionWithItsOwnKeys) {
  std::vector<std::string> seen;
  auto watch = eu_.WatchPrefix("ecs/", 0, [&](const std::vector<Event>& events) {
    for (const auto& e : events) seen.push_back(e.kv.key);
  });
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(home_.Commit({{}, {Op::Put("ecs/x", "home")}})->succeeded);
  ASSERT_TRUE(eu_.Commit({{}, {Op::Put("ecs/y", "eu")}})->succeeded);
  EXPECT_EQ(seen, std::vector<std::string>{"ecs/y"});
}

TEST_F(RegionStoreTest, WipeOfARegionLeavesTheOthers) {
  ASSERT_TRUE(home_.Commit({{}, {Op::Put("a", "home"), Op::Put("shared/x", "s")}})->succeeded);
  ASSERT_TRUE(eu_.Commit({{}, {Op::Put("a", "eu")}})->succeeded);
  ASSERT_TRUE(eu_.Wipe().ok());
  EXPECT_FALSE(*eu_.Get("a"));
  EXPECT_TRUE(*home_.Get("a"));
  EXPECT_TRUE(*eu_.Get("shared/x"));
}

}  // namespace
}  // namespace wharf::store
