#include "controlplane/assignment_board.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <future>
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
  auto future = promise.get_future();
  (*board)->Poll(kNodeA, first->revision, std::chrono::seconds(20),
                 [&](Result<model::TaskAssignments> a) { promise.set_value(std::move(a)); });
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

}  // namespace
}  // namespace wharf::controlplane
