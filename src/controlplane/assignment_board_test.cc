#include "controlplane/assignment_board.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <atomic>
#include <future>
#include <thread>
#include <set>

#include "model/json.h"
#include "model/arn.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

constexpr char kNodeA[] = "i-aaaaaaaaaaaaaaaaa";
constexpr char kNodeB[] = "i-bbbbbbbbbbbbbbbbb";

// A bridge task record placed on `node`, as placement writes it.
json::object Record(const std::string& id, const std::string& node, const std::string& desired = "RUNNING",
                    const std::string& last = "RUNNING") {
  json::object r = json::parse(R"({"clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/default",
      "containers": [{"name": "web"}],
      "_wharf": {"containerInstanceId": "ci", "networkMode": "bridge", "eni": {}, "hostPorts": [80],
                 "taskDefinition": {"containerDefinitions": [{"name": "web", "image": "busybox"}]}}})")
                       .as_object();
  r["taskArn"] = "arn:aws:ecs:us-east-1:000000000000:task/default/" + id;
  r["desiredStatus"] = desired;
  r["lastStatus"] = last;
  r["_wharf"].as_object()["node"] = node;
  return r;
}

void Put(store::Store& store, const json::object& record) {
  std::string id = model::ShortId(GetString(record, "taskArn"));
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::TaskKey("default", id), Serialize(record))}}).ok());
}

// One poll's answer (Poll answers on this thread when it answers at once).
Result<model::TaskAssignments> PollNow(AssignmentBoard& board, const std::string& node) {
  std::optional<Result<model::TaskAssignments>> got;
  board.Poll(node, 0, std::chrono::milliseconds(0), [&](Result<model::TaskAssignments> a) { got = std::move(a); });
  if (!got) return Status::Internal("no answer at once");
  return std::move(*got);
}

// Node A's poll after `first`, waiting up to 20 s; its answer comes through `promise`.
std::future<Result<model::TaskAssignments>> WaitFor(AssignmentBoard& board, const model::TaskAssignments& first,
                                                    std::promise<Result<model::TaskAssignments>>& promise) {
  board.Poll(kNodeA, first.revision, std::chrono::seconds(20),
             [&promise](Result<model::TaskAssignments> a) { promise.set_value(std::move(a)); });
  return promise.get_future();
}

TEST(AssignmentBoardTest, AnswersOnlyTheNodesTasksAsAssignments) {
  store::MemoryStore store;
  Put(store, Record("a1", kNodeA));
  Put(store, Record("a2", kNodeA, "STOPPED", "RUNNING"));  // stopping: still the node's business
  Put(store, Record("a3", kNodeA, "STOPPED", "STOPPED"));  // done: no longer listed
  Put(store, Record("b1", kNodeB));
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok()) << board.status().ToString();

  auto answer = PollNow(**board, kNodeA);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  auto revision = store.CurrentRevision();
  ASSERT_TRUE(revision.ok());
  EXPECT_EQ(answer->revision, *revision);
  std::set<std::string> ids;
  for (const auto& a : answer->assignments) {
    ids.insert(a.task_id());
    EXPECT_EQ(a.node, kNodeA);
    EXPECT_EQ(a.network_mode, "bridge");
    EXPECT_EQ(a.container_instance_id, "ci");
    EXPECT_FALSE(a.task.contains("_wharf")) << a.task_id();
    EXPECT_EQ(GetArray(a.task_definition, "containerDefinitions").size(), 1u);
    EXPECT_EQ(a.desired_status, a.task_id() == "a2" ? "STOPPED" : "RUNNING");
  }
  EXPECT_EQ(ids, (std::set<std::string>{"a1", "a2"}));

  // What goes on the wire is what an agent accepts.
  auto parsed = model::TaskAssignments::FromJson(answer->ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, *answer);

  auto b = PollNow(**board, kNodeB);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->assignments.size(), 1u);
  EXPECT_EQ(b->assignments[0].task_id(), "b1");

  auto none = PollNow(**board, "i-ccccccccccccccccc");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->assignments.empty());
}

TEST(AssignmentBoardTest, AWaitingPollIsAnsweredByAChangeToItsNodesTasks) {
  store::MemoryStore store;
  Put(store, Record("a1", kNodeA));
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok());
  auto first = PollNow(**board, kNodeA);
  ASSERT_TRUE(first.ok());

  std::promise<Result<model::TaskAssignments>> promise;
  auto future = WaitFor(**board, *first, promise);
  Put(store, Record("b1", kNodeB));  // another node's: no answer yet
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  Put(store, Record("a1", kNodeA, "STOPPED"));
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto answer = future.get();
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->assignments.size(), 1u);
  EXPECT_EQ(answer->assignments[0].desired_status, "STOPPED");
  EXPECT_GT(answer->revision, first->revision);
}

// A store whose next List of the tasks, once armed, is followed by a change to one of node
// A's tasks that the board's watch delivers before List returns: the change is after the
// snapshot's read, and its event before the poll's waiter exists.
class ChangeAfterList final : public store::Store {
 public:
  explicit ChangeAfterList(store::Store& inner) : inner_(inner) {}
  std::atomic<bool> armed{false};
  Result<std::optional<store::KeyValue>> Get(std::string_view key) override { return inner_.Get(key); }
  Result<store::Page> List(std::string_view prefix, std::string_view start_after, size_t limit) override {
    auto page = inner_.List(prefix, start_after, limit);
    if (prefix == model::keys::kTasks && armed.exchange(false)) {
      Put(inner_, Record("a1", kNodeA, "STOPPED"));
      // The watch's thread delivers the event meanwhile (a MemoryStore's, within a moment).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return page;
  }
  Result<store::TxnResult> Commit(const store::Txn& txn) override { return inner_.Commit(txn); }
  Result<std::unique_ptr<store::Watch>> WatchPrefix(std::string_view prefix, int64_t after,
                                                    store::WatchCallback callback) override {
    return inner_.WatchPrefix(prefix, after, std::move(callback));
  }
  Result<int64_t> CurrentRevision() override { return inner_.CurrentRevision(); }
  Status Wipe() override { return inner_.Wipe(); }

 private:
  store::Store& inner_;
};

// The race the 20 s waits of test_vpc_egress showed: a RunTask's commit landing between a
// poll's snapshot and its waiter is answered at once, not at the poll's end.
TEST(AssignmentBoardTest, AChangeBetweenTheSnapshotAndTheWaitAnswersAtOnce) {
  store::MemoryStore memory;
  Put(memory, Record("a1", kNodeA));
  ChangeAfterList store(memory);
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok());
  auto first = PollNow(**board, kNodeA);
  ASSERT_TRUE(first.ok());

  std::promise<Result<model::TaskAssignments>> promise;
  store.armed = true;
  auto future = WaitFor(**board, *first, promise);
  ASSERT_EQ(future.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  auto answer = future.get();
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->assignments.size(), 1u);
  EXPECT_EQ(answer->assignments[0].desired_status, "STOPPED");
}

// An awsvpc task record on `node` with address `ip` in `groups`.
json::object EniRecord(const std::string& id, const std::string& node, const std::string& ip,
                       const std::vector<std::string>& groups, const std::string& last = "RUNNING") {
  json::object r = Record(id, node, "RUNNING", last);
  json::object& wharf = r["_wharf"].as_object();
  wharf["networkMode"] = "awsvpc";
  wharf["eni"] = json::object{{"subnetId", "subnet-1"}, {"cidr", "10.0.1.0/24"}, {"ip", ip}, {"gateway", "10.0.1.1"}};
  json::array g;
  for (const auto& x : groups) g.push_back(json::value(x));
  wharf["securityGroups"] = std::move(g);
  return r;
}

// A group as EC2 stores it: ingress tcp `port` from `source` group (none when empty).
void PutGroup(store::Store& store, const std::string& id, const std::string& source, int port) {
  json::array ingress;
  if (!source.empty()) {
    ingress.push_back(json::object{{"IpProtocol", "tcp"}, {"FromPort", port}, {"ToPort", port},
                                   {"UserIdGroupPairs", json::array{json::object{{"GroupId", source}}}},
                                   {"IpRanges", json::array()}});
  }
  json::object g{{"GroupId", id},
                 {"IpPermissions", std::move(ingress)},
                 {"IpPermissionsEgress", json::array{json::object{
                      {"IpProtocol", "-1"}, {"IpRanges", json::array{json::object{{"CidrIp", "0.0.0.0/0"}}}}}}}};
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::SecurityGroupKey(id), Serialize(g))}}).ok());
}

// A waiting poll and what answers it.
struct Waiting {
  std::promise<Result<model::TaskAssignments>> promise;
  std::future<Result<model::TaskAssignments>> future = promise.get_future();
};

TEST(AssignmentBoardTest, AnEniGetsItsGroupsRulesAndTheMembersTheyName) {
  store::MemoryStore store;
  PutGroup(store, "sg-web", "sg-client", 80);
  PutGroup(store, "sg-client", "", 0);
  Put(store, EniRecord("a1", kNodeA, "10.0.1.5", {"sg-web"}));
  Put(store, EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"}));
  Put(store, EniRecord("b2", kNodeB, "10.0.1.7", {"sg-client"}, "STOPPED"));  // no longer a member
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok());
  auto answer = PollNow(**board, kNodeA);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(answer->assignments.size(), 1u);
  ASSERT_TRUE(answer->assignments[0].eni);
  EXPECT_EQ(answer->assignments[0].eni->security_groups, std::vector<std::string>{"sg-web"});
  ASSERT_EQ(answer->security.groups.size(), 1u);
  EXPECT_EQ(answer->security.groups[0].group_id, "sg-web");
  ASSERT_EQ(answer->security.groups[0].ingress.size(), 1u);
  EXPECT_EQ(answer->security.groups[0].ingress[0].group_id, "sg-client");
  EXPECT_EQ(answer->security.members.at("sg-client").addresses, std::vector<std::string>{"10.0.1.6"});
  auto parsed = model::TaskAssignments::FromJson(answer->ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, *answer);

  // A bridge-only node hears nothing of groups.
  Put(store, Record("b3", kNodeB));
  auto bridge_only = PollNow(**board, "i-ccccccccccccccccc");
  ASSERT_TRUE(bridge_only.ok());
  EXPECT_TRUE(bridge_only->security.empty());
}

TEST(AssignmentBoardTest, ARuleChangeAndAMemberOnAnotherNodeWakeAWaitingPoll) {
  store::MemoryStore store;
  PutGroup(store, "sg-web", "", 0);
  PutGroup(store, "sg-client", "", 0);
  Put(store, EniRecord("a1", kNodeA, "10.0.1.5", {"sg-web"}));
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok());
  auto first = PollNow(**board, kNodeA);
  ASSERT_TRUE(first.ok());

  Waiting rule;
  (*board)->Poll(kNodeA, first->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { rule.promise.set_value(std::move(a)); });
  PutGroup(store, "sg-web", "sg-client", 80);  // AuthorizeSecurityGroupIngress
  ASSERT_EQ(rule.future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto second = rule.future.get();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->security.groups.size(), 1u);
  ASSERT_EQ(second->security.groups[0].ingress.size(), 1u);
  EXPECT_TRUE(second->security.members.at("sg-client").addresses.empty());

  Waiting member;
  (*board)->Poll(kNodeA, second->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { member.promise.set_value(std::move(a)); });
  Put(store, EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"}));  // another node's task joins sg-client
  ASSERT_EQ(member.future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto third = member.future.get();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->security.members.at("sg-client").addresses, std::vector<std::string>{"10.0.1.6"});

  // The member's own news (a health status) changes no member set: node A sleeps on.
  Waiting quiet;
  (*board)->Poll(kNodeA, third->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { quiet.promise.set_value(std::move(a)); });
  json::object healthy = EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"});
  healthy["healthStatus"] = "HEALTHY";
  Put(store, healthy);
  EXPECT_EQ(quiet.future.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  Put(store, EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"}, "STOPPED"));  // it leaves: A hears of it
  ASSERT_EQ(quiet.future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto fourth = quiet.future.get();
  ASSERT_TRUE(fourth.ok());
  EXPECT_TRUE(fourth->security.members.at("sg-client").addresses.empty());

  // A poll that missed the change (its `after` is older) is answered at once.
  std::optional<Result<model::TaskAssignments>> late;
  (*board)->Poll(kNodeA, second->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { late = std::move(a); });
  ASSERT_TRUE(late.has_value());
}

// A member live before Start (on another node) that then stops wakes a waiting poll at once:
// the board's memberships start from the tasks it read, not empty.
TEST(AssignmentBoardTest, AMemberLiveBeforeStartThatStopsWakesAWaitingPoll) {
  store::MemoryStore store;
  PutGroup(store, "sg-web", "sg-client", 80);
  PutGroup(store, "sg-client", "", 0);
  Put(store, EniRecord("a1", kNodeA, "10.0.1.5", {"sg-web"}));
  Put(store, EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"}));
  auto board = AssignmentBoard::Start(store);
  ASSERT_TRUE(board.ok());
  auto first = PollNow(**board, kNodeA);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->security.members.at("sg-client").addresses, std::vector<std::string>{"10.0.1.6"});
  Waiting gone;
  (*board)->Poll(kNodeA, first->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { gone.promise.set_value(std::move(a)); });
  Put(store, EniRecord("b1", kNodeB, "10.0.1.6", {"sg-client"}, "STOPPED"));
  ASSERT_EQ(gone.future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto second = gone.future.get();
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->security.members.at("sg-client").addresses.empty());
}

TEST(AssignmentBoardTest, AnEniNodeGetsItsVpcsNamesAndACloudMapChangeWakesIt) {
  store::MemoryStore store;
  json::object task = EniRecord("a1", kNodeA, "10.0.1.5", {});
  task["_wharf"].as_object()["eni"].as_object()["vpcId"] = "vpc-1";
  Put(store, task);
  auto put = [&](const std::string& key, std::string_view value) {
    ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(key, std::string(value))}}).ok());
  };
  put(model::keys::VpcKey("vpc-1"), R"({"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16","IsDefault":true})");
  put(model::keys::CloudMapNamespaceKey("ns-1"), R"({"Id":"ns-1","Name":"local","Type":"DNS_PRIVATE","Vpc":"vpc-1"})");
  put(model::keys::CloudMapServiceKey("srv-1"), R"({"Id":"srv-1","Name":"api","NamespaceId":"ns-1",
      "DnsConfig":{"RoutingPolicy":"MULTIVALUE","DnsRecords":[{"Type":"A","TTL":10}]}})");
  auto board = AssignmentBoard::Start(store, "eu-west-1");
  ASSERT_TRUE(board.ok());
  auto first = PollNow(**board, kNodeA);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->vpc_dns.size(), 1u);
  const model::VpcDnsTable& table = first->vpc_dns[0];
  EXPECT_EQ(table.vpc_id, "vpc-1");
  auto host = model::LookupVpcDns(table, "ip-10-0-1-5.eu-west-1.compute.internal", "A", 0);
  ASSERT_EQ(host.answers.size(), 1u);  // the default VPC has hostnames on
  EXPECT_TRUE(model::LookupVpcDns(table, "api.local", "A", 0).ours);
  EXPECT_TRUE(model::LookupVpcDns(table, "api.local", "A", 0).answers.empty());

  Waiting registered;
  (*board)->Poll(kNodeA, first->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { registered.promise.set_value(std::move(a)); });
  put(model::keys::CloudMapInstanceKey("srv-1", "i-1"), R"({"Id":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.4"}})");
  ASSERT_EQ(registered.future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto second = registered.future.get();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->vpc_dns.size(), 1u);
  auto api = model::LookupVpcDns(second->vpc_dns[0], "api.local", "A", 0);
  ASSERT_EQ(api.answers.size(), 1u);
  EXPECT_EQ(api.answers[0].value, "10.0.0.4");
  // A bridge-only node gets no names.
  Put(store, Record("b1", kNodeB));
  EXPECT_TRUE(PollNow(**board, kNodeB)->vpc_dns.empty());
}

}  // namespace
}  // namespace wharf::controlplane
