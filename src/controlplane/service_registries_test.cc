// ECS service registries: which tasks are registered and removed, the attributes ECS gives
// them, StopTask's deregistration in the same commit, and the DNS lookup the VPC resolver
// will call, on a real MemoryStore.
#include "controlplane/service_registries.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

json::object Attributes(std::string_view ip) {
  return json::object{{"AWS_INSTANCE_IPV4", ip}, {"ECS_CLUSTER_NAME", "default"}, {"ECS_SERVICE_NAME", "api"}};
}

TEST(DecideRegistrations, RegistersWantedTasksAndRemovesItsOwnStaleOnes) {
  std::vector<RegistryTask> tasks = {{"t1", true, Attributes("10.0.0.1")},
                                     {"t2", false, Attributes("10.0.0.2")},  // stopping
                                     {"t3", true, {}}};                        // no address yet
  std::map<std::string, json::object> existing = {
      {"t1", json::object{{"Attributes", Attributes("10.0.0.1")}}},  // already so
      {"t2", json::object{{"Attributes", Attributes("10.0.0.2")}}},
      {"gone", json::object{{"Attributes", Attributes("10.0.0.9")}}},  // its task expired
      {"manual", json::object{{"Attributes", json::object{{"AWS_INSTANCE_IPV4", "10.1.1.1"}}}}},  // someone else's
  };
  RegistryChanges c = DecideRegistrations(tasks, existing, "default", "api");
  EXPECT_TRUE(c.put.empty());
  EXPECT_EQ(c.remove, (std::vector<std::string>{"gone", "t2"}));

  existing.erase("t1");
  tasks[0].attributes = Attributes("10.0.0.7");
  c = DecideRegistrations(tasks, existing, "default", "api");
  ASSERT_EQ(c.put.size(), 1u);
  EXPECT_EQ(c.put[0].first, "t1");
  // Another ECS service's instances in the same Cloud Map service are not touched.
  EXPECT_TRUE(DecideRegistrations({}, existing, "default", "other").remove.empty());
}

json::object Task(std::string_view id, std::string_view ip) {
  return Obj(R"({"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/default/)" + std::string(id) +
             R"(","group":"service:api","lastStatus":"RUNNING","desiredStatus":"RUNNING",
                "taskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
                "availabilityZone":"us-east-1a","_wharf":{"networkMode":"awsvpc","eni":{"ip":")" +
             std::string(ip) + R"("}}})");
}

TEST(TaskInstanceAttributes, WhatEcsSets) {
  json::object a = TaskInstanceAttributes(Task("t1", "10.0.0.4"), Obj(R"({"registryArn":"x","containerName":"web",
      "containerPort":8080})"), "default", "api", "us-east-1");
  EXPECT_EQ(a, Obj(R"({"AWS_INSTANCE_IPV4":"10.0.0.4","AWS_INSTANCE_PORT":"8080","AWS_INIT_HEALTH_STATUS":"HEALTHY",
      "AVAILABILITY_ZONE":"us-east-1a","ECS_CLUSTER_NAME":"default","ECS_SERVICE_NAME":"api",
      "ECS_TASK_DEFINITION_FAMILY":"web","REGION":"us-east-1"})"));
  EXPECT_FALSE(TaskInstanceAttributes(Task("t1", "10.0.0.4"), Obj(R"({"registryArn":"x"})"), "default", "api",
                                      "us-east-1").contains("AWS_INSTANCE_PORT"));
  json::object no_address = Task("t1", "");
  EXPECT_TRUE(TaskInstanceAttributes(no_address, Obj("{}"), "default", "api", "us-east-1").empty());
}

class CloudMapStoreTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, const json::object& value) {
    store::Txn txn;
    txn.ops.push_back(store::Op::Put(key, Serialize(value)));
    ASSERT_TRUE(store_.Commit(txn).ok());
  }
  void SetUp() override {
    Put(model::keys::CloudMapNamespaceKey("ns-1"),
        Obj(R"({"Id":"ns-1","Name":"local","Type":"DNS_PRIVATE","Vpc":"vpc-1"})"));
    Put(model::keys::CloudMapServiceKey("srv-1"),
        Obj(R"({"Id":"srv-1","Name":"api","NamespaceId":"ns-1","InstancesRevision":4,
                "DnsConfig":{"RoutingPolicy":"MULTIVALUE","DnsRecords":[{"Type":"A","TTL":10},{"Type":"SRV","TTL":10}]}})"));
    Put(model::keys::ServiceKey("default", "api"),
        Obj(R"({"serviceName":"api","serviceRegistries":[{"registryArn":
               "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1","port":80}]})"));
  }
  store::MemoryStore store_;
};

TEST_F(CloudMapStoreTest, RegistrationOpsAdvanceTheRevisionAndLookupAnswers) {
  auto snapshot = ReadCloudMapService(store_, "srv-1");
  ASSERT_TRUE(snapshot.ok() && *snapshot);
  RegistryChanges changes;
  json::object a = TaskInstanceAttributes(Task("t1", "10.0.0.4"), Obj(R"({"port":80})"), "default", "api", "us-east-1");
  changes.put.emplace_back("t1", a);
  changes.put.emplace_back("t2", TaskInstanceAttributes(Task("t2", "10.0.0.5"), Obj(R"({"port":80})"), "default",
                                                        "api", "us-east-1"));
  store::Txn txn;
  AddRegistrationOps(**snapshot, changes, "000000000000", txn);
  auto committed = store_.Commit(txn);
  ASSERT_TRUE(committed.ok() && committed->succeeded);
  auto after = ReadCloudMapService(store_, "srv-1");
  EXPECT_EQ((*after)->instances.size(), 2u);
  EXPECT_EQ(GetInt((*after)->service.value, "InstancesRevision"), 5);

  auto answers = LookupCloudMapName(store_, "vpc-1", "API.local", "A", 0);
  ASSERT_TRUE(answers.ok());
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_EQ((*answers)[0].value, "10.0.0.4");
  EXPECT_EQ((*answers)[0].ttl, 10);
  auto srv = LookupCloudMapName(store_, "vpc-1", "api.local", "SRV", 0);
  ASSERT_TRUE(srv.ok() && srv->size() == 2);
  EXPECT_EQ((*srv)[0].value, "1 1 80 t1.api.local");
  auto target = LookupCloudMapName(store_, "vpc-1", "t1.api.local", "A", 0);
  ASSERT_TRUE(target.ok() && target->size() == 1);
  EXPECT_EQ((*target)[0].value, "10.0.0.4");
  // Another VPC does not see the namespace.
  EXPECT_TRUE(LookupCloudMapName(store_, "vpc-2", "api.local", "A", 0)->empty());

  // StopTask: the task's instance goes in the draft that stops it.
  auto stopped = store::Update(store_, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    RETURN_IF_ERROR(DeregisterTaskInstances(draft, "default", Task("t1", "10.0.0.4")));
    return store::Decision<bool>(store::Commit(true));
  });
  ASSERT_TRUE(stopped.ok() && *stopped);
  auto last = ReadCloudMapService(store_, "srv-1");
  EXPECT_EQ((*last)->instances.size(), 1u);
  EXPECT_EQ((*last)->instances.count("t2"), 1u);
  EXPECT_EQ(GetInt((*last)->service.value, "InstancesRevision"), 6);
}

}  // namespace
}  // namespace wharf::controlplane
