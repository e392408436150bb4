#include "agent/task_metadata.h"

#include <boost/json/parse.hpp>
#include <regex>

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {
namespace json = boost::json;
using namespace std::chrono;

// A task as DescribeTasks shows it (awsvpc, EC2, part of a service).
const char* kTask = R"({
  "taskArn": "arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c",
  "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
  "taskDefinitionArn": "arn:aws:ecs:us-west-2:111122223333:task-definition/curltest:26",
  "group": "service:MyService",
  "desiredStatus": "RUNNING", "lastStatus": "RUNNING", "launchType": "EC2",
  "availabilityZone": "us-west-2d", "cpu": "512", "memory": "1024",
  "pullStartedAt": 1601599386.202, "pullStoppedAt": 1601599386.312,
  "attachments": [{"id": "a1", "type": "ElasticNetworkInterface", "status": "ATTACHED", "details": [
    {"name": "subnetId", "value": "subnet-0123"},
    {"name": "networkInterfaceId", "value": "eni-0123"},
    {"name": "macAddress", "value": "0e:10:e2:01:bd:91"},
    {"name": "privateDnsName", "value": "ip-10-0-2-61.us-west-2.compute.internal"},
    {"name": "privateIPv4Address", "value": "10.0.2.61"}]}],
  "containers": [
    {"containerArn": "arn:aws:ecs:us-west-2:111122223333:container/abb51bdd-11b4-467f-8f6c-adcfe1fe059d",
     "name": "curl", "image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
     "imageDigest": "sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553",
     "runtimeId": "ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca",
     "lastStatus": "RUNNING", "healthStatus": "HEALTHY"},
    {"containerArn": "arn:aws:ecs:us-west-2:111122223333:container/second",
     "name": "sidecar", "image": "busybox", "runtimeId": "ff01", "lastStatus": "STOPPED", "exitCode": 2}
  ]})";

const char* kDefinition = R"({
  "family": "curltest", "revision": 26, "networkMode": "awsvpc",
  "containerDefinitions": [
    {"name": "curl", "image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
     "cpu": 10, "memory": 128, "dockerLabels": {"team": "web"},
     "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
     "healthCheck": {"command": ["CMD-SHELL", "true"]},
     "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/metadata",
                          "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecs"}}},
    {"name": "sidecar", "image": "busybox", "essential": false}
  ]})";

json::object Parse(const char* text) { return json::parse(text).as_object(); }

system_clock::time_point At(int64_t secs, int64_t nanos) {
  return system_clock::time_point(duration_cast<system_clock::duration>(seconds(secs) + nanoseconds(nanos)));
}

TaskRuntime Runtime() {
  TaskRuntime rt;
  rt.subnet_cidr = "10.0.2.0/24";
  ContainerFacts curl;
  curl.name = "curl";
  curl.created_at = At(1601599386, 326590752);
  curl.started_at = At(1601599386, 767535449);
  HealthReport h;
  h.status = "HEALTHY";
  h.since = At(1601599400, 0);
  h.exit_code = 0;
  h.output = "ok\n";
  curl.health = h;
  rt.containers.push_back(curl);
  return rt;
}

bool IsMetadataTime(const std::string& s) {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)");
  return std::regex_match(s, re);
}

TEST(MetadataTime, GoRfc3339Nano) {
  EXPECT_EQ(MetadataTime(At(1601599386, 326590752)), "2020-10-02T00:43:06.326590752Z");
  EXPECT_EQ(MetadataTime(At(1601599386, 312884650)), "2020-10-02T00:43:06.31288465Z");
  EXPECT_EQ(MetadataTime(At(1601599386, 0)), "2020-10-02T00:43:06Z");
}

TEST(ContainerMetadata, DocumentedFieldsAndTypes) {
  auto doc = ContainerMetadata(Parse(kTask), Parse(kDefinition), Runtime(), "curl");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const json::object& c = *doc;
  EXPECT_EQ(c.at("DockerId"), "ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca");
  EXPECT_EQ(c.at("Name"), "curl");
  std::string docker_name(c.at("DockerName").as_string());
  EXPECT_TRUE(std::regex_match(docker_name, std::regex("ecs-curltest-26-curl-[0-9a-f]{20}"))) << docker_name;
  EXPECT_EQ(c.at("Image"), "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest");
  EXPECT_EQ(c.at("ImageID"), "sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553");
  const json::object& labels = c.at("Labels").as_object();
  EXPECT_EQ(labels.at("com.amazonaws.ecs.cluster"), "default");
  EXPECT_EQ(labels.at("com.amazonaws.ecs.container-name"), "curl");
  EXPECT_EQ(labels.at("com.amazonaws.ecs.task-arn"),
            "arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c");
  EXPECT_EQ(labels.at("com.amazonaws.ecs.task-definition-family"), "curltest");
  EXPECT_EQ(labels.at("com.amazonaws.ecs.task-definition-version"), "26");
  EXPECT_EQ(labels.at("team"), "web");
  EXPECT_EQ(c.at("DesiredStatus"), "RUNNING");
  EXPECT_EQ(c.at("KnownStatus"), "RUNNING");
  EXPECT_EQ(c.at("Limits").as_object().at("CPU").as_int64(), 10);
  EXPECT_EQ(c.at("Limits").as_object().at("Memory").as_int64(), 128);
  EXPECT_EQ(c.at("CreatedAt"), "2020-10-02T00:43:06.326590752Z");
  EXPECT_EQ(c.at("StartedAt"), "2020-10-02T00:43:06.767535449Z");
  EXPECT_FALSE(c.contains("FinishedAt"));
  EXPECT_FALSE(c.contains("ExitCode"));
  EXPECT_EQ(c.at("Type"), "NORMAL");
  EXPECT_EQ(c.at("LogDriver"), "awslogs");
  EXPECT_EQ(c.at("LogOptions").as_object().at("awslogs-group"), "/ecs/metadata");
  EXPECT_EQ(c.at("ContainerARN"),
            "arn:aws:ecs:us-west-2:111122223333:container/abb51bdd-11b4-467f-8f6c-adcfe1fe059d");
  const json::array& ports = c.at("Ports").as_array();
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].as_object().at("ContainerPort").as_int64(), 80);
  EXPECT_EQ(ports[0].as_object().at("Protocol"), "tcp");

  const json::array& networks = c.at("Networks").as_array();
  ASSERT_EQ(networks.size(), 1u);
  const json::object& n = networks[0].as_object();
  EXPECT_EQ(n.at("NetworkMode"), "awsvpc");
  EXPECT_EQ(n.at("IPv4Addresses"), (json::array{"10.0.2.61"}));
  EXPECT_EQ(n.at("AttachmentIndex").as_int64(), 0);
  EXPECT_EQ(n.at("MACAddress"), "0e:10:e2:01:bd:91");
  EXPECT_EQ(n.at("IPv4SubnetCIDRBlock"), "10.0.2.0/24");
  EXPECT_EQ(n.at("PrivateDNSName"), "ip-10-0-2-61.us-west-2.compute.internal");
  EXPECT_EQ(n.at("SubnetGatewayIpv4Address"), "10.0.2.1/24");

  const json::object& health = c.at("Health").as_object();
  EXPECT_EQ(health.at("status"), "HEALTHY");
  EXPECT_EQ(health.at("statusSince"), "2020-10-02T00:43:20Z");
  EXPECT_FALSE(health.contains("exitCode"));  // 0 is left out, as the agent's omitempty
  EXPECT_EQ(health.at("output"), "ok\n");
}

TEST(ContainerMetadata, StoppedContainerWithoutHealthCheck) {
  auto doc = ContainerMetadata(Parse(kTask), Parse(kDefinition), Runtime(), "sidecar");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->at("DockerId"), "ff01");  // from the record
  EXPECT_EQ(doc->at("KnownStatus"), "STOPPED");
  EXPECT_EQ(doc->at("ExitCode").as_int64(), 2);
  EXPECT_FALSE(doc->contains("Health"));
  EXPECT_FALSE(doc->contains("LogDriver"));
  EXPECT_EQ(doc->at("Limits").as_object().at("CPU").as_int64(), 0);
}

TEST(ContainerMetadata, UnknownContainer) {
  EXPECT_TRUE(ContainerMetadata(Parse(kTask), Parse(kDefinition), Runtime(), "nope").status().IsNotFound());
}

TEST(ContainerMetadata, BridgeModeShowsContainerAddress) {
  json::object def = Parse(kDefinition);
  def["networkMode"] = "bridge";
  json::object task = Parse(kTask);
  task.erase("attachments");
  task["containers"].as_array()[0].as_object()["networkBindings"] =
      json::array{json::object{{"bindIP", "0.0.0.0"}, {"containerPort", 80}, {"hostPort", 32768}, {"protocol", "tcp"}}};
  TaskRuntime rt = Runtime();
  rt.containers[0].ipv4_addresses = {"172.17.0.2"};
  auto doc = ContainerMetadata(task, def, rt, "curl");
  ASSERT_TRUE(doc.ok());
  const json::object& n = doc->at("Networks").as_array()[0].as_object();
  EXPECT_EQ(n.at("NetworkMode"), "bridge");
  EXPECT_EQ(n.at("IPv4Addresses"), (json::array{"172.17.0.2"}));
  EXPECT_FALSE(n.contains("MACAddress"));
  const json::object& p = doc->at("Ports").as_array()[0].as_object();
  EXPECT_EQ(p.at("HostPort").as_int64(), 32768);
  EXPECT_EQ(p.at("HostIp"), "0.0.0.0");
}

TEST(TaskMetadata, DocumentedFieldsAndTypes) {
  json::object t = TaskMetadata(Parse(kTask), Parse(kDefinition), Runtime());
  EXPECT_EQ(t.at("Cluster"), "default");
  EXPECT_EQ(t.at("ServiceName"), "MyService");
  EXPECT_EQ(t.at("TaskARN"), "arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c");
  EXPECT_EQ(t.at("Family"), "curltest");
  EXPECT_EQ(t.at("Revision"), "26");  // a string in the documented examples
  EXPECT_EQ(t.at("DesiredStatus"), "RUNNING");
  EXPECT_EQ(t.at("KnownStatus"), "RUNNING");
  EXPECT_DOUBLE_EQ(t.at("Limits").as_object().at("CPU").as_double(), 0.5);
  EXPECT_EQ(t.at("Limits").as_object().at("Memory").as_int64(), 1024);
  EXPECT_EQ(t.at("PullStartedAt"), "2020-10-02T00:43:06.202Z");
  EXPECT_EQ(t.at("PullStoppedAt"), "2020-10-02T00:43:06.312Z");
  EXPECT_TRUE(IsMetadataTime(std::string(t.at("PullStartedAt").as_string())));
  EXPECT_EQ(t.at("AvailabilityZone"), "us-west-2d");
  EXPECT_EQ(t.at("LaunchType"), "EC2");
  const json::array& containers = t.at("Containers").as_array();
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0].as_object().at("Name"), "curl");
  EXPECT_EQ(containers[1].as_object().at("Name"), "sidecar");
  EXPECT_FALSE(t.contains("ClockDrift"));
}

TEST(TaskMetadata, FargateShowsClusterArnAndClockDrift) {
  json::object task = Parse(kTask);
  task["launchType"] = "FARGATE";
  TaskRuntime rt = Runtime();
  rt.clock_drift = ClockDrift{0.446931, At(1601599386, 500000000), true};
  json::object t = TaskMetadata(task, Parse(kDefinition), rt);
  EXPECT_EQ(t.at("Cluster"), "arn:aws:ecs:us-west-2:111122223333:cluster/default");
  const json::object& drift = t.at("ClockDrift").as_object();
  EXPECT_DOUBLE_EQ(drift.at("ClockErrorBound").as_double(), 0.446931);
  EXPECT_EQ(drift.at("ReferenceTimestamp"), "2020-10-02T00:43:06Z");
  EXPECT_EQ(drift.at("ClockSynchronizationStatus"), "SYNCHRONIZED");
  EXPECT_EQ(t.at("Containers").as_array()[0].as_object().at("DockerName"), "curl");
}

TEST(ReadClockDrift, ReadsTheKernelClock) {
  ManualClock clock(At(1601599386, 0));
  ClockDrift d = ReadClockDrift(clock);
  EXPECT_EQ(d.reference, clock.Now());
  EXPECT_GE(d.error_bound_ms, 0);
}

}  // namespace
}  // namespace wharf::agent
