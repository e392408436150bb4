#include "controlplane/task_lifecycle.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

json::object Task() {
  return json::parse(R"({"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/default/abc", "lastStatus": "PROVISIONING",
      "desiredStatus": "RUNNING", "version": 1,
      "attachments": [{"id": "a", "status": "PRECREATED"}],
      "containers": [{"name": "web", "lastStatus": "PENDING"}],
      "_wharf": {"eni": {"subnetId": "subnet-1", "ip": "10.0.0.4"}}})")
      .as_object();
}

TEST(TaskLifecycleTest, StatusOnlyMovesForward) {
  json::object task = Task();
  ApplyTaskStateChange(task, json::parse(R"({"status": "RUNNING"})").as_object(), 10);
  EXPECT_EQ(GetString(task, "lastStatus"), "RUNNING");
  EXPECT_EQ(GetString(GetArray(task, "attachments")[0].as_object(), "status"), "ATTACHED");
  EXPECT_EQ(GetInt(task, "version"), 2);
  ApplyTaskStateChange(task, json::parse(R"({"status": "PENDING"})").as_object(), 11);  // late
  EXPECT_EQ(GetString(task, "lastStatus"), "RUNNING");
  EXPECT_EQ(task.at("startedAt").to_number<double>(), 10);
}

TEST(TaskLifecycleTest, ATaskThatStopsOnItsOwnGetsEcsStopCode) {
  json::object task = Task();
  ApplyTaskStateChange(task, json::parse(R"({"status": "RUNNING"})").as_object(), 10);
  auto released = ApplyTaskStateChange(
      task, json::parse(R"({"status": "STOPPED", "reason": "Essential container in task exited",
                            "containers": [{"containerName": "web", "status": "STOPPED", "exitCode": 3}]})").as_object(),
      20);
  EXPECT_EQ(GetString(task, "desiredStatus"), "STOPPED");
  EXPECT_EQ(GetString(task, "stopCode"), "EssentialContainerExited");
  EXPECT_EQ(GetInt(GetArray(task, "containers")[0].as_object(), "exitCode"), 3);
  EXPECT_EQ(released, std::vector<std::string>{model::keys::EniIpKey("subnet-1", "10.0.0.4")});

  json::object failed = Task();
  ApplyTaskStateChange(failed, json::parse(R"({"status": "STOPPED", "reason": "CannotPullContainerError: no such image"})").as_object(), 5);
  EXPECT_EQ(GetString(failed, "stopCode"), "TaskFailedToStart");
}

TEST(TaskLifecycleTest, StoppedTasksExpireAfterTheRetention) {
  store::MemoryStore store;
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(10000)));
  json::object old_task = Task(), recent = Task(), running = Task();
  old_task["lastStatus"] = "STOPPED";
  old_task["stoppedAt"] = 10000.0 - 3601;
  recent["lastStatus"] = "STOPPED";
  recent["stoppedAt"] = 10000.0 - 60;
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::TaskKey("default", "old"), Serialize(old_task)),
                                           store::Op::Put(model::keys::TaskKey("default", "recent"), Serialize(recent)),
                                           store::Op::Put(model::keys::TaskKey("default", "running"), Serialize(running))}})
                  .ok());
  auto expired = ExpireStoppedTasks(store, clock, std::chrono::hours(1));
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1);
  auto left = store.List(model::keys::TasksPrefix("default"), "", 0);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->items.size(), 2u);
}

}  // namespace
}  // namespace wharf::controlplane
