#include "model/task_assignment.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <functional>

#include "model/json.h"

namespace wharf::model {
namespace {

namespace json = boost::json;

constexpr const char* kArn = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef";

json::object Parse(const char* text) { return json::parse(text).as_object(); }

// A stored FARGATE awsvpc record as placement writes it (controlplane/task_placement.cc).
json::object AwsvpcRecord() {
  json::object record = Parse(R"({
    "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    "desiredStatus": "RUNNING", "lastStatus": "PROVISIONING", "launchType": "FARGATE",
    "overrides": {"containerOverrides": [{"name": "web", "command": ["sleep", "1"]}]},
    "attachments": [{"id": "att", "type": "ElasticNetworkInterface", "status": "PRECREATED",
                     "details": [{"name": "privateIPv4Address", "value": "10.0.1.7"}]}],
    "containers": [{"name": "web", "lastStatus": "PENDING"}],
    "_wharf": {"node": "i-0123456789abcdef0", "containerInstanceId": "",
               "taskDefinition": {"family": "web", "networkMode": "awsvpc",
                                  "containerDefinitions": [{"name": "web", "image": "busybox"}]},
               "networkMode": "awsvpc",
               "eni": {"subnetId": "subnet-1", "cidr": "10.0.1.0/24", "ip": "10.0.1.7", "mac": "02:77:0a:00:01:07",
                       "gateway": "10.0.1.1", "eniId": "eni-1", "attachmentId": "att"},
               "hostPorts": [], "securityGroups": ["sg-1"]}})");
  record["taskArn"] = kArn;
  return record;
}

TaskAssignment Bridge() {
  TaskAssignment a;
  a.task_arn = kArn;
  a.desired_status = "RUNNING";
  a.network_mode = "bridge";
  a.node = "i-0123456789abcdef0";
  a.container_instance_id = "ci-1";
  a.task = json::object{{"taskArn", kArn}, {"launchType", "EC2"}};
  a.task_definition = Parse(R"({"containerDefinitions": [{"name": "web", "image": "busybox",
                                 "portMappings": [{"containerPort": 80}]}]})");
  return a;
}

TEST(TaskAssignmentTest, RoundTripsThroughJson) {
  TaskAssignment awsvpc = AssignmentOf(TaskRecord(AwsvpcRecord()));
  TaskAssignment bridge = Bridge();
  for (const TaskAssignment& a : {awsvpc, bridge}) {
    auto back = TaskAssignment::FromJson(a.ToJson());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, a) << Serialize(a.ToJson());
  }
  VpcDnsTable names;
  names.vpc_id = "vpc-1";
  names.zones = {"local"};
  names.Add("api.local", {"A", 10, {"10.0.0.4", "10.0.0.5"}, 8});
  TaskAssignments answer{42, {awsvpc, bridge}, {}, {names}};
  auto back = TaskAssignments::FromJson(answer.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->revision, 42);
  EXPECT_EQ(*back, answer);
}

TEST(TaskAssignmentTest, IsMadeFromTheRecordWithoutItsServerPart) {
  TaskAssignment a = AssignmentOf(TaskRecord(AwsvpcRecord()));
  EXPECT_EQ(a.task_arn, kArn);
  EXPECT_EQ(a.task_id(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(a.desired_status, "RUNNING");
  EXPECT_EQ(a.network_mode, "awsvpc");
  EXPECT_EQ(a.node, "i-0123456789abcdef0");
  EXPECT_EQ(a.container_instance_id, "");
  ASSERT_TRUE(a.eni.has_value());
  // The ENI's groups go with it: the node enforces them (docs/SECURITY_GROUPS.md).
  EXPECT_EQ(*a.eni, (TaskAssignment::Eni{"subnet-1", "", "10.0.1.0/24", "10.0.1.7", "10.0.1.1", {"sg-1"}}));
  EXPECT_FALSE(a.task.contains("_wharf"));
  EXPECT_EQ(GetString(a.task, "launchType"), "FARGATE");
  EXPECT_EQ(GetString(a.task_definition, "family"), "web");
  // What the agent sees on the wire has nothing else of the server's part either.
  std::string wire = Serialize(a.ToJson());
  EXPECT_EQ(wire.find("_wharf"), std::string::npos);
  EXPECT_EQ(GetArray(GetObject(a.ToJson(), "eni"), "securityGroups").size(), 1u);
  EXPECT_EQ(wire.find("hostPorts"), std::string::npos);

  json::object bridge = AwsvpcRecord();
  json::object& wharf = bridge["_wharf"].as_object();
  wharf["networkMode"] = "bridge";
  wharf["eni"] = json::object();
  wharf["containerInstanceId"] = "ci-9";
  TaskAssignment b = AssignmentOf(TaskRecord(bridge));
  EXPECT_EQ(b.network_mode, "bridge");
  EXPECT_FALSE(b.eni.has_value());
  EXPECT_EQ(b.container_instance_id, "ci-9");
}

// The ENI's VPC (the node's routing domain for it) goes on the wire; a message without one,
// from a task placed before VPCs were isolated, is still read.
TEST(TaskAssignmentTest, TheEnisVpcRoundTrips) {
  json::object record = AwsvpcRecord();
  record["_wharf"].as_object()["eni"].as_object()["vpcId"] = "vpc-9";
  TaskAssignment a = AssignmentOf(TaskRecord(record));
  ASSERT_TRUE(a.eni.has_value());
  EXPECT_EQ(a.eni->vpc_id, "vpc-9");
  EXPECT_EQ(GetString(GetObject(a.ToJson(), "eni"), "vpcId"), "vpc-9");
  auto back = TaskAssignment::FromJson(a.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->eni->vpc_id, "vpc-9");
  json::object old = AssignmentOf(TaskRecord(AwsvpcRecord())).ToJson();
  EXPECT_FALSE(GetObject(old, "eni").contains("vpcId"));
  auto read = TaskAssignment::FromJson(old);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->eni->vpc_id, "");
}

// The VPC's interface endpoints the server decided for the ENI go on the wire.
TEST(TaskAssignmentTest, TheEnisEndpointsRoundTrip) {
  TaskAssignment a = AssignmentOf(TaskRecord(AwsvpcRecord()));
  ASSERT_TRUE(a.eni.has_value());
  a.eni->endpoints = {{"ecr.dkr", "10.0.1.9", true, {"10.0.1.9", "10.0.2.9"}, "vpce-0a", true},
                      {"ssm", "10.0.1.11", false, {}, "vpce-0b", true},
                      {"secretsmanager", "10.0.1.12", true, {}, "vpce-0c", false}};
  auto back = TaskAssignment::FromJson(a.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->eni->endpoints, a.eni->endpoints);
  EXPECT_EQ(back->eni->EndpointAddress("ssm"), "10.0.1.11");
  EXPECT_EQ(back->eni->EndpointAddress("secretsmanager"), "") << "its private name answers no endpoint";
  json::object bad = a.ToJson();
  bad["eni"].as_object()["endpoints"].as_array()[0].as_object().erase("address");
  EXPECT_FALSE(TaskAssignment::FromJson(bad).ok());
}

TEST(TaskAssignmentTest, MalformedMessagesAreRejected) {
  const json::object good = AssignmentOf(TaskRecord(AwsvpcRecord())).ToJson();
  ASSERT_TRUE(TaskAssignment::FromJson(good).ok());
  const std::vector<std::pair<const char*, std::function<void(json::object&)>>> breakages = {
      {"no taskArn", [](json::object& m) { m.erase("taskArn"); }},
      {"taskArn not a string", [](json::object& m) { m["taskArn"] = 7; }},
      {"unknown desiredStatus", [](json::object& m) { m["desiredStatus"] = "DANCING"; }},
      {"no networkMode", [](json::object& m) { m.erase("networkMode"); }},
      {"unknown networkMode", [](json::object& m) { m["networkMode"] = "nat"; }},
      {"no node", [](json::object& m) { m.erase("node"); }},
      {"awsvpc without eni", [](json::object& m) { m.erase("eni"); }},
      {"eni not an object", [](json::object& m) { m["eni"] = "10.0.1.7"; }},
      {"eni without ip", [](json::object& m) { m["eni"].as_object().erase("ip"); }},
      {"eni without subnetId", [](json::object& m) { m["eni"].as_object().erase("subnetId"); }},
      {"eni for bridge", [](json::object& m) { m["networkMode"] = "bridge"; }},
      {"no task", [](json::object& m) { m.erase("task"); }},
      {"task not an object", [](json::object& m) { m["task"] = json::array(); }},
      {"task of another ARN", [](json::object& m) { m["task"].as_object()["taskArn"] = "arn:other"; }},
      {"no taskDefinition", [](json::object& m) { m.erase("taskDefinition"); }},
      {"no containers", [](json::object& m) { m["taskDefinition"].as_object()["containerDefinitions"] = json::array(); }},
      {"container not an object",
       [](json::object& m) { m["taskDefinition"].as_object()["containerDefinitions"] = json::array{1}; }},
      {"container without a name",
       [](json::object& m) {
         m["taskDefinition"].as_object()["containerDefinitions"] = json::array{json::object{{"image", "busybox"}}};
       }},
  };
  for (const auto& [what, breakage] : breakages) {
    json::object message = good;
    breakage(message);
    auto parsed = TaskAssignment::FromJson(message);
    ASSERT_FALSE(parsed.ok()) << what;
    EXPECT_TRUE(parsed.status().IsInvalidArgument()) << what << ": " << parsed.status().ToString();
  }
}

TEST(TaskAssignmentTest, AnAnswerWithAnyMalformedPartIsRejected) {
  const json::object good = TaskAssignments{7, {Bridge()}, {}, {}}.ToJson();
  ASSERT_TRUE(TaskAssignments::FromJson(good).ok());
  const std::vector<std::pair<const char*, std::function<void(json::object&)>>> breakages = {
      {"no revision", [](json::object& m) { m.erase("revision"); }},
      {"negative revision", [](json::object& m) { m["revision"] = -1; }},
      {"revision not a number", [](json::object& m) { m["revision"] = "7"; }},
      {"no assignments", [](json::object& m) { m.erase("assignments"); }},
      {"the v1 shape", [](json::object& m) { m["tasks"] = m["assignments"]; m.erase("assignments"); }},
      {"assignments not an array", [](json::object& m) { m["assignments"] = json::object(); }},
      {"an assignment not an object", [](json::object& m) { m["assignments"].as_array().push_back(3); }},
      {"a malformed assignment",
       [](json::object& m) { m["assignments"].as_array()[0].as_object().erase("taskDefinition"); }},
  };
  for (const auto& [what, breakage] : breakages) {
    json::object answer = good;
    breakage(answer);
    auto parsed = TaskAssignments::FromJson(answer);
    ASSERT_FALSE(parsed.ok()) << what;
    EXPECT_TRUE(parsed.status().IsInvalidArgument()) << what;
  }
}

}  // namespace
}  // namespace wharf::model
