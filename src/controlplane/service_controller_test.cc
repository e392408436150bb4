// The service controller's applier on a real MemoryStore with RunTask's placement: a service
// placed, started, steady, rolled to a new revision step by step, and a placement failure
// told as a service event. Agents are simulated by writing the task states they report.
#include "controlplane/service_controller.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>

#include "model/json.h"
#include "model/keys.h"
#include "model/service.h"
#include "model/task.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

constexpr char kCluster[] = "default";
constexpr char kNode[] = "i-0123456789abcdef0";

class ServiceControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put(model::keys::ClusterKey(kCluster), json::object{{"clusterName", kCluster}, {"status", "ACTIVE"}});
    PutInstance("ci-1", 2048, 4096);
    PutTaskDefinition(1);
    PutTaskDefinition(2);
  }

  void Put(const std::string& key, const json::object& value) {
    auto r = store_.Commit(store::Txn{{}, {store::Op::Put(key, Serialize(value))}});
    ASSERT_TRUE(r.ok() && r->succeeded);
  }

  json::object Get(const std::string& key) {
    auto kv = store_.Get(key);
    EXPECT_TRUE(kv.ok() && kv->has_value()) << key;
    return json::parse((*kv)->value).as_object();
  }

  void PutInstance(const std::string& id, int64_t cpu, int64_t memory) {
    json::object ci{
        {"containerInstanceArn", model::EcsArn(scope_, std::string("container-instance/") + kCluster + "/" + id)},
        {"ec2InstanceId", kNode},
        {"status", "ACTIVE"},
        {"registeredResources", json::array{json::object{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", cpu}},
                                            json::object{{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", memory}}}},
        {"attributes", json::array{json::object{{"name", "ecs.availability-zone"}, {"value", "us-east-1a"}}}}};
    Put(model::keys::ContainerInstanceKey(kCluster, id), json::object{{"containerInstance", ci}, {"node", kNode}});
  }

  std::string TaskDefinitionArn(int revision) {
    return model::EcsArn(scope_, "task-definition/web:" + std::to_string(revision));
  }

  void PutTaskDefinition(int revision) {
    json::object td{{"family", "web"},
                    {"revision", revision},
                    {"taskDefinitionArn", TaskDefinitionArn(revision)},
                    {"status", "ACTIVE"},
                    {"networkMode", "bridge"},
                    {"compatibilities", json::array{"EC2"}},
                    {"cpu", "512"},
                    {"memory", "1024"},
                    {"containerDefinitions", json::array{json::object{{"name", "web"}, {"image", "busybox"}}}}};
    Put(model::keys::TaskDefinitionKey("web", revision), json::object{{"taskDefinition", td}, {"tags", json::array()}});
    Put(model::keys::FamilyKey("web"), json::object{{"lastRevision", revision}, {"latestActive", revision}});
  }

  std::string ServiceKey() { return model::keys::ServiceKey(kCluster, "web"); }

  void CreateService(int desired) {
    json::object service{{"serviceName", "web"},
                         {"serviceArn", model::EcsArn(scope_, std::string("service/") + kCluster + "/web")},
                         {"clusterArn", model::EcsArn(scope_, std::string("cluster/") + kCluster)},
                         {"status", "ACTIVE"},
                         {"desiredCount", desired},
                         {"taskDefinition", TaskDefinitionArn(1)},
                         {"launchType", "EC2"},
                         {"schedulingStrategy", "REPLICA"},
                         {"deploymentConfiguration", json::object{{"maximumPercent", 200}, {"minimumHealthyPercent", 100}}},
                         {"events", json::array()}};
    service["deployments"] = json::array{model::NewDeployment(random_, 1, service)};
    Put(ServiceKey(), service);
  }

  // UpdateService with a new revision: a new PRIMARY, the old one ACTIVE.
  void UpdateService(int revision) {
    json::object service = Get(ServiceKey());
    service["taskDefinition"] = TaskDefinitionArn(revision);
    json::array deployments{model::NewDeployment(random_, 2, service)};
    for (auto& d : service["deployments"].as_array()) {
      d.as_object()["status"] = "ACTIVE";
      deployments.push_back(d);
    }
    service["deployments"] = std::move(deployments);
    Put(ServiceKey(), service);
  }

  void Round() {
    auto summary = ReconcileServices(deps_);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  }

  std::vector<json::object> Tasks() {
    auto page = store_.List(model::keys::TasksPrefix(kCluster), "", 0);
    EXPECT_TRUE(page.ok());
    std::vector<json::object> out;
    for (const auto& kv : page->items) out.push_back(json::parse(kv.value).as_object());
    return out;
  }

  // What the node's agent reports: every task it should run is RUNNING, every task told to
  // stop is STOPPED.
  void AgentReports() {
    for (json::object task : Tasks()) {
      model::TaskRecord t(task);
      std::string want = t.desired_status() == "STOPPED" ? "STOPPED" : "RUNNING";
      if (t.last_status() == want) continue;
      task["lastStatus"] = want;
      if (want == "RUNNING") task["startedAt"] = 10.0;
      Put(model::keys::TaskKey(kCluster, t.id()), task);
    }
  }

  int Count(const std::string& deployment_id, const std::string& last_status, const std::string& desired) {
    int n = 0;
    for (const auto& value : Tasks()) {
      model::TaskRecord t(value);
      if (t.started_by() == deployment_id && t.last_status() == last_status && t.desired_status() == desired) ++n;
    }
    return n;
  }

  std::string Event(size_t newest_first) {
    json::object service = Get(ServiceKey());
    const json::array& events = GetArray(service, "events");
    return newest_first < events.size() ? GetString(events[newest_first].get_object(), "message") : "";
  }

  std::string Deployment(size_t i, const char* field) {
    json::object service = Get(ServiceKey());
    const json::array& deployments = GetArray(service, "deployments");
    return i < deployments.size() ? GetString(deployments[i].get_object(), field) : "";
  }

  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  FastRandom random_;
  model::ArnScope scope_{"us-east-1", "000000000000"};
  TaskLaunchDeps launch_{store_, clock_, random_, scope_, {}, {}, {}};
  ServiceControllerDeps deps_{launch_, {}, {}};
};

TEST_F(ServiceControllerTest, PlacesStartsAndReachesSteadyState) {
  CreateService(2);
  Round();
  std::string primary = Deployment(0, "id");
  EXPECT_EQ(Count(primary, "PENDING", "RUNNING"), 2);
  EXPECT_NE(Event(0).find("(service web) has started 2 tasks:"), std::string::npos) << Event(0);
  for (const auto& t : Tasks()) {
    EXPECT_EQ(GetString(t, "group"), "service:web");
    EXPECT_EQ(GetString(t, "containerInstanceArn"),
              model::EcsArn(scope_, std::string("container-instance/") + kCluster + "/ci-1"));
  }
  AgentReports();
  Round();
  Round();
  EXPECT_EQ(Deployment(0, "rolloutState"), "COMPLETED");
  EXPECT_EQ(Event(0), "(service web) has reached a steady state.");
  EXPECT_EQ(GetInt(Get(ServiceKey()), "runningCount"), 2);
}

TEST_F(ServiceControllerTest, RollsToANewRevisionWithinMaximumPercent) {
  CreateService(2);
  Round();
  AgentReports();
  Round();
  std::string old_id = Deployment(0, "id");
  UpdateService(2);
  std::string new_id = Deployment(0, "id");
  ASSERT_NE(new_id, old_id);

  Round();  // 200 %: two new tasks beside the two old ones
  EXPECT_EQ(Count(new_id, "PENDING", "RUNNING"), 2);
  EXPECT_EQ(Count(old_id, "RUNNING", "RUNNING"), 2);
  for (const auto& t : Tasks()) {
    if (GetString(t, "startedBy") == new_id) {
      EXPECT_EQ(GetString(t, "taskDefinitionArn"), TaskDefinitionArn(2));
    }
  }
  AgentReports();
  for (int i = 0; i < 4; ++i) Round();  // the new ones healthy: the old ones are told to stop
  EXPECT_EQ(Count(old_id, "RUNNING", "STOPPED"), 2);
  for (const auto& t : Tasks()) {
    if (GetString(t, "startedBy") == old_id) {
      EXPECT_EQ(GetString(t, "stopCode"), "ServiceSchedulerInitiated");
    }
  }
  AgentReports();
  for (int i = 0; i < 4; ++i) Round();
  EXPECT_EQ(Deployment(0, "id"), new_id);
  EXPECT_EQ(Deployment(0, "rolloutState"), "COMPLETED");
  EXPECT_EQ(Deployment(1, "id"), "");  // the old deployment is gone
  EXPECT_EQ(Count(new_id, "RUNNING", "RUNNING"), 2);
}

// Placement failures are events in ECS's words, and the next round tries again.
TEST_F(ServiceControllerTest, AServiceThatDoesNotFitSaysWhyInItsEvents) {
  CreateService(5);  // 5 x 512 CPU units on an instance of 2048
  Round();
  EXPECT_EQ(Tasks().size(), 4u);
  Round();
  EXPECT_EQ(Event(0),
            "(service web) was unable to place a task because no container instance met all of its requirements. "
            "Reason: RESOURCE:CPU.");
  EXPECT_EQ(Tasks().size(), 4u);
}

// A task definition deregistered and deleted after the service was made: the launch cannot
// be resolved, and the service says so instead of failing the round.
TEST_F(ServiceControllerTest, AMissingTaskDefinitionIsAnEventNotAnError) {
  CreateService(1);
  auto deleted = store_.Commit(store::Txn{{}, {store::Op::Delete(model::keys::TaskDefinitionKey("web", 1))}});
  ASSERT_TRUE(deleted.ok() && deleted->succeeded);
  Round();
  EXPECT_EQ(Event(0), "(service web) was unable to place a task. Reason: Unable to find task definition '" +
                          TaskDefinitionArn(1) + "'..");
  EXPECT_TRUE(Tasks().empty());
}

// A task role ECS may not assume: the deployment launches nothing and the service's event
// says why, as ECS words it; once the role is trusted, the next round starts the task.
TEST_F(ServiceControllerTest, ARoleEcsCannotAssumeIsAnEventAndLaunchesNothing) {
  json::object record = Get(model::keys::TaskDefinitionKey("web", 1));
  record["taskDefinition"].as_object()["taskRoleArn"] = "arn:aws:iam::000000000000:role/app";
  Put(model::keys::TaskDefinitionKey("web", 1), record);
  bool trusted = false;
  std::vector<std::string> asked;
  launch_.may_assume_role = [&](std::string_view role) {
    asked.emplace_back(role);
    return trusted ? Status::OK() : Status::FailedPrecondition("ECS was unable to assume the role '" + std::string(role) + "'");
  };
  CreateService(1);
  Round();
  EXPECT_TRUE(Tasks().empty());
  EXPECT_EQ(Event(0), "(service web) failed to launch a task with (error ECS was unable to assume the role "
                      "'arn:aws:iam::000000000000:role/app').");
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked[0], "arn:aws:iam::000000000000:role/app");
  Round();
  EXPECT_EQ(Event(1), "");  // said once, not every round
  trusted = true;
  Round();
  EXPECT_EQ(Tasks().size(), 1u);
}

}  // namespace
}  // namespace wharf::controlplane

namespace wharf::controlplane {
namespace {

// serviceRegistries: RUNNING tasks become instances of the Cloud Map service with ECS's
// attributes; a task leaves it in the same round that starts retiring or stopping it, so its
// node never stops a task that is still registered.
TEST_F(ServiceControllerTest, RegistersRunningTasksInCloudMapAndRemovesThemBeforeTheStop) {
  Put(model::keys::CloudMapServiceKey("srv-1"),
      json::object{{"Id", "srv-1"}, {"Name", "api"}, {"NamespaceId", "ns-1"}, {"InstancesRevision", 1}});
  CreateService(2);
  json::object service = Get(ServiceKey());
  service["serviceRegistries"] = json::array{json::object{
      {"registryArn", "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1"}, {"port", 8080}}};
  Put(ServiceKey(), service);
  auto instances = [&] {
    std::map<std::string, json::object> out;
    auto page = store_.List(model::keys::CloudMapInstancesPrefix("srv-1"), "", 0);
    EXPECT_TRUE(page.ok());
    for (const auto& kv : page->items) {
      json::object i = json::parse(kv.value).as_object();
      out[GetString(i, "Id")] = i;
    }
    return out;
  };
  // Never a registered task that its node is told to stop or that the service retires.
  auto check_no_stopping_task_registered = [&] {
    auto registered = instances();
    json::object s = Get(ServiceKey());
    for (const auto& value : Tasks()) {
      model::TaskRecord t(value);
      bool leaving = t.desired_status() == "STOPPED" || model::ServiceControllerState::Of(s).retiring.count(t.id());
      EXPECT_FALSE(leaving && registered.count(t.id())) << t.id();
    }
  };

  Round();
  EXPECT_TRUE(instances().empty());  // PENDING: not yet
  int n = 0;
  for (json::object task : Tasks()) {  // as placement gives an awsvpc task its address
    task["_wharf"].as_object()["eni"] = json::object{{"ip", "10.0.0." + std::to_string(++n)}};
    Put(model::keys::TaskKey(kCluster, model::TaskRecord(task).id()), task);
  }
  AgentReports();
  Round();
  auto registered = instances();
  ASSERT_EQ(registered.size(), 2u);
  for (const auto& value : Tasks()) {
    model::TaskRecord t(value);
    const json::object& a = GetObject(registered.at(t.id()), "Attributes");
    EXPECT_EQ(GetString(a, "AWS_INSTANCE_IPV4"), GetString(GetObject(GetObject(value, "_wharf"), "eni"), "ip"));
    EXPECT_EQ(GetString(a, "AWS_INSTANCE_PORT"), "8080");
    EXPECT_EQ(GetString(a, "ECS_SERVICE_NAME"), "web");
    EXPECT_EQ(GetString(a, "ECS_CLUSTER_NAME"), kCluster);
    EXPECT_EQ(GetString(a, "ECS_TASK_DEFINITION_FAMILY"), "web");
  }
  EXPECT_EQ(GetInt(Get(model::keys::CloudMapServiceKey("srv-1")), "InstancesRevision"), 2);

  service = Get(ServiceKey());
  service["desiredCount"] = 0;
  Put(ServiceKey(), service);
  for (int i = 0; i < 4; ++i) {
    Round();
    check_no_stopping_task_registered();
    AgentReports();
  }
  EXPECT_TRUE(instances().empty());
  EXPECT_EQ(Count(Deployment(0, "id"), "STOPPED", "STOPPED"), 2);
}

}  // namespace
}  // namespace wharf::controlplane
