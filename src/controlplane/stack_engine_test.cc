#include "controlplane/stack_engine.h"

#include <gtest/gtest.h>

#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

// Makes whatever it is asked to, except the types in `fail`; remembers what exists.
class FakeProvisioner final : public ResourceProvisioner {
 public:
  Result<ProvisionedResource> Create(const model::Stack& stack, std::string_view logical_id, std::string_view type,
                                     const json::object& properties, std::string& made_id) override {
    created.push_back(std::string(logical_id));
    if (type == fail) return Status::InvalidArgument("it broke");
    std::string id = std::string(logical_id) + "-" + std::to_string(++counter);
    made_id = id;
    live.insert(id);
    seen[std::string(logical_id)] = properties;
    ProvisionedResource r;
    r.physical_id = id;
    r.attributes["Arn"] = "arn:" + id;
    return r;
  }
  Result<ProvisionedResource> Update(const model::Stack& stack, const model::StackResource& resource,
                                     const json::object& properties) override {
    if (resource.type == "Replace::Me") return ReplacementNeeded("always");
    seen[resource.logical_id] = properties;
    ProvisionedResource r;
    r.physical_id = resource.physical_id;
    r.attributes = resource.attributes;
    return r;
  }
  Status Delete(const model::Stack& stack, const model::StackResource& resource) override {
    deleted.push_back(resource.logical_id);
    live.erase(resource.physical_id);
    return Status::OK();
  }

  std::string fail;
  int counter = 0;
  std::vector<std::string> created, deleted;
  std::set<std::string> live;
  std::map<std::string, json::object> seen;
};

class StackEngineTest : public ::testing::Test {
 protected:
  StackEngineTest()
      : clock_(std::chrono::system_clock::from_time_t(1700000000)),
        engine_(StackEngineDeps{store_, clock_, provisioner_, "us-east-1", "123456789012", {"us-east-1a"}}) {}

  void Put(const std::string& status, const std::string& body, std::map<std::string, std::string> parameters = {}) {
    model::Stack s;
    if (auto kv = store_.Get(model::keys::StackKey("web")); kv.ok() && *kv) {
      s = *model::Stack::FromJson(*ParseObject((*kv)->value));
      s.previous_template_body = s.template_body;
      s.previous_parameters = s.parameters;
    } else {
      s.name = "web";
      s.stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/web/uuid-1";
    }
    s.status = status;
    s.template_body = body;
    s.parameters = std::move(parameters);
    auto kv = store_.Get(model::keys::StackKey("web"));
    int64_t rev = kv.ok() && *kv ? (*kv)->mod_revision : 0;
    ASSERT_TRUE(store_.Commit({{{model::keys::StackKey("web"), rev}},
                               {store::Op::Put(model::keys::StackKey("web"), Serialize(s.ToJson()))}})
                    .ok());
  }

  model::Stack Get() {
    auto kv = store_.Get(model::keys::StackKey("web"));
    EXPECT_TRUE(kv.ok() && *kv);
    return *model::Stack::FromJson(*ParseObject((*kv)->value));
  }

  std::vector<std::string> Events() {
    std::vector<std::string> out;
    auto page = store_.List(model::keys::StackEventsPrefix("uuid-1"), "", 0);
    for (const auto& kv : page->items) {
      auto e = *ParseObject(kv.value);
      out.push_back(GetString(e, "LogicalResourceId") + " " + GetString(e, "ResourceStatus"));
    }
    return out;
  }

  store::MemoryStore store_;
  ManualClock clock_;
  FakeProvisioner provisioner_;
  StackEngine engine_;
};

constexpr const char* kTemplate = R"(
Parameters:
  Name: {Type: String, Default: app}
Resources:
  Service:
    Type: AWS::ECS::Service
    Properties: {Cluster: !Ref Cluster, Task: !GetAtt Task.Arn}
  Cluster:
    Type: AWS::ECS::Cluster
    Properties: {ClusterName: !Sub '${AWS::StackName}-${Name}'}
  Task:
    Type: AWS::ECS::TaskDefinition
    DeletionPolicy: Retain
Outputs:
  ClusterName: {Value: !Ref Cluster, Export: {Name: cluster}}
)";

TEST_F(StackEngineTest, CreatesInDependencyOrderThenDeletesInReverse) {
  Put("CREATE_IN_PROGRESS", kTemplate, {{"Name", "app"}});
  ASSERT_TRUE(engine_.RunNow("web").ok());
  model::Stack s = Get();
  EXPECT_EQ(s.status, "CREATE_COMPLETE");
  EXPECT_EQ(provisioner_.created, (std::vector<std::string>{"Cluster", "Task", "Service"}));
  EXPECT_EQ(GetString(provisioner_.seen["Cluster"], "ClusterName"), "web-app");
  EXPECT_EQ(GetString(provisioner_.seen["Service"], "Cluster"), "Cluster-1");
  EXPECT_EQ(GetString(provisioner_.seen["Service"], "Task"), "arn:Task-2");
  ASSERT_EQ(s.outputs.size(), 1u);
  EXPECT_EQ(s.outputs[0].value, "Cluster-1");
  EXPECT_EQ(s.outputs[0].export_name, "cluster");
  auto events = Events();
  EXPECT_EQ(events.back(), "web CREATE_COMPLETE");

  Put("DELETE_IN_PROGRESS", s.template_body, s.parameters);
  ASSERT_TRUE(engine_.RunNow("web").ok());
  EXPECT_EQ(provisioner_.deleted, (std::vector<std::string>{"Service", "Cluster"}));  // Task: Retain
  EXPECT_EQ(provisioner_.live, (std::set<std::string>{"Task-2"}));
  auto gone = store_.Get(model::keys::StackKey("web"));
  EXPECT_FALSE(*gone);
  auto deleted = store_.Get(model::keys::DeletedStackKey("uuid-1"));
  ASSERT_TRUE(*deleted);
  EXPECT_EQ(GetString(*ParseObject((*deleted)->value), "status"), "DELETE_COMPLETE");
  EXPECT_EQ(Events().back(), "web DELETE_COMPLETE");
}

TEST_F(StackEngineTest, AFailureRollsBackWhatWasMade) {
  provisioner_.fail = "AWS::ECS::Service";
  Put("CREATE_IN_PROGRESS", kTemplate, {{"Name", "app"}});
  ASSERT_TRUE(engine_.RunNow("web").ok());
  model::Stack s = Get();
  EXPECT_EQ(s.status, "ROLLBACK_COMPLETE");
  EXPECT_EQ(s.status_reason, "The following resource(s) failed to create: [Service]. Rollback requested by user.");
  auto events = Events();
  EXPECT_NE(std::find(events.begin(), events.end(), "Service CREATE_FAILED"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "web ROLLBACK_IN_PROGRESS"), events.end());
  EXPECT_EQ(provisioner_.deleted, (std::vector<std::string>{"Cluster"}));
  EXPECT_EQ(provisioner_.live, (std::set<std::string>{"Task-2"}));  // Retain holds on rollback too
}

TEST_F(StackEngineTest, AnUpdateModifiesInPlaceOrReplacesAndCleansUp) {
  Put("CREATE_IN_PROGRESS", kTemplate, {{"Name", "app"}});
  ASSERT_TRUE(engine_.RunNow("web").ok());
  // The cluster's name changes (modified in place); the task becomes a replaced type; a log
  // group is added.
  std::string next = R"(
Parameters:
  Name: {Type: String}
Resources:
  Service:
    Type: AWS::ECS::Service
    Properties: {Cluster: !Ref Cluster, Task: !GetAtt Task.Arn}
  Cluster:
    Type: AWS::ECS::Cluster
    Properties: {ClusterName: !Sub '${AWS::StackName}-${Name}'}
  Task:
    Type: Replace::Me
  Logs:
    Type: AWS::Logs::LogGroup
)";
  Put("UPDATE_IN_PROGRESS", next, {{"Name", "v2"}});
  ASSERT_TRUE(engine_.RunNow("web").ok());
  model::Stack s = Get();
  EXPECT_EQ(s.status, "UPDATE_COMPLETE");
  EXPECT_EQ(GetString(provisioner_.seen["Cluster"], "ClusterName"), "web-v2");
  EXPECT_EQ(s.FindResource("Task")->physical_id, "Task-4");
  EXPECT_EQ(GetString(provisioner_.seen["Service"], "Task"), "arn:Task-4");
  EXPECT_TRUE(provisioner_.live.contains("Logs-5"));
  EXPECT_EQ(s.resources.size(), 4u);
  EXPECT_EQ(Events().back(), "web UPDATE_COMPLETE");
}

}  // namespace
}  // namespace wharf::controlplane
