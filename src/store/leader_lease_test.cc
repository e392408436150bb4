// LeaderLease against a private etcd; the trivial leadership of non-etcd stores.
#include "store/leader_lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "tests/support/etcd_test_server.h"

namespace wharf::store {
namespace {

using namespace std::chrono_literals;

// Polls `done` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    if (done()) return true;
  }
  return done();
}

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdInstalled()) GTEST_SKIP() << "/usr/bin/etcd is not installed";
    std::string error;
    endpoint_ = testing::SharedEtcdEndpoint(&error);
    ASSERT_FALSE(endpoint_.empty()) << error;
    key_ = testing::UniqueEtcdPrefix() + "leader";
  }

  std::unique_ptr<Leadership> Open(const std::string& id, std::atomic<int>* changes = nullptr) {
    LeadershipOptions options;
    options.holder_id = id;
    options.election_key = key_;
    options.ttl = 3s;
    options.poll_interval = 200ms;
    if (changes != nullptr) options.on_change = [changes](bool) { ++*changes; };
    auto lease = OpenLeaderLease(endpoint_, std::move(options));
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return lease.ok() ? std::move(lease).value() : nullptr;
  }

  std::string endpoint_;
  std::string key_;
};

TEST_F(LeaderLeaseTest, ExactlyOneLeadsAndTheOtherTakesOverWhenItGoes) {
  std::atomic<int> a_changes{0}, b_changes{0};
  auto a = Open("server-a", &a_changes);
  auto b = Open("server-b", &b_changes);
  ASSERT_TRUE(a && b);

  ASSERT_TRUE(Eventually([&] { return a->IsLeader() || b->IsLeader(); }, 5s));
  // Hold steady across several renewals (ttl/3 = 1 s) and polls.
  for (int i = 0; i < 30; ++i) {
    EXPECT_NE(a->IsLeader(), b->IsLeader());
    std::this_thread::sleep_for(100ms);
  }
  auto& leader = a->IsLeader() ? a : b;
  auto& follower = a->IsLeader() ? b : a;
  std::atomic<int>& follower_changes = a->IsLeader() ? b_changes : a_changes;
  EXPECT_EQ(follower_changes.load(), 0);

  // The destroyed leader revokes its lease: no waiting out the 3 s TTL.
  const auto gone = std::chrono::steady_clock::now();
  leader.reset();
  ASSERT_TRUE(Eventually([&] { return follower->IsLeader(); }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - gone, 2s);
  EXPECT_EQ(follower_changes.load(), 1);
}

TEST_F(LeaderLeaseTest, UnreachableEtcdIsUnavailable) {
  LeadershipOptions options;
  options.holder_id = "lonely";
  options.ttl = 3s;
  // Port 1 on loopback: nothing listens there.
  auto lease = OpenLeaderLease("127.0.0.1:1", std::move(options));
  ASSERT_FALSE(lease.ok());
  EXPECT_TRUE(lease.status().IsUnavailable()) << lease.status().ToString();
}

TEST(LeadershipFactory, NonEtcdStoreAlwaysLeads) {
  int gained = 0, lost = 0;
  LeadershipOptions options;
  options.holder_id = "solo";
  options.on_change = [&](bool leader) { ++(leader ? gained : lost); };
  {
    auto leadership = OpenLeadership("sqlite", std::move(options));
    ASSERT_TRUE(leadership.ok());
    EXPECT_TRUE((*leadership)->IsLeader());
    EXPECT_EQ(gained, 1);
  }
  EXPECT_EQ(lost, 1);
}

}  // namespace
}  // namespace wharf::store
