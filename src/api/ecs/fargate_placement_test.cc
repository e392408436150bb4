// RunTask's placement of FARGATE and EC2 tasks on one node, through the ECS operations on a
// memory store, with seed 001's numbers: 1 vCPU / 3 GB tasks on a 2-core node.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <chrono>
#include <map>

#include "api/ecs/ecs.h"
#include "store/store.h"

namespace wharf::api::ecs {
namespace {
namespace json = boost::json;

constexpr char kCapacityUnavailable[] =
    "Capacity is unavailable at this time. Please try again later or in a different availability zone";

class FargatePlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenStore("memory", "");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    deps_ = std::make_unique<EcsDeps>(EcsDeps{*store_, clock_, random_, "us-east-1", "000000000000", {}, {}, {}, {},
                                              overcommit_});
    deps_->find_subnet = [](const std::string& id) -> Result<std::optional<SubnetInfo>> {
      return std::optional<SubnetInfo>(SubnetInfo{id, "10.213.0.0/20", "vpc-1", "us-east-1a"});
    };
    auto endpoint = MakeEcsEndpoint(*deps_);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
    endpoint_ = std::move(*endpoint);

    Call("CreateCluster", {{"clusterName", "default"}});
    // Seed 001's task definition: 1 vCPU, 3 GB, one container with a 2 GB soft limit.
    json::object fargate = Call(
        "RegisterTaskDefinition",
        {{"family", "alba-digi-task"}, {"requiresCompatibilities", json::array{"FARGATE"}},
         {"networkMode", "awsvpc"}, {"cpu", "1024"}, {"memory", "3072"},
         {"containerDefinitions",
          json::array{json::object{{"name", "alba-digi-api-rest"}, {"image", "busybox"}, {"cpu", 1024},
                                   {"memoryReservation", 2048},
                                   {"portMappings", json::array{json::object{{"containerPort", 5050},
                                                                             {"hostPort", 5050}}}}}}}});
    // The same size for the EC2 launch type.
    json::object ec2 = Call("RegisterTaskDefinition",
                            {{"family", "ec2-task"}, {"networkMode", "bridge"},
                             {"containerDefinitions", json::array{json::object{
                                 {"name", "main"}, {"image", "busybox"}, {"cpu", 1024}, {"memory", 3072}}}}});
    // The node has the capabilities its tasks require, as an agent's registration gives them.
    json::array attributes;
    for (json::object* td : {&fargate, &ec2}) {
      for (const auto& a : (*td)["taskDefinition"].at("requiresAttributes").as_array()) {
        attributes.push_back(json::object{{"name", a.at("name")}});
      }
    }
    json::object node = Call(
        "RegisterContainerInstance",
        {{"cluster", "default"},
         {"instanceIdentityDocument", R"({"instanceId":"node-1","availabilityZone":"us-east-1a"})"},
         {"totalResources", json::array{json::object{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 2048}},
                                        json::object{{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 8192}}}},
         {"attributes", std::move(attributes)}});
    instance_arn_ = json::value_to<std::string>(node["containerInstance"].at("containerInstanceArn"));
  }

  json::object Call(const std::string& operation, json::object input) {
    RequestContext ctx{"req-1", "us-east-1", "000000000000", "AKIA", "arn:aws:iam::000000000000:root", clock_.Now(), "000000000000", "", {}, {}};
    Outcome out = endpoint_.operations.at(operation)(ctx, input);
    EXPECT_TRUE(out.ok()) << operation << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }

  json::object RunFargate(int count) {
    return Call("RunTask", {{"cluster", "default"}, {"taskDefinition", "alba-digi-task"}, {"launchType", "FARGATE"},
                            {"count", count},
                            {"networkConfiguration",
                             json::object{{"awsvpcConfiguration", json::object{{"subnets", json::array{"subnet-1"}}}}}}});
  }

  json::object RunEc2(int count) {
    return Call("RunTask", {{"cluster", "default"}, {"taskDefinition", "ec2-task"}, {"launchType", "EC2"},
                            {"count", count}});
  }

  // The container instance's remainingResources by name, and its task counts.
  std::map<std::string, int64_t> Remaining() {
    json::object out = Call("DescribeContainerInstances",
                            {{"cluster", "default"}, {"containerInstances", json::array{json::value(instance_arn_)}}});
    const json::object& ci = out["containerInstances"].as_array().at(0).as_object();
    std::map<std::string, int64_t> r;
    for (const auto& res : ci.at("remainingResources").as_array()) {
      const json::object& o = res.as_object();
      if (o.contains("integerValue")) r[json::value_to<std::string>(o.at("name"))] = o.at("integerValue").to_number<int64_t>();
    }
    r["tasks"] = ci.at("runningTasksCount").to_number<int64_t>() + ci.at("pendingTasksCount").to_number<int64_t>();
    return r;
  }

  double overcommit_ = scheduler::kDefaultFargateOvercommit;  // the endpoint copies its deps
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  FastRandom random_;
  std::unique_ptr<EcsDeps> deps_;
  ServiceEndpoint endpoint_;
  std::string instance_arn_;
};

TEST_F(FargatePlacementTest, SeedOnesUpdatePeakPlacesAndLeavesEc2AccountingAlone) {
  // The 200 % peak of a 2-task service: 4 x 1,024 units on a 2-core node.
  json::object out = RunFargate(4);
  EXPECT_EQ(out["tasks"].as_array().size(), 4u) << json::serialize(out);
  EXPECT_TRUE(out["failures"].as_array().empty()) << json::serialize(out);
  for (const auto& t : out["tasks"].as_array()) {
    EXPECT_EQ(t.at("launchType"), "FARGATE");
    EXPECT_FALSE(t.as_object().contains("containerInstanceArn"));
  }
  // FARGATE tasks run on no container instance: its accounting does not move.
  EXPECT_EQ(Remaining(), (std::map<std::string, int64_t>{{"CPU", 2048}, {"MEMORY", 8192}, {"tasks", 0}}));
}

TEST_F(FargatePlacementTest, Ec2TasksStayStrictBesideFargateTasks) {
  ASSERT_EQ(RunFargate(4)["tasks"].as_array().size(), 4u);
  // EC2 tasks still get the instance's registered 2 cores, and no more.
  json::object out = RunEc2(3);
  EXPECT_EQ(out["tasks"].as_array().size(), 2u) << json::serialize(out);
  ASSERT_EQ(out["failures"].as_array().size(), 1u) << json::serialize(out);
  EXPECT_EQ(out["failures"].as_array()[0].at("arn").as_string(), instance_arn_);
  EXPECT_EQ(out["failures"].as_array()[0].at("reason"), "RESOURCE:CPU");
  EXPECT_EQ(Remaining(), (std::map<std::string, int64_t>{{"CPU", 0}, {"MEMORY", 2048}, {"tasks", 2}}));
}

TEST_F(FargatePlacementTest, CapacityIsUnavailablePastTheOvercommittedPool) {
  // The pool is 4 x 2,048 = 8,192 units less everything the node runs: 4 FARGATE and 2 EC2
  // tasks leave 2,048, two more tasks.
  ASSERT_EQ(RunFargate(4)["tasks"].as_array().size(), 4u);
  ASSERT_EQ(RunEc2(2)["tasks"].as_array().size(), 2u);
  json::object out = RunFargate(3);
  EXPECT_EQ(out["tasks"].as_array().size(), 2u) << json::serialize(out);
  ASSERT_EQ(out["failures"].as_array().size(), 1u) << json::serialize(out);
  const json::object& failure = out["failures"].as_array()[0].as_object();
  EXPECT_EQ(failure.at("reason"), kCapacityUnavailable);
  EXPECT_FALSE(failure.contains("arn"));  // no container instance to name
  json::object none = RunFargate(1);
  EXPECT_TRUE(none["tasks"].as_array().empty());
  EXPECT_EQ(none["failures"].as_array().at(0).at("reason"), kCapacityUnavailable);
}

class StrictFargatePlacementTest : public FargatePlacementTest {
 protected:
  StrictFargatePlacementTest() { overcommit_ = 1.0; }
};

TEST_F(StrictFargatePlacementTest, OvercommitOfOneIsEc2Accounting) {
  json::object out = RunFargate(4);
  EXPECT_EQ(out["tasks"].as_array().size(), 2u) << json::serialize(out);
  EXPECT_EQ(out["failures"].as_array().at(0).at("reason"), kCapacityUnavailable);
}

}  // namespace
}  // namespace wharf::api::ecs
