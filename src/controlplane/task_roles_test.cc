// Which roles a task runs with (overrides win over the task definition), and the launch
// check that refuses a role ECS may not assume.
#include "controlplane/task_roles.h"

#include <gtest/gtest.h>

#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

constexpr char kTaskRole[] = "arn:aws:iam::000000000000:role/app";
constexpr char kExecutionRole[] = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
constexpr char kTaskArn[] = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef";

json::object Definition() {
  return json::object{{"family", "web"}, {"taskRoleArn", kTaskRole}, {"executionRoleArn", kExecutionRole}};
}

void PutTask(store::Store& store, const json::object& overrides) {
  json::object task{{"taskArn", kTaskArn},
                    {"overrides", overrides},
                    {"_wharf", json::object{{"taskDefinition", Definition()}}}};
  auto r = store.Commit(store::Txn{
      {}, {store::Op::Put(model::keys::TaskKey("default", "0123456789abcdef0123456789abcdef"), Serialize(task))}});
  ASSERT_TRUE(r.ok() && r->succeeded);
}

TEST(TaskRolesTest, TheTaskDefinitionsRolesUnlessOverridden) {
  store::MemoryStore store;
  PutTask(store, json::object{});
  EXPECT_EQ(*RoleOfTask(store, kTaskArn, model::TaskRoleKind::kTask), kTaskRole);
  EXPECT_EQ(*RoleOfTask(store, kTaskArn, model::TaskRoleKind::kExecution), kExecutionRole);
  PutTask(store, json::object{{"taskRoleArn", "arn:aws:iam::000000000000:role/other"}});
  EXPECT_EQ(*RoleOfTask(store, kTaskArn, model::TaskRoleKind::kTask), "arn:aws:iam::000000000000:role/other");
  EXPECT_EQ(*RoleOfTask(store, kTaskArn, model::TaskRoleKind::kExecution), kExecutionRole);
}

TEST(TaskRolesTest, NoSuchTaskOrRoleIsNotFound) {
  store::MemoryStore store;
  EXPECT_TRUE(RoleOfTask(store, kTaskArn, model::TaskRoleKind::kTask).status().IsNotFound());
  EXPECT_TRUE(RoleOfTask(store, "not-an-arn", model::TaskRoleKind::kTask).status().IsNotFound());
  EXPECT_TRUE(RoleOfTask(store, "arn:aws:ecs:us-east-1:000000000000:task/default", model::TaskRoleKind::kTask)
                  .status().IsNotFound());
  json::object task{{"taskArn", kTaskArn}, {"_wharf", json::object{{"taskDefinition", json::object{{"family", "web"}}}}}};
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::TaskKey("default", "0123456789abcdef0123456789abcdef"),
                                                          Serialize(task))}}).ok());
  EXPECT_TRUE(RoleOfTask(store, kTaskArn, model::TaskRoleKind::kTask).status().IsNotFound());
  EXPECT_TRUE(RoleOfTask(store, kTaskArn, model::TaskRoleKind::kExecution).status().IsNotFound());
}

TEST(TaskRolesTest, AStoppedTasksRolesAreNoLongerHandedOut) {
  store::MemoryStore store;
  json::object task{{"taskArn", kTaskArn}, {"lastStatus", "STOPPED"}, {"_wharf", json::object{{"taskDefinition", Definition()}}}};
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::TaskKey("default", "0123456789abcdef0123456789abcdef"),
                                                          Serialize(task))}}).ok());
  EXPECT_TRUE(RoleOfTask(store, kTaskArn, model::TaskRoleKind::kTask).status().IsNotFound());
  EXPECT_TRUE(RoleOfTask(store, kTaskArn, model::TaskRoleKind::kExecution).status().IsNotFound());
}

class LaunchRolesTest : public ::testing::Test {
 protected:
  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  FastRandom random_;
  TaskLaunchDeps deps_{store_, clock_, random_, {"us-east-1", "000000000000"}, {}, {}, {}};
};

TEST_F(LaunchRolesTest, EveryRoleOfTheLaunchIsAsked) {
  TaskLaunch launch;
  launch.task_definition = Definition();
  EXPECT_TRUE(CheckLaunchRoles(deps_, launch).ok());  // no check configured
  std::vector<std::string> asked;
  deps_.may_assume_role = [&](std::string_view role) {
    asked.emplace_back(role);
    return role == kExecutionRole ? Status::FailedPrecondition("ECS was unable to assume the role '" +
                                                               std::string(role) + "'")
                                  : Status::OK();
  };
  Status st = CheckLaunchRoles(deps_, launch);
  EXPECT_TRUE(st.IsFailedPrecondition());
  EXPECT_EQ(st.message(), std::string("ECS was unable to assume the role '") + kExecutionRole + "'");
  EXPECT_EQ(asked, (std::vector<std::string>{kTaskRole, kExecutionRole}));
  // The overrides' execution role is the one asked about.
  launch.request.overrides = json::object{{"executionRoleArn", "arn:aws:iam::000000000000:role/trusted"}};
  asked.clear();
  EXPECT_TRUE(CheckLaunchRoles(deps_, launch).ok());
  EXPECT_EQ(asked, (std::vector<std::string>{kTaskRole, "arn:aws:iam::000000000000:role/trusted"}));
  // No roles: nothing asked.
  launch.task_definition = json::object{{"family", "web"}};
  launch.request.overrides = json::object{};
  asked.clear();
  EXPECT_TRUE(CheckLaunchRoles(deps_, launch).ok());
  EXPECT_TRUE(asked.empty());
}

}  // namespace
}  // namespace wharf::controlplane
