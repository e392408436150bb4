// What only the etcd backend has: several endpoints, real compaction, a network between.
// The behaviour every backend shares is in store_conformance_test.cc.
#include "store/etcd_store.h"

#include <gtest/gtest.h>

#include "net/http_client.h"
#include "tests/support/etcd_test_server.h"

namespace wharf::store {
namespace {

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdInstalled()) GTEST_SKIP() << "/usr/bin/etcd is not installed";
    std::string error;
    endpoint_ = testing::SharedEtcdEndpoint(&error);
    ASSERT_FALSE(endpoint_.empty()) << error;
    prefix_ = testing::UniqueEtcdPrefix();
  }

  std::string endpoint_;
  std::string prefix_;
};

TEST_F(EtcdStoreTest, FailsOverPastADeadEndpoint) {
  // Nothing listens on loopback port 1.
  auto store = OpenEtcdStore("127.0.0.1:1," + endpoint_, prefix_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto put = (*store)->Commit(Txn{{}, {Op::Put("k", "v")}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto got = (*store)->Get("k");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "v");
  EXPECT_TRUE((*store)->Wipe().ok());
}

TEST_F(EtcdStoreTest, UnreachableEtcdIsUnavailable) {
  auto store = OpenEtcdStore("127.0.0.1:1", prefix_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsUnavailable()) << store.status().ToString();
}

TEST_F(EtcdStoreTest, BadEndpointIsInvalidArgument) {
  EXPECT_TRUE(OpenEtcdStore("no-port", prefix_).status().IsInvalidArgument());
}

TEST_F(EtcdStoreTest, WatchFromCompactedRevisionFailsPrecondition) {
  auto store = OpenEtcdStore(endpoint_, prefix_);
  ASSERT_TRUE(store.ok());
  auto first = (*store)->Commit(Txn{{}, {Op::Put("c/1", "a")}});
  auto second = (*store)->Commit(Txn{{}, {Op::Put("c/2", "b")}});
  ASSERT_TRUE(first.ok() && second.ok());

  // Compact through the newest revision: what the store's own clients never do, an operator
  // (or etcd's auto-compaction) does.
  std::string host, port;
  ASSERT_TRUE(net::SplitHostPort(endpoint_, &host, &port));
  net::HttpClient client(host, port);
  auto compacted =
      client.Send(net::HttpRequest{"POST",
                                   "/v3/kv/compaction",
                                   {},
                                   "{\"revision\":\"" + std::to_string(second->revision) + "\"}"});
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  ASSERT_EQ(compacted->status, 200) << compacted->body;

  auto watch = (*store)->WatchPrefix("c/", first->revision - 1, [](const auto&) {});
  ASSERT_FALSE(watch.ok());
  EXPECT_TRUE(watch.status().IsFailedPrecondition()) << watch.status().ToString();
  // From the compaction point on, history is still there.
  auto later = (*store)->WatchPrefix("c/", second->revision, [](const auto&) {});
  EXPECT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_TRUE((*store)->Wipe().ok());
}

}  // namespace
}  // namespace wharf::store
