#include "controlplane/lb_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <set>
#include <utility>

#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Records what the publisher applies; Apply runs on the publisher's thread.
class RecordingDataPlane final : public lb::DataPlaneControl {
 public:
  Status OpenListener(const std::string& arn, uint16_t port) override {
    std::lock_guard lock(mu_);
    open_[arn] = port;
    return Status::OK();
  }
  void CloseListener(const std::string& arn) override {
    std::lock_guard lock(mu_);
    open_.erase(arn);
  }
  void Apply(std::shared_ptr<const lb::Config> config) override {
    std::lock_guard lock(mu_);
    config_ = std::move(config);
    ++applies_;
  }
  std::vector<lb::TargetHealth> Health(const std::string&) const override { return {}; }

  std::shared_ptr<const lb::Config> config() const {
    std::lock_guard lock(mu_);
    return config_;
  }
  int applies() const {
    std::lock_guard lock(mu_);
    return applies_;
  }
  std::map<std::string, uint16_t> open() const {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const lb::Config> config_;
  int applies_ = 0;
  std::map<std::string, uint16_t> open_;
};

constexpr char kTgArn[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";

std::string TargetGroupRecord(const json::array& targets) {
  return json::serialize(json::object{
      {"targetGroup", {{"TargetGroupArn", kTgArn}, {"TargetGroupName", "web"}, {"Port", 80}}},
      {"attributes", json::object{}},
      {"targets", targets}});
}

void Put(store::Store& store, const std::string& key, const std::string& value) {
  auto committed = store.Commit(store::Txn{{}, {store::Op::Put(key, value)}});
  ASSERT_TRUE(committed.ok() && committed->succeeded);
}

// An internet-facing load balancer in vpc-1 (interface 10.0.1.4, public 198.51.100.4) with a
// listener on 8080, whose group sg-lb admits 8080 from the members of sg-client.
void PutFacingLoadBalancerNamingClients(store::Store& store) {
  Put(store, model::keys::LoadBalancerKey("outside"),
      R"({"loadBalancer": {"LoadBalancerArn": "arn:lb", "Scheme": "internet-facing", "VpcId": "vpc-1",
          "SecurityGroups": ["sg-lb"]}, "attributes": {},
          "interfaces": [{"subnetId": "subnet-0aaaaaaaaaaaaaaaa", "ip": "10.0.1.4", "networkInterfaceId": "eni-1",
                          "publicIp": "198.51.100.4"}]})");
  Put(store, model::keys::ListenerKey("outside", "l1"),
      R"({"listener": {"ListenerArn": "arn:l1", "LoadBalancerArn": "arn:lb", "Port": 8080,
          "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]}})");
  Put(store, model::keys::SubnetKey("subnet-0aaaaaaaaaaaaaaaa"),
      R"({"SubnetId": "subnet-0aaaaaaaaaaaaaaaa", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"})");
  Put(store, model::keys::SecurityGroupKey("sg-lb"),
      R"({"GroupId": "sg-lb", "VpcId": "vpc-1", "IpPermissions": [
          {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": "sg-client"}]}]})");
}

// Task t1, an awsvpc task at 10.0.1.9 in sg-client, in state `last`.
std::string ClientTask(const std::string& last) {
  return json::serialize(json::object{
      {"taskArn", "arn:aws:ecs:us-east-1:000000000000:task/default/t1"},
      {"desiredStatus", "RUNNING"},
      {"lastStatus", last},
      {"_wharf", json::object{{"node", "i-1"},
                              {"networkMode", "awsvpc"},
                              {"eni", json::object{{"ip", "10.0.1.9"}, {"gateway", "10.0.1.1"}}},
                              {"securityGroups", json::array{"sg-client"}}}}});
}

size_t TargetsIn(const std::shared_ptr<const lb::Config>& config) {
  if (!config || !config->target_groups.contains(kTgArn)) return 0;
  return config->target_groups.at(kTgArn).targets.size();
}

// Polls `done` for up to `limit`, returning how long it took (or `limit`).
template <typename F>
std::chrono::milliseconds WaitFor(F done, std::chrono::milliseconds limit) {
  auto start = std::chrono::steady_clock::now();
  while (!done() && std::chrono::steady_clock::now() - start < limit) std::this_thread::sleep_for(1ms);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

TEST(LoadBalancerPublisherTest, StartOpensStoredListenersAndAppliesTheStoredConfig) {
  store::MemoryStore store;
  SystemClock clock;
  Put(store, model::keys::LoadBalancerKey("alb"),
      R"({"loadBalancer": {"LoadBalancerArn": "arn:lb"}, "attributes": {}})");
  Put(store, model::keys::ListenerKey("alb", "l1"),
      R"({"listener": {"ListenerArn": "arn:l1", "LoadBalancerArn": "arn:lb", "Port": 8080,
          "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]}})");
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {});
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  EXPECT_EQ(data_plane.open(), (std::map<std::string, uint16_t>{{"arn:l1", 8080}}));
  ASSERT_NE(data_plane.config(), nullptr);
  EXPECT_EQ(data_plane.config()->listeners.size(), 1u);
}

// A change written straight to the store (another server's API, the service controller)
// reaches the data plane through the watch (the poll is an hour away; the bound is loose because
// a loaded CI machine is not a benchmark).
TEST(LoadBalancerPublisherTest, AStoreChangeReachesTheDataPlaneThroughTheWatch) {
  store::MemoryStore store;
  SystemClock clock;
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok());
  EXPECT_EQ(TargetsIn(data_plane.config()), 0u);

  Put(store, model::keys::TargetGroupKey("web"), TargetGroupRecord(json::array{json::object{{"Id", "10.0.0.5"}, {"Port", 80}}}));
  auto took = WaitFor([&] { return TargetsIn(data_plane.config()) == 1; }, 2000ms);
  EXPECT_EQ(TargetsIn(data_plane.config()), 1u);
  EXPECT_LT(took, 1000ms);

  // A key outside elbv2/ wakes nothing.
  int applies = data_plane.applies();
  Put(store, model::keys::ClusterKey("default"), "{}");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(data_plane.applies(), applies);
}

// A draining target leaves at its deadline without any store change.
TEST(LoadBalancerPublisherTest, ADrainingTargetLeavesAtItsDeadline) {
  store::MemoryStore store;
  SystemClock clock;
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
  Put(store, model::keys::TargetGroupKey("web"),
      TargetGroupRecord(json::array{json::object{{"Id", "10.0.0.5"}, {"Port", 80}},
                                    json::object{{"Id", "10.0.0.6"}, {"Port", 80}, {"drainDeadlineMs", now_ms + 300}}}));
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok());
  EXPECT_EQ(TargetsIn(data_plane.config()), 2u);
  auto took = WaitFor([&] { return TargetsIn(data_plane.config()) == 1; }, 3000ms);
  EXPECT_EQ(TargetsIn(data_plane.config()), 1u);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2500ms);
}

// PublishNow applies at once on the caller's thread; the watch event for the same change
// then finds it covered and does not build again.
TEST(LoadBalancerPublisherTest, PublishNowCoversTheWatchEventOfTheSameChange) {
  store::MemoryStore store;
  SystemClock clock;
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok());
  int before = data_plane.applies();
  Put(store, model::keys::TargetGroupKey("web"), TargetGroupRecord(json::array{json::object{{"Id", "10.0.0.5"}}}));
  (*publisher)->PublishNow();
  EXPECT_EQ(TargetsIn(data_plane.config()), 1u);
  auto revision = store.CurrentRevision();
  ASSERT_TRUE(revision.ok());
  EXPECT_EQ((*publisher)->published_revision(), *revision);
  std::this_thread::sleep_for(50ms);
  // The watch may have woken before PublishNow ran (then it built, and PublishNow built once
  // more): never more than one build per publish.
  EXPECT_LE(data_plane.applies(), before + 2);
  EXPECT_GE(data_plane.applies(), before + 1);
}

// An internal load balancer's listener carries where its VPC reaches it (its interfaces, its
// VPC's bridges) and what its groups admit on its port; a group change reaches the data plane
// (and the nft table, which follows each configuration) through the watch.
TEST(LoadBalancerPublisherTest, AnInternalListenerCarriesItsVpcAndWhatItsGroupsAdmit) {
  store::MemoryStore store;
  SystemClock clock;
  Put(store, model::keys::LoadBalancerKey("inside"),
      R"({"loadBalancer": {"LoadBalancerArn": "arn:lb", "Scheme": "internal", "VpcId": "vpc-1",
          "SecurityGroups": ["sg-1"]}, "attributes": {},
          "interfaces": [{"subnetId": "subnet-0aaaaaaaaaaaaaaaa", "ip": "10.0.1.4", "networkInterfaceId": "eni-1"}]})");
  Put(store, model::keys::ListenerKey("inside", "l1"),
      R"({"listener": {"ListenerArn": "arn:l1", "LoadBalancerArn": "arn:lb", "Port": 8080,
          "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]}})");
  Put(store, model::keys::SubnetKey("subnet-0aaaaaaaaaaaaaaaa"),
      R"({"SubnetId": "subnet-0aaaaaaaaaaaaaaaa", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"})");
  Put(store, model::keys::SubnetKey("subnet-0bbbbbbbbbbbbbbbb"),
      R"({"SubnetId": "subnet-0bbbbbbbbbbbbbbbb", "VpcId": "vpc-2", "CidrBlock": "10.0.1.0/24"})");
  Put(store, model::keys::SecurityGroupKey("sg-1"), R"({"GroupId": "sg-1", "VpcId": "vpc-1", "IpPermissions": []})");
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  ASSERT_EQ(data_plane.config()->listeners.size(), 1u);
  const lb::Listener& l = data_plane.config()->listeners[0];
  EXPECT_TRUE(l.internal);
  EXPECT_EQ(l.private_addresses, std::vector<std::string>{"10.0.1.4"});
  EXPECT_EQ(l.vpc_bridges, std::vector<std::string>{"wh-aaaaaaaaaaaa"});  // vpc-2's is not its VPC's
  EXPECT_TRUE(l.admitted_sources.empty());
  EXPECT_TRUE(l.public_addresses.empty());

  Put(store, model::keys::SecurityGroupKey("sg-1"),
      R"({"GroupId": "sg-1", "VpcId": "vpc-1", "IpPermissions": [
          {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8100, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
          {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "IpRanges": [{"CidrIp": "192.0.2.0/24"}]},
          {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "203.0.113.7/32"}]}]})");
  auto admitted = [&] { return data_plane.config()->listeners[0].admitted_sources; };
  auto took = WaitFor([&] { return !admitted().empty(); }, 2000ms);
  EXPECT_EQ(admitted(), (std::vector<std::string>{"10.0.0.0/16", "203.0.113.7/32"}));
  EXPECT_LT(took, 100ms);
}

// An internet-facing load balancer is reached in its VPC at its interfaces' addresses too, and
// a task whose ENI joins a group its groups name is admitted through the task watch, not at
// the next resync; a task's change that leaves its membership as it was publishes nothing.
TEST(LoadBalancerPublisherTest, ANewMemberOfANamedGroupIsAdmittedThroughTheTaskWatch) {
  store::MemoryStore store;
  SystemClock clock;
  PutFacingLoadBalancerNamingClients(store);
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  const lb::Listener& l = data_plane.config()->listeners[0];
  EXPECT_FALSE(l.internal);
  EXPECT_EQ(l.private_addresses, std::vector<std::string>{"10.0.1.4"});
  EXPECT_EQ(l.vpc_bridges, std::vector<std::string>{"wh-aaaaaaaaaaaa"});
  EXPECT_EQ(l.public_addresses, std::vector<std::string>{"198.51.100.4"});
  EXPECT_TRUE(l.admitted_sources.empty());

  auto task = ClientTask;
  auto admitted = [&] { return data_plane.config()->listeners[0].admitted_sources; };
  Put(store, model::keys::TaskKey("default", "t1"), task("PROVISIONING"));
  auto took = WaitFor([&] { return !admitted().empty(); }, 2000ms);
  EXPECT_EQ(admitted(), std::vector<std::string>{"10.0.1.9"});
  EXPECT_LT(took, 100ms);
  int applies = data_plane.applies();
  Put(store, model::keys::TaskKey("default", "t1"), task("RUNNING"));  // the same member
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(data_plane.applies(), applies);
  Put(store, model::keys::TaskKey("default", "t1"), task("STOPPED"));  // its ENI is gone
  WaitFor([&] { return admitted().empty(); }, 2000ms);
  EXPECT_TRUE(admitted().empty());
}

// A task with a public address in a subnet routed to an internet gateway has a way out: it
// reaches internet-facing load balancers' public addresses, with that address as its source.
// One without a public address has none.
TEST(LoadBalancerPublisherTest, TasksWithAWayOutAreOutsideClients) {
  store::MemoryStore store;
  SystemClock clock;
  Put(store, model::keys::LoadBalancerKey("outside"),
      R"({"loadBalancer": {"LoadBalancerArn": "arn:lb", "Scheme": "internet-facing", "VpcId": "vpc-1"},
          "attributes": {}, "interfaces": [{"subnetId": "subnet-0aaaaaaaaaaaaaaaa", "ip": "10.0.1.4",
                                             "networkInterfaceId": "eni-1", "publicIp": "198.51.100.4"}]})");
  Put(store, model::keys::SubnetKey("subnet-0aaaaaaaaaaaaaaaa"),
      R"({"SubnetId": "subnet-0aaaaaaaaaaaaaaaa", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"})");
  Put(store, model::keys::RouteTableKey("rtb-1"),
      R"({"RouteTableId": "rtb-1", "VpcId": "vpc-1",
          "Associations": [{"Main": true, "RouteTableId": "rtb-1"}],
          "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                     {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]})");
  auto task = [](const std::string& id, const std::string& ip, const std::string& public_ip) {
    return json::serialize(json::object{
        {"taskArn", "arn:aws:ecs:us-east-1:000000000000:task/default/" + id},
        {"desiredStatus", "RUNNING"},
        {"lastStatus", "RUNNING"},
        {"_wharf", json::object{{"node", "i-1"},
                                {"networkMode", "awsvpc"},
                                {"eni", json::object{{"ip", ip}, {"gateway", "10.0.1.1"}, {"vpcId", "vpc-1"},
                                                     {"subnetId", "subnet-0aaaaaaaaaaaaaaaa"},
                                                     {"publicIp", public_ip}}}}}});
  };
  Put(store, model::keys::TaskKey("default", "t1"), task("t1", "10.0.1.9", "198.18.0.9"));
  Put(store, model::keys::TaskKey("default", "t2"), task("t2", "10.0.1.10", ""));
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  auto config = data_plane.config();
  EXPECT_EQ(config->vpc_bridges, std::vector<std::string>{"wh-aaaaaaaaaaaa"});
  ASSERT_EQ(config->outside_clients.size(), 1u);
  EXPECT_EQ(config->outside_clients[0].bridge, "wh-aaaaaaaaaaaa");
  EXPECT_EQ(config->outside_clients[0].ip, "10.0.1.9");
  EXPECT_EQ(config->outside_clients[0].outside_address, "198.18.0.9");
}

}  // namespace
}  // namespace wharf::controlplane

namespace wharf::controlplane {
namespace {

// Logs, in order, each configuration the data plane gets ("apply <arn>=<filtered>...") and
// each table the publisher applies ("table <port>...").
class OrderLog final : public lb::DataPlaneControl {
 public:
  Status OpenListener(const std::string&, uint16_t) override { return Status::OK(); }
  void CloseListener(const std::string&) override {}
  void Apply(std::shared_ptr<const lb::Config> config) override {
    std::string line = "apply";
    for (const auto& l : config->listeners) line += " " + l.arn + "=" + (l.filtered ? "every" : "bind");
    Add(line);
  }
  std::vector<lb::TargetHealth> Health(const std::string&) const override { return {}; }
  void Add(std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(lines_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

constexpr char kListener[] =
    R"({"listener": {"ListenerArn": "arn:l1", "LoadBalancerArn": "arn:lb", "Port": 8080,
        "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]}})";

// A listener listens at every address only once a table holding its port has applied (a
// refused table keeps it at the bind address, the next publish tries again); a listener
// going closes before the table that no longer holds its port applies.
TEST(LoadBalancerPublisherTest, ListenersAreMarkedFilteredOnlyAfterTheirTableApplied) {
  store::MemoryStore store;
  SystemClock clock;
  Put(store, model::keys::LoadBalancerKey("alb"), R"({"loadBalancer": {"LoadBalancerArn": "arn:lb"}, "attributes": {}})");
  Put(store, model::keys::ListenerKey("alb", "l1"), kListener);
  OrderLog log;
  std::atomic<bool> refuse = true;
  LoadBalancerPublisherOptions options{nullptr, std::chrono::hours(1)};
  options.published = [&](const lb::Config& config) {
    std::string line = "table";
    std::set<uint16_t> ports;
    for (const auto& l : config.listeners) {
      line += " " + std::to_string(l.port);
      ports.insert(l.port);
    }
    log.Add(line + (refuse ? " refused" : ""));
    return refuse ? std::set<uint16_t>{} : ports;
  };
  auto publisher = LoadBalancerPublisher::Start(store, clock, log, options);
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  EXPECT_EQ(log.Take(), (std::vector<std::string>{"table 8080 refused", "apply arn:l1=bind"}));
  refuse = false;  // tried again within a second or so, not at the hourly resync
  std::vector<std::string> retried;
  WaitFor([&] {
    for (auto& line : log.Take()) retried.push_back(std::move(line));
    return retried.size() >= 2;
  }, 5000ms);
  EXPECT_EQ(retried, (std::vector<std::string>{"table 8080", "apply arn:l1=every"}));
  auto deleted = store.Commit(store::Txn{{}, {store::Op::Delete(model::keys::ListenerKey("alb", "l1"))}});
  ASSERT_TRUE(deleted.ok());
  (*publisher)->PublishNow();
  std::this_thread::sleep_for(50ms);  // the watch's publish, if any, has run
  auto lines = log.Take();
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 3),
            (std::vector<std::string>{"apply", "table", "apply"}));
}

// A task live before Start is a member from the start: when it stops, the load balancer's
// admitted sources lose it through the task watch, not at the next resync.
TEST(LoadBalancerPublisherTest, ATaskLiveBeforeStartThatStopsLeavesAtOnce) {
  store::MemoryStore store;
  SystemClock clock;
  PutFacingLoadBalancerNamingClients(store);
  auto task = ClientTask;
  Put(store, model::keys::TaskKey("default", "t1"), task("RUNNING"));
  RecordingDataPlane data_plane;
  auto publisher = LoadBalancerPublisher::Start(store, clock, data_plane, {nullptr, std::chrono::hours(1)});
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  auto admitted = [&] { return data_plane.config()->listeners[0].admitted_sources; };
  EXPECT_EQ(admitted(), std::vector<std::string>{"10.0.1.9"});
  Put(store, model::keys::TaskKey("default", "t1"), task("STOPPED"));
  WaitFor([&] { return admitted().empty(); }, 2000ms);
  EXPECT_TRUE(admitted().empty());
}

}  // namespace
}  // namespace wharf::controlplane
