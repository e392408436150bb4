#include "controlplane/stack_engine.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

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
        engine_(StackEngineDeps{store_, clock_, provisioner_, "us-east-1", "123456789012",
                                 [](std::string_view) { return std::vector<std::string>{"us-east-1a"}; },
                                 /*max_parallel_resources=*/1}) {}

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

// Takes `ms` per resource and remembers how many it was making at once.
class SlowProvisioner final : public ResourceProvisioner {
 public:
  explicit SlowProvisioner(int ms) : ms_(ms) {}
  Result<ProvisionedResource> Create(const model::Stack&, std::string_view logical_id, std::string_view type,
                                     const json::object&, std::string& made_id) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      widest = std::max(widest, ++now);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    std::lock_guard<std::mutex> lock(mu);
    --now;
    if (type == "Fail::Me") return Status::InvalidArgument("it broke");
    made_id = std::string(logical_id);
    ProvisionedResource r;
    r.physical_id = made_id;
    live.insert(made_id);
    return r;
  }
  Result<ProvisionedResource> Update(const model::Stack&, const model::StackResource& r, const json::object&) override {
    return ReplacementNeeded("always");
  }
  Status Delete(const model::Stack&, const model::StackResource& r) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      widest_delete = std::max(widest_delete, ++now);
      // What it deletes must no longer be named by anything live.
      for (const auto& d : needs[r.logical_id]) order_broken = order_broken || live.contains(d);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    std::lock_guard<std::mutex> lock(mu);
    --now;
    if (fail_delete.contains(r.logical_id)) return Status::InvalidArgument("it is still in use");
    live.erase(r.physical_id);
    deleted.push_back(r.logical_id);
    return Status::OK();
  }
  std::mutex mu;
  int now = 0, widest = 0, widest_delete = 0;
  bool order_broken = false;
  std::set<std::string> live, fail_delete;
  std::map<std::string, std::set<std::string>> needs;  // resource -> what depends on it
  std::vector<std::string> deleted;

 private:
  const int ms_;
};

// Independent resources are made at once: four of 200 ms, then one depending on them all,
// take about two steps, not five; a failure cancels what runs beside it and rolls all back.
TEST(StackEngineParallelTest, IndependentResourcesAreMadeAtOnce) {
  store::MemoryStore store;
  ManualClock clock(std::chrono::system_clock::from_time_t(1700000000));
  SlowProvisioner provisioner(200);
  auto zones = [](std::string_view) { return std::vector<std::string>{"us-east-1a"}; };
  StackEngine engine(StackEngineDeps{store, clock, provisioner, "us-east-1", "123456789012", zones});
  auto run = [&](const std::string& body) {
    model::Stack s;
    s.name = "wide";
    s.stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/wide/uuid-2";
    s.status = "CREATE_IN_PROGRESS";
    s.template_body = body;
    auto kv = store.Get(model::keys::StackKey("wide"));
    int64_t rev = kv.ok() && *kv ? (*kv)->mod_revision : 0;
    EXPECT_TRUE(store.Commit({{{model::keys::StackKey("wide"), rev}},
                              {store::Op::Put(model::keys::StackKey("wide"), Serialize(s.ToJson()))}})
                    .ok());
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(engine.RunNow("wide").ok());
    auto got = store.Get(model::keys::StackKey("wide"));
    return std::make_pair(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                          *model::Stack::FromJson(*ParseObject((*got)->value)));
  };
  auto wide = run(R"(
Resources:
  A: {Type: X::Y::Z}
  B: {Type: X::Y::Z}
  C: {Type: X::Y::Z}
  D: {Type: X::Y::Z}
  E: {Type: X::Y::Z, DependsOn: [A, B, C, D]}
)");
  EXPECT_EQ(wide.second.status, "CREATE_COMPLETE");
  EXPECT_EQ(provisioner.widest, 4);
  EXPECT_LT(wide.first, 0.7);  // two steps of 0.2 s; five in a row would be 1 s

  model::Stack failed = run(R"(
Resources:
  Slow: {Type: X::Y::Z}
  Broken: {Type: Fail::Me}
  After: {Type: X::Y::Z, DependsOn: Broken}
)").second;
  EXPECT_EQ(failed.status, "ROLLBACK_COMPLETE");
  const model::StackResource* slow = failed.FindResource("Slow");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(failed.FindResource("After"), nullptr);  // never started
  EXPECT_EQ(provisioner.live, (std::set<std::string>{"A", "B", "C", "D", "E"}));  // Slow rolled back
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

namespace wharf::controlplane {
namespace {

// Deletes run as creates do: each resource once what depends on it is gone, independent ones
// at once; a failed delete leaves what it depends on and the stack DELETE_FAILED.
TEST(StackEngineParallelTest, IndependentResourcesAreDeletedAtOnce) {
  store::MemoryStore store;
  ManualClock clock(std::chrono::system_clock::from_time_t(1700000000));
  SlowProvisioner provisioner(200);
  auto zones = [](std::string_view) { return std::vector<std::string>{"us-east-1a"}; };
  StackEngine engine(StackEngineDeps{store, clock, provisioner, "us-east-1", "123456789012", zones});
  auto put = [&](const std::string& status, const std::string& body) {
    model::Stack s;
    auto kv = store.Get(model::keys::StackKey("wide"));
    int64_t rev = kv.ok() && *kv ? (*kv)->mod_revision : 0;
    if (rev) {
      s = *model::Stack::FromJson(*ParseObject((*kv)->value));
    } else {
      s.name = "wide";
      s.stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/wide/uuid-3";
    }
    s.status = status;
    s.template_body = body;
    ASSERT_TRUE(store.Commit({{{model::keys::StackKey("wide"), rev}},
                              {store::Op::Put(model::keys::StackKey("wide"), Serialize(s.ToJson()))}})
                    .ok());
  };
  auto get = [&]() -> std::optional<model::Stack> {
    auto kv = store.Get(model::keys::StackKey("wide"));
    if (!kv.ok() || !*kv) return std::nullopt;
    return *model::Stack::FromJson(*ParseObject((*kv)->value));
  };
  const std::string wide = R"(
Resources:
  A: {Type: X::Y::Z}
  B: {Type: X::Y::Z}
  C: {Type: X::Y::Z}
  D: {Type: X::Y::Z, Properties: {Name: !Ref C}}
  E: {Type: X::Y::Z, DependsOn: [A, B, D]}
)";
  provisioner.needs = {{"A", {"E"}}, {"B", {"E"}}, {"C", {"D"}}, {"D", {"E"}}};
  put("CREATE_IN_PROGRESS", wide);
  ASSERT_TRUE(engine.RunNow("wide").ok());
  ASSERT_EQ(get()->status, "CREATE_COMPLETE");
  put("DELETE_IN_PROGRESS", wide);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(engine.RunNow("wide").ok());
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_FALSE(get());  // DELETE_COMPLETE
  EXPECT_TRUE(provisioner.live.empty());
  EXPECT_FALSE(provisioner.order_broken);
  EXPECT_EQ(provisioner.deleted.front(), "E");
  EXPECT_EQ(provisioner.deleted.back(), "C");
  EXPECT_EQ(provisioner.widest_delete, 3);  // A, B and D at once
  EXPECT_LT(took, 0.9);  // three steps of 0.2 s; five in a row would be 1 s

  // D cannot be deleted: C (which D names) stays; A, B and E go.
  provisioner.deleted.clear();
  provisioner.fail_delete = {"D"};
  put("CREATE_IN_PROGRESS", wide);
  ASSERT_TRUE(engine.RunNow("wide").ok());
  put("DELETE_IN_PROGRESS", wide);
  ASSERT_TRUE(engine.RunNow("wide").ok());
  model::Stack s = *get();
  EXPECT_EQ(s.status, "DELETE_FAILED");
  EXPECT_EQ(s.status_reason, "The following resource(s) failed to delete: [D]. ");
  EXPECT_EQ(s.FindResource("D")->status, "DELETE_FAILED");
  EXPECT_EQ(s.FindResource("D")->status_reason, "it is still in use");
  EXPECT_EQ(s.FindResource("C")->status, "CREATE_COMPLETE");
  EXPECT_EQ(s.FindResource("A")->status, "DELETE_COMPLETE");
  EXPECT_EQ(provisioner.live, (std::set<std::string>{"C", "D"}));

  // Once D can go, deleting again finishes the job.
  provisioner.fail_delete.clear();
  put("DELETE_IN_PROGRESS", wide);
  ASSERT_TRUE(engine.RunNow("wide").ok());
  EXPECT_FALSE(get());
  EXPECT_TRUE(provisioner.live.empty());
  EXPECT_FALSE(provisioner.order_broken);
}

}  // namespace
}  // namespace wharf::controlplane
