// RunTask's resolve-and-place (ResolveTaskLaunch, PlanTaskLaunch) on a real MemoryStore: the
// constraints and strategies a request names, what does not fit reported as ECS's failures,
// ECS's errors for a bad request, and the placement epoch keeping two plans made from one
// snapshot from both committing.
#include "controlplane/task_launch.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <set>

#include "model/json.h"
#include "model/keys.h"
#include "model/task.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

constexpr char kCluster[] = "default";

class TaskLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put(model::keys::ClusterKey(kCluster), json::object{{"clusterName", kCluster}, {"status", "ACTIVE"}});
    PutInstance("ci-a", "i-000000000000000a1", "us-east-1a", "green");
    PutInstance("ci-b", "i-000000000000000b1", "us-east-1b", "blue");
    PutTaskDefinition("web", json::array{json::object{{"name", "web"}, {"image", "busybox"}}});
    PutTaskDefinition("port80", json::array{json::object{
                                    {"name", "web"}, {"image", "busybox"},
                                    {"portMappings", json::array{json::object{{"containerPort", 80}, {"hostPort", 80}}}}}});
  }

  void Put(const std::string& key, const json::object& value) {
    auto r = store_.Commit(store::Txn{{}, {store::Op::Put(key, Serialize(value))}});
    ASSERT_TRUE(r.ok() && r->succeeded);
  }

  // 1024 CPU units and 2048 MiB each: two of the 512/1024 tasks fit on one.
  void PutInstance(const std::string& id, const std::string& node, const std::string& zone, const std::string& stack) {
    json::object ci{
        {"containerInstanceArn", model::EcsArn(scope_, std::string("container-instance/") + kCluster + "/" + id)},
        {"ec2InstanceId", node},
        {"status", "ACTIVE"},
        {"registeredResources", json::array{json::object{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 1024}},
                                            json::object{{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 2048}}}},
        {"attributes", json::array{json::object{{"name", "ecs.availability-zone"}, {"value", zone}},
                                   json::object{{"name", "stack"}, {"value", stack}}}}};
    Put(model::keys::ContainerInstanceKey(kCluster, id), json::object{{"containerInstance", ci}, {"node", node}});
  }

  void PutTaskDefinition(const std::string& family, json::array containers) {
    json::object td{{"family", family},
                    {"revision", 1},
                    {"taskDefinitionArn", model::EcsArn(scope_, "task-definition/" + family + ":1")},
                    {"status", "ACTIVE"},
                    {"networkMode", "bridge"},
                    {"compatibilities", json::array{"EC2"}},
                    {"cpu", "512"},
                    {"memory", "1024"},
                    {"containerDefinitions", std::move(containers)}};
    Put(model::keys::TaskDefinitionKey(family, 1), json::object{{"taskDefinition", td}, {"tags", json::array()}});
    Put(model::keys::FamilyKey(family), json::object{{"lastRevision", 1}, {"latestActive", 1}});
  }

  TaskLaunchRequest Request(const std::string& family, int count) {
    TaskLaunchRequest in;
    in.cluster = kCluster;
    in.task_definition = family;
    in.launch_type = "EC2";
    in.count = count;
    return in;
  }

  Result<TaskLaunchPlan> Plan(const TaskLaunchRequest& in) {
    ASSIGN_OR_RETURN(TaskLaunch launch, ResolveTaskLaunch(deps_, in));
    return PlanTaskLaunch(deps_, launch);
  }

  // Plans and commits; the plan.
  TaskLaunchPlan Run(const TaskLaunchRequest& in) {
    auto plan = Plan(in);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return {};
    if (!plan->txn.ops.empty()) {
      auto r = store_.Commit(plan->txn);
      EXPECT_TRUE(r.ok() && r->succeeded);
    }
    return std::move(plan).value();
  }

  static std::vector<std::string> Instances(const TaskLaunchPlan& plan) {
    std::vector<std::string> out;
    for (const auto& t : plan.tasks) {
      std::string arn = model::TaskRecord(t.get_object()).container_instance_arn();
      out.push_back(arn.substr(arn.rfind('/') + 1));
    }
    return out;
  }

  static std::vector<std::string> Reasons(const TaskLaunchPlan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.failures) out.push_back(GetString(f.get_object(), "reason"));
    return out;
  }

  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  FastRandom random_;
  model::ArnScope scope_{"us-east-1", "000000000000"};
  TaskLaunchDeps deps_{store_, clock_, random_, scope_, {}, {}, {}};
};

TEST_F(TaskLaunchTest, MemberOfAnAttributeChoosesTheInstance) {
  TaskLaunchRequest in = Request("web", 2);
  in.placement_constraints = json::array{json::object{{"type", "memberOf"}, {"expression", "attribute:stack == blue"}}};
  TaskLaunchPlan plan = Run(in);
  EXPECT_EQ(Instances(plan), (std::vector<std::string>{"ci-b", "ci-b"}));
  EXPECT_TRUE(plan.failures.empty());
  // The task is stored where it was placed, with the node that runs it.
  model::TaskRecord task(plan.tasks[0].get_object());
  EXPECT_EQ(task.node(), "i-000000000000000b1");
  EXPECT_EQ(task.last_status(), "PENDING");  // a bridge task has no ENI to provision
  EXPECT_EQ(task.desired_status(), "RUNNING");
}

TEST_F(TaskLaunchTest, DistinctInstancePlacesOnePerInstanceAndSaysWhyNotMore) {
  TaskLaunchRequest in = Request("web", 3);
  in.placement_constraints = json::array{json::object{{"type", "distinctInstance"}}};
  TaskLaunchPlan plan = Run(in);
  std::vector<std::string> on = Instances(plan);
  EXPECT_EQ(std::set<std::string>(on.begin(), on.end()), (std::set<std::string>{"ci-a", "ci-b"}));
  ASSERT_EQ(plan.failures.size(), 2u);  // the third task: one failure per instance, as ECS lists them
  for (const auto& reason : Reasons(plan)) EXPECT_EQ(reason, "DistinctInstance placement constraint unsatisfied.");
}

TEST_F(TaskLaunchTest, BinpackOnMemoryFillsOneInstanceFirst) {
  TaskLaunchRequest in = Request("web", 2);
  in.placement_strategy = json::array{json::object{{"type", "binpack"}, {"field", "memory"}}};
  TaskLaunchPlan plan = Run(in);
  std::vector<std::string> on = Instances(plan);
  ASSERT_EQ(on.size(), 2u);
  EXPECT_EQ(on[0], on[1]);
}

TEST_F(TaskLaunchTest, SpreadOverZonesUsesBoth) {
  TaskLaunchRequest in = Request("web", 2);
  in.placement_strategy = json::array{json::object{{"type", "spread"}, {"field", "attribute:ecs.availability-zone"}}};
  TaskLaunchPlan plan = Run(in);
  std::vector<std::string> on = Instances(plan);
  EXPECT_EQ(std::set<std::string>(on.begin(), on.end()), (std::set<std::string>{"ci-a", "ci-b"}));
}

TEST_F(TaskLaunchTest, WhatDoesNotFitIsAFailureAndEarlierTasksCount) {
  EXPECT_EQ(Run(Request("web", 3)).tasks.size(), 3u);
  TaskLaunchPlan plan = Run(Request("web", 3));  // room for one more of 512 CPU units
  EXPECT_EQ(plan.tasks.size(), 1u);
  ASSERT_FALSE(plan.failures.empty());
  for (const auto& reason : Reasons(plan)) EXPECT_EQ(reason.rfind("RESOURCE:", 0), 0u) << reason;
}

TEST_F(TaskLaunchTest, AFixedHostPortIsTakenOncePerInstance) {
  TaskLaunchPlan plan = Run(Request("port80", 3));
  EXPECT_EQ(plan.tasks.size(), 2u);
  std::vector<std::string> reasons = Reasons(plan);
  ASSERT_FALSE(reasons.empty());
  for (const auto& reason : reasons) EXPECT_EQ(reason, "RESOURCE:PORTS");
}

TEST_F(TaskLaunchTest, TwoPlansFromOneSnapshotCannotBothCommit) {
  // Both see the same free capacity; the placement epoch lets only the first one land.
  auto first = Plan(Request("web", 4));
  auto second = Plan(Request("web", 4));
  ASSERT_TRUE(first.ok() && second.ok());
  auto a = store_.Commit(first->txn);
  auto b = store_.Commit(second->txn);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->succeeded);
  EXPECT_FALSE(b->succeeded);
  // Planned again, the second finds the instances full.
  auto again = Plan(Request("web", 4));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->tasks.empty());
  EXPECT_EQ(again->failures.size(), 2u);
}

TEST_F(TaskLaunchTest, BadRequestsGetEcsErrors) {
  TaskLaunchRequest in = Request("web", 1);
  in.cluster = "nope";
  EXPECT_TRUE(Plan(in).status().IsNotFound());

  auto missing = Plan(Request("absent", 1));
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(missing.status().IsInternal()) << missing.status().ToString();

  in = Request("web", 1);
  in.placement_constraints = json::array{json::object{{"type", "memberOf"}, {"expression", "attribute:stack =="}}};
  EXPECT_TRUE(Plan(in).status().IsInvalidArgument());

  in = Request("web", 1);
  in.network_configuration = json::object{{"awsvpcConfiguration", json::object{{"subnets", json::array{"subnet-1"}}}}};
  auto r = Plan(in);
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().message(),
            "Network Configuration is not valid for the given networkMode of this task definition.");
}

TEST_F(TaskLaunchTest, AwsvpcSubnetsAreInOneVpcGroupsInItAndPublicIpsNeedAnInternetGatewayRoute) {
  PutTaskDefinition("vpc", json::array{json::object{{"name", "app"}, {"image", "busybox"}, {"memory", 64}}});
  auto td = store_.Get(model::keys::TaskDefinitionKey("vpc", 1));
  json::object record = json::parse((*td)->value).as_object();
  record["taskDefinition"].as_object()["networkMode"] = "awsvpc";
  Put(model::keys::TaskDefinitionKey("vpc", 1), record);
  std::map<std::string, SubnetInfo> subnets{
      {"subnet-public", {"subnet-public", "10.0.1.0/24", "vpc-1", "us-east-1a"}},
      {"subnet-private", {"subnet-private", "10.0.2.0/24", "vpc-1", "us-east-1a"}},
      {"subnet-other", {"subnet-other", "10.9.0.0/24", "vpc-2", "us-east-1a"}}};
  deps_.find_subnet = [&](const std::string& id) -> Result<std::optional<SubnetInfo>> {
    auto it = subnets.find(id);
    return it == subnets.end() ? std::optional<SubnetInfo>() : std::optional<SubnetInfo>(it->second);
  };
  Put(model::keys::SecurityGroupKey("sg-1"), json::object{{"GroupId", "sg-1"}, {"VpcId", "vpc-1"}});
  Put(model::keys::SecurityGroupKey("sg-2"), json::object{{"GroupId", "sg-2"}, {"VpcId", "vpc-2"}});
  json::array internet{json::object{{"DestinationCidrBlock", "0.0.0.0/0"}, {"GatewayId", "igw-1"}, {"State", "active"}}};
  Put(model::keys::RouteTableKey("rtb-main"),
      json::object{{"RouteTableId", "rtb-main"}, {"VpcId", "vpc-1"}, {"Routes", json::array()},
                   {"Associations", json::array{json::object{{"Main", true}}}}});
  Put(model::keys::RouteTableKey("rtb-public"),
      json::object{{"RouteTableId", "rtb-public"}, {"VpcId", "vpc-1"}, {"Routes", internet},
                   {"Associations", json::array{json::object{{"SubnetId", "subnet-public"}}}}});
  deps_.public_ip_pool = "198.51.100.0/24";  // where ENABLED's addresses come from
  auto resolve = [&](json::object vpc) {
    TaskLaunchRequest in = Request("vpc", 1);
    in.network_configuration = json::object{{"awsvpcConfiguration", std::move(vpc)}};
    return ResolveTaskLaunch(deps_, in).status();
  };
  EXPECT_TRUE(resolve({{"subnets", json::array{"subnet-public"}}, {"assignPublicIp", "ENABLED"},
                       {"securityGroups", json::array{"sg-1"}}}).ok());
  Status private_ip = resolve({{"subnets", json::array{"subnet-private"}}, {"assignPublicIp", "ENABLED"}});
  EXPECT_TRUE(private_ip.IsInvalidArgument());
  EXPECT_NE(private_ip.message().find("subnet-private has no route to an internet gateway"), std::string::npos)
      << private_ip.ToString();
  EXPECT_TRUE(resolve({{"subnets", json::array{"subnet-private"}}, {"assignPublicIp", "DISABLED"}}).ok());
  EXPECT_TRUE(resolve({{"subnets", json::array{"subnet-private"}}, {"assignPublicIp", "MAYBE"}}).IsInvalidArgument());
  EXPECT_TRUE(resolve({{"subnets", json::array{"subnet-public", "subnet-other"}}}).IsInvalidArgument());
  Status group = resolve({{"subnets", json::array{"subnet-public"}}, {"securityGroups", json::array{"sg-2"}}});
  EXPECT_TRUE(group.IsInvalidArgument());
  EXPECT_NE(group.message().find("belong to different networks"), std::string::npos) << group.ToString();
}

}  // namespace
}  // namespace wharf::controlplane
