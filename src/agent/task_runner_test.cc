// TaskRunner on a node of fakes (tests/support/fake_node.h): simulated time for stopTimeout
// and health checks, containers that exit when the test says. The runner works on its own
// thread, so each step waits (in real time, briefly) for what the runner must do, and checks
// that what it must not do has not happened after several of its polling rounds.
#include "agent/task_runner.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include "model/json.h"
#include "tests/support/fake_node.h"
#include "tests/support/temp_dir.h"

namespace wharf::agent {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Names = std::vector<std::string>;

constexpr char kTaskId[] = "0123456789abcdef0123456789abcdef";

// Waits until `done` holds, at most a few seconds of real time.
bool Eventually(const std::function<bool()>& done) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// Long enough for several rounds of the runner's loops (50 to 100 ms each).
void SeveralRounds() { std::this_thread::sleep_for(400ms); }

// A reported container, by name, from a SubmitTaskStateChange.
json::object ReportedContainer(const json::object& change, const std::string& name) {
  for (const auto& c : GetArray(change, "containers")) {
    if (GetString(c.as_object(), "containerName") == name) return c.as_object();
  }
  return {};
}

class TaskRunnerTest : public ::testing::Test {
 protected:
  TaskRunnerTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600))),
        metadata_(clock_,
                  [this](const std::string& task_arn) -> Result<json::object> {
                    ++credential_fetches_;
                    return json::object{{"RoleArn", "arn:aws:iam::000000000000:role/app"},
                                        {"AccessKeyId", "ASIA" + std::to_string(credential_fetches_.load())},
                                        {"SecretAccessKey", "secret"},
                                        {"Token", "token for " + task_arn},
                                        {"Expiration", "2026-01-01T06:00:00Z"}};  // six hours after clock_'s start
                  },
                  [this](const json::object& credentials, std::string_view operation,
                         const json::object& input) -> Result<json::object> {
                    ecs_calls_.push_back({std::string(operation), input, GetString(credentials, "AccessKeyId")});
                    return ecs_answer_;
                  }),
        unused_server_(ServerAddress{"127.0.0.1", "9", "us-east-1", "", ""}),
        logs_(unused_server_) {
    auto metadata_server = MetadataServer::Start(metadata_);
    EXPECT_TRUE(metadata_server.ok()) << metadata_server.status().ToString();
    metadata_server_ = std::move(metadata_server).value();
    node_.reset(new NodeContext{reports_, images_, runtime_, network_, rootfs_, logs_, metadata_, *metadata_server_,
                                clock_, (dir_.path() / "tasks").string(), "default", "us-east-1",
                                Subnet{"bridge", "10.214.0.0/16", "wharf0", ""}, PullOptions{}});
  }

  ~TaskRunnerTest() override {
    network_.HoldNamespaces(false);  // a runner waiting for its network would never end
    network_.HoldWiring(false);
    runner_.reset();             // before the node it uses
  }

  // A task of `containers` (container definitions) in `network_mode`.
  static model::TaskAssignment Assignment(const char* containers, const std::string& network_mode = "host") {
    model::TaskAssignment a;
    a.task_arn = std::string("arn:aws:ecs:us-east-1:000000000000:task/default/") + kTaskId;
    a.desired_status = "RUNNING";
    a.network_mode = network_mode;
    a.node = "i-0123456789abcdef0";
    a.task = json::object{{"taskArn", a.task_arn},
                          {"clusterArn", "arn:aws:ecs:us-east-1:000000000000:cluster/default"},
                          {"launchType", network_mode == "awsvpc" ? "FARGATE" : "EC2"}};
    a.task_definition = json::object{{"family", "test"}, {"networkMode", network_mode},
                                     {"containerDefinitions", json::parse(containers)}};
    if (network_mode == "awsvpc") a.eni = model::TaskAssignment::Eni{"subnet-1", "", "10.0.1.0/24", "10.0.1.7", "10.0.1.1", {}};
    return a;
  }

  void Run(model::TaskAssignment a) {
    assignment_ = a;
    runner_ = std::make_unique<TaskRunner>(*node_, std::move(a), /*adopt=*/false);
  }
  bool Reported(const std::string& status) const { return reports_.Change(status).has_value(); }
  // The status the latest state change gave a container.
  std::string LastReported(const std::string& name) const {
    auto changes = reports_.Changes();
    return changes.empty() ? "" : GetString(ReportedContainer(changes.back(), name), "status");
  }
  bool IsStarted(const std::string& name) const {
    auto started = runtime_.Started();
    return std::find(started.begin(), started.end(), name) != started.end();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::FakeReports reports_;
  testing::FakeImages images_;
  testing::FakeRuntime runtime_;
  testing::FakeNetwork network_;
  testing::FakeRootfs rootfs_;
  std::atomic<int> credential_fetches_{0};
  struct EcsCall {
    std::string operation;
    json::object input;
    std::string access_key_id;
  };
  std::vector<EcsCall> ecs_calls_;  // what the task protection endpoint asked ECS
  Result<json::object> ecs_answer_ = json::object{};
  MetadataDirectory metadata_;
  ServerClient unused_server_;  // the log shipper's; no test container ships logs
  LogShipper logs_;
  std::unique_ptr<MetadataServer> metadata_server_;
  std::unique_ptr<NodeContext> node_;
  model::TaskAssignment assignment_;
  std::unique_ptr<TaskRunner> runner_;
};

TEST_F(TaskRunnerTest, StartsContainersInDependsOnOrder) {
  Run(Assignment(R"([
      {"name": "app", "image": "app", "dependsOn": [{"containerName": "db", "condition": "HEALTHY"},
                                                    {"containerName": "seed", "condition": "START"}]},
      {"name": "seed", "image": "tools", "essential": false,
       "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]},
      {"name": "migrate", "image": "tools", "essential": false,
       "dependsOn": [{"containerName": "init", "condition": "COMPLETE"}]},
      {"name": "init", "image": "tools", "essential": false,
       "dependsOn": [{"containerName": "db", "condition": "START"}]},
      {"name": "db", "image": "db",
       "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 1}}])"));

  // START: init follows db at once; nothing waits on an exit yet.
  ASSERT_TRUE(Eventually([&] { return IsStarted("init"); }));
  SeveralRounds();
  EXPECT_EQ(runtime_.Started(), (Names{"db", "init"}));

  // COMPLETE: any exit code will do.
  runtime_.Exit("init", 3);
  ASSERT_TRUE(Eventually([&] { return IsStarted("migrate"); }));
  SeveralRounds();
  EXPECT_FALSE(IsStarted("seed"));

  // SUCCESS: exit code 0.
  runtime_.Exit("migrate", 0);
  ASSERT_TRUE(Eventually([&] { return IsStarted("seed"); }));

  // HEALTHY: app waits for db's first passing health check, `interval` after db started.
  SeveralRounds();
  EXPECT_FALSE(IsStarted("app"));
  EXPECT_FALSE(Reported("RUNNING"));
  clock_.Advance(5s);
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  EXPECT_EQ(runtime_.Started(), (Names{"db", "init", "migrate", "seed", "app"}));
  EXPECT_EQ(runtime_.Probes("db"), 1);
  EXPECT_FALSE(Reported("STOPPING")) << "non-essential containers exiting do not stop the task";
}

TEST_F(TaskRunnerTest, ADependencyFailingSuccessStopsTheTaskBeforeItsDependent) {
  Run(Assignment(R"([
      {"name": "migrate", "image": "tools", "essential": false},
      {"name": "app", "image": "app", "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]}])"));
  ASSERT_TRUE(Eventually([&] { return IsStarted("migrate"); }));
  runtime_.Exit("migrate", 1);
  ASSERT_TRUE(Eventually([&] { return Reported("STOPPED"); }));
  EXPECT_FALSE(IsStarted("app"));
  json::object stopped = *reports_.Change("STOPPED");
  EXPECT_NE(GetString(stopped, "reason").find("dependency migrate exited with code 1"), std::string::npos)
      << GetString(stopped, "reason");
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "migrate"), "exitCode"), 1);
  EXPECT_TRUE(Eventually([&] { return runner_->Finished(); }));  // just after the STOPPED report
}

TEST_F(TaskRunnerTest, AnEssentialContainerExitingStopsTheTask) {
  Run(Assignment(R"([
      {"name": "app", "image": "app", "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
      {"name": "logger", "image": "tools", "essential": false},
      {"name": "setup", "image": "tools", "essential": false}])",
                 "bridge"));
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));

  // A non-essential container's exit is reported, and the task runs on.
  runtime_.Exit("setup", 0);
  ASSERT_TRUE(Eventually([&] { return LastReported("setup") == "STOPPED"; }));
  EXPECT_EQ(LastReported("app"), "RUNNING");
  SeveralRounds();
  EXPECT_FALSE(Reported("STOPPING"));
  EXPECT_TRUE(runtime_.Kills().empty());

  runtime_.Exit("app", 2);
  ASSERT_TRUE(Eventually([&] { return Reported("STOPPED"); }));
  EXPECT_EQ(GetString(*reports_.Change("STOPPING"), "reason"), "Essential container in task exited");
  json::object stopped = *reports_.Change("STOPPED");
  EXPECT_EQ(GetString(stopped, "reason"), "Essential container in task exited");
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "app"), "exitCode"), 2);
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "logger"), "exitCode"), 128 + SIGTERM);
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "setup"), "exitCode"), 0);
  EXPECT_EQ(runtime_.Kills(), (Names{"logger TERM"}));

  // Bridge mode: a namespace per container (made side by side), with its port mapping; all
  // gone at the end.
  auto attached = network_.Attachments();
  ASSERT_EQ(attached.size(), 3u);
  auto app = std::find_if(attached.begin(), attached.end(),
                          [](const auto& a) { return a.id == std::string(kTaskId) + "-app"; });
  ASSERT_NE(app, attached.end());
  EXPECT_EQ(app->subnet.bridge, "wharf0");
  ASSERT_EQ(app->ports.size(), 1u);
  EXPECT_EQ(app->ports[0].host_port, 8080);
  EXPECT_EQ(app->ports[0].container_port, 80);
  EXPECT_EQ(network_.Detached().size(), 3u);
  EXPECT_EQ(rootfs_.MountedCount(), 0u);
  auto calls = runtime_.Calls();
  EXPECT_EQ(std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("delete ", 0) == 0; }), 3);
  EXPECT_TRUE(Eventually([&] { return runner_->Finished(); }));  // just after the STOPPED report
}

// Bridge mode: CNI wires each container's namespace beside its creation. Its address is
// known before (Attach tells it with the namespace), so its hostname and /etc/hosts, links
// included, are written first; it starts only once every namespace of the task is wired.
TEST_F(TaskRunnerTest, BridgeContainersAreCreatedWhileCniWiresThemAndStartOnceWired) {
  network_.HoldWiring(true);
  Run(Assignment(R"([{"name": "db", "image": "db"}, {"name": "web", "image": "web", "links": ["db:database"]}])",
                 "bridge"));
  ASSERT_TRUE(Eventually([&] {
    auto calls = runtime_.Calls();
    return std::find(calls.begin(), calls.end(), "create db") != calls.end();
  }));
  SeveralRounds();
  EXPECT_EQ(network_.HeldAttaches(), 2);
  EXPECT_TRUE(runtime_.Started().empty()) << "started before its network was wired";
  EXPECT_FALSE(Reported("RUNNING"));

  network_.HoldWiring(false);
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  EXPECT_EQ(runtime_.Started(), (Names{"db", "web"}));
  auto read = [&](const std::string& container, const std::string& file) {
    std::ifstream in(dir_.path() / "tasks" / kTaskId / "containers" / container / "etc" / file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  std::string db_hosts = read("db", "hosts"), web_hosts = read("web", "hosts");
  std::string db_ip = db_hosts.substr(db_hosts.rfind('\n', db_hosts.size() - 2) + 1);
  db_ip = db_ip.substr(0, db_ip.find('\t'));
  ASSERT_EQ(db_ip.rfind("10.214.0.", 0), 0u) << db_hosts;
  std::string dashed = db_ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  EXPECT_EQ(read("db", "hostname"), "ip-" + dashed + "\n");
  EXPECT_NE(web_hosts.find(db_ip + "\tdatabase db\n"), std::string::npos) << web_hosts;
}

// A bridge container's CNI ADD failing (wired beside the first container's creation) is the
// launch's error, not the container then starting's: the task's reason and every container's,
// none of them CannotStartContainerError, none reported made.
TEST_F(TaskRunnerTest, ABridgeCniFailureIsTheLaunchsNotTheStartingContainers) {
  const std::string web = std::string(kTaskId) + "-web";
  network_.FailAttach(web, Status::Internal("attach " + web + ": bridge: no address left"));
  Run(Assignment(R"([{"name": "db", "image": "db"}, {"name": "web", "image": "web", "links": ["db:database"]}])",
                 "bridge"));
  ASSERT_TRUE(Eventually([&] { return runner_->Finished(); }));
  json::object stopped = *reports_.Change("STOPPED");
  EXPECT_EQ(GetString(stopped, "reason"), "attach " + web + ": bridge: no address left");
  for (const char* name : {"db", "web"}) {
    json::object c = ReportedContainer(stopped, name);
    EXPECT_EQ(GetString(c, "reason"), GetString(stopped, "reason")) << name;
    EXPECT_FALSE(c.contains("runtimeId")) << name;
  }
  EXPECT_TRUE(runtime_.Started().empty());
  auto detached = network_.Detached();
  std::sort(detached.begin(), detached.end());
  EXPECT_EQ(detached, (Names{std::string(kTaskId) + "-db", web}));
}

// An awsvpc task's first container created beside its ENI's attach: when the attach fails, it
// takes its namespace away and the create fails too ("failed to open /run/netns/..."); the
// task's reason is the attach's error, which says why, not the create's.
TEST_F(TaskRunnerTest, AnAttachFailingBesideTheCreateIsTheLaunchsReason) {
  network_.FailAttach(kTaskId, Status::Internal(std::string("attach ") + kTaskId + ": naming port: File exists"));
  runtime_.FailCreate("app", Status::Internal("nsexec-1: failed to open /run/netns/fake: No such file or directory"));
  Run(Assignment(R"([{"name": "app", "image": "app"}])", "awsvpc"));
  ASSERT_TRUE(Eventually([&] { return runner_->Finished(); }));
  json::object stopped = *reports_.Change("STOPPED");
  EXPECT_EQ(GetString(stopped, "reason"), std::string("attach ") + kTaskId + ": naming port: File exists");
  EXPECT_FALSE(ReportedContainer(stopped, "app").contains("runtimeId"));
  EXPECT_EQ(network_.Detached(), (Names{kTaskId}));
}

TEST_F(TaskRunnerTest, StopSendsSigtermThenSigkillAfterStopTimeout) {
  Run(Assignment(R"([
      {"name": "web", "image": "web", "stopTimeout": 10},
      {"name": "proxy", "image": "proxy", "dependsOn": [{"containerName": "web", "condition": "START"}]}])",
                 "awsvpc"));
  runtime_.IgnoreSigterm("web");
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));

  model::TaskAssignment stop = assignment_;
  stop.desired_status = "STOPPED";
  stop.task["stoppedReason"] = "Scaling activity initiated by (deployment ecs-svc/1)";
  runner_->Update(stop);

  // SIGTERM to both, the dependent first; proxy leaves, web does not.
  ASSERT_TRUE(Eventually([&] { return runtime_.Kills().size() >= 2; }));
  EXPECT_EQ(runtime_.Kills(), (Names{"proxy TERM", "web TERM"}));
  // Reported once every deadline is set: the clock moves only after that.
  ASSERT_TRUE(Eventually([&] { return Reported("STOPPING"); }));
  EXPECT_EQ(GetString(*reports_.Change("STOPPING"), "reason"), "Scaling activity initiated by (deployment ecs-svc/1)");
  clock_.Advance(9s);
  SeveralRounds();
  EXPECT_EQ(runtime_.Kills(), (Names{"proxy TERM", "web TERM"})) << "stopTimeout has not passed";
  EXPECT_FALSE(Reported("STOPPED"));

  clock_.Advance(1s);
  ASSERT_TRUE(Eventually([&] { return Reported("STOPPED"); }));
  EXPECT_EQ(runtime_.Kills(), (Names{"proxy TERM", "web TERM", "web KILL"}));
  json::object stopped = *reports_.Change("STOPPED");
  EXPECT_EQ(GetString(stopped, "reason"), "Scaling activity initiated by (deployment ecs-svc/1)");
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "web"), "exitCode"), 128 + SIGKILL);
  EXPECT_EQ(GetInt(ReportedContainer(stopped, "proxy"), "exitCode"), 128 + SIGTERM);

  // awsvpc: one namespace for the task, at the address its ENI was given, released at the end.
  EXPECT_TRUE(Reported("DEPROVISIONING"));
  auto attached = network_.Attachments();
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_EQ(attached[0].id, kTaskId);
  EXPECT_EQ(attached[0].subnet.id, "subnet-1");
  EXPECT_EQ(attached[0].subnet.cidr, "10.0.1.0/24");
  EXPECT_EQ(attached[0].requested_ip, "10.0.1.7");
  EXPECT_EQ(network_.Detached(), (Names{kTaskId}));
}

TEST_F(TaskRunnerTest, HealthChecksTurnAContainerHealthyThenUnhealthy) {
  Run(Assignment(R"([{"name": "web", "image": "web",
      "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost"], "interval": 5, "timeout": 2, "retries": 2}}])"));
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  EXPECT_EQ(runtime_.Probes("web"), 0);
  EXPECT_TRUE(reports_.Health().empty());

  clock_.Advance(5s);
  ASSERT_TRUE(Eventually([&] { return !reports_.Health().empty(); }));
  json::object healthy = reports_.Health().back();
  EXPECT_EQ(GetString(healthy, "healthStatus"), "HEALTHY");
  EXPECT_EQ(GetString(GetArray(healthy, "containers")[0].as_object(), "healthStatus"), "HEALTHY");

  // One failure is not enough with retries 2.
  runtime_.SetProbeExit("web", 1);
  clock_.Advance(5s);
  ASSERT_TRUE(Eventually([&] { return runtime_.Probes("web") == 2; }));
  SeveralRounds();
  EXPECT_EQ(reports_.Health().size(), 1u);

  clock_.Advance(5s);
  ASSERT_TRUE(Eventually([&] { return reports_.Health().size() == 2; }));
  json::object unhealthy = reports_.Health().back();
  EXPECT_EQ(GetString(unhealthy, "healthStatus"), "UNHEALTHY");
  EXPECT_EQ(GetString(GetArray(unhealthy, "containers")[0].as_object(), "healthStatus"), "UNHEALTHY");
  EXPECT_EQ(runtime_.Probes("web"), 3);
  // The agent reports it; replacing the task is the service scheduler's decision.
  EXPECT_FALSE(Reported("STOPPING"));
}

TEST_F(TaskRunnerTest, AFailedPullStopsTheTaskWithCannotPullContainerError) {
  const std::string missing = "registry.example:5000/app:missing";
  images_.FailPull(missing, Status::NotFound("manifest unknown"));
  Run(Assignment(R"([{"name": "sidecar", "image": "busybox"}, {"name": "app", "image": "registry.example:5000/app:missing"}])",
                 "bridge"));
  ASSERT_TRUE(Eventually([&] { return Reported("STOPPED"); }));
  json::object stopped = *reports_.Change("STOPPED");
  std::string reason = GetString(stopped, "reason");
  EXPECT_EQ(reason.rfind("CannotPullContainerError: ", 0), 0u) << reason;
  EXPECT_NE(reason.find(missing), std::string::npos) << reason;
  EXPECT_NE(reason.find("manifest unknown"), std::string::npos) << reason;
  EXPECT_EQ(GetString(ReportedContainer(stopped, "app"), "reason").rfind("CannotPullContainerError: ", 0), 0u);
  EXPECT_EQ(GetString(ReportedContainer(stopped, "app"), "status"), "STOPPED");
  EXPECT_FALSE(Reported("RUNNING"));
  EXPECT_TRUE(runtime_.Started().empty());
  EXPECT_TRUE(network_.Attachments().empty()) << "no network is made for a task whose images are missing";
  EXPECT_EQ(images_.Pulled(), (Names{"busybox", missing}));
  EXPECT_TRUE(Eventually([&] { return runner_->Finished(); }));
}

// FARGATE makes each awslogs stream as the task's execution role before anything starts (here
// the node has no execution role sessions, so the stream cannot be made). The stream is made
// beside the first container's creation, but the task stops as if nothing had been created:
// Fargate's reason, no runtimeId, no log follower whose Finish would hold the STOPPED 10 s.
TEST_F(TaskRunnerTest, ALogStreamTheExecutionRoleCannotMakeStopsTheTaskAtOnce) {
  model::TaskAssignment a = Assignment(R"([{"name": "app", "image": "app", "logConfiguration": {
      "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app", "awslogs-stream-prefix": "ecs"}}}])",
                                       "awsvpc");
  a.task_definition["executionRoleArn"] = "arn:aws:iam::000000000000:role/exec";
  auto began = std::chrono::steady_clock::now();
  Run(a);
  ASSERT_TRUE(Eventually([&] { return runner_->Finished(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s) << "the STOPPED report waited for a log follower";
  json::object stopped = *reports_.Change("STOPPED");
  const std::string reason = GetString(stopped, "reason");
  EXPECT_EQ(reason.rfind("ResourceInitializationError: failed to validate logger args: create stream has been "
                         "retried 1 times: failed to create Cloudwatch log stream: ", 0), 0u) << reason;
  json::object app = ReportedContainer(stopped, "app");
  EXPECT_EQ(GetString(app, "reason"), reason);
  EXPECT_FALSE(app.contains("runtimeId")) << "a container never started is reported as never made";
  EXPECT_TRUE(runtime_.Started().empty());
  EXPECT_FALSE(Reported("RUNNING"));
  EXPECT_EQ(network_.Detached(), (Names{kTaskId}));
}

}  // namespace
}  // namespace wharf::agent

namespace wharf::agent {
namespace {

int Count(const std::vector<json::object>& changes, const std::string& status) {
  int n = 0;
  for (const auto& c : changes) n += GetString(c, "status") == status ? 1 : 0;
  return n;
}

// The agent stopped after starting the containers, perhaps before the server took its
// RUNNING report: the next agent adopts the task and says RUNNING again, starting nothing.
TEST_F(TaskRunnerTest, AnAdoptedRunningTaskIsReportedRunningAgain) {
  Run(Assignment(R"([{"name": "web", "image": "app"}])"));
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  runner_.reset();  // detached: its container keeps running
  int before = Count(reports_.Changes(), "RUNNING");
  runner_ = std::make_unique<TaskRunner>(*node_, assignment_, /*adopt=*/true);
  ASSERT_TRUE(Eventually([&] { return Count(reports_.Changes(), "RUNNING") == before + 1; }));
  SeveralRounds();
  EXPECT_EQ(runtime_.Started(), (Names{"web"}));
  EXPECT_FALSE(Reported("STOPPING"));
  EXPECT_EQ(LastReported("web"), "RUNNING");
}

// The agent killed mid-launch, its network made but not yet in the state file (Network::Attach
// makes its record and namespace before the runner records them): the next agent's runner
// stops the task and detaches every container's attachment by its id all the same, so no
// namespace, lease or port rule is left behind.
TEST_F(TaskRunnerTest, AnAdoptedTaskCutShortBeforeItsNetworkWasRecordedDetachesItAll) {
  network_.HoldNamespaces(true);
  Run(Assignment(R"([{"name": "db", "image": "db"}, {"name": "web", "image": "web",
                     "portMappings": [{"containerPort": 80, "hostPort": 8080}]}])",
                 "bridge"));
  ASSERT_TRUE(Eventually([&] { return network_.Attachments().size() == 2; }));
  SeveralRounds();
  // What a killed agent leaves: the state file as it is now.
  const auto state = dir_.path() / "tasks" / kTaskId / "state.json";
  std::ifstream in(state);
  const std::string left((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(left.find("\"netns\":\"\""), std::string::npos) << left;
  runner_->Detach();
  network_.HoldNamespaces(false);
  runner_.reset();
  ASSERT_TRUE(network_.Detached().empty());
  std::ofstream(state) << left;

  runner_ = std::make_unique<TaskRunner>(*node_, assignment_, /*adopt=*/true);
  ASSERT_TRUE(Eventually([&] { return runner_->Finished(); }));
  auto detached = network_.Detached();
  std::sort(detached.begin(), detached.end());
  EXPECT_EQ(detached, (Names{std::string(kTaskId) + "-db", std::string(kTaskId) + "-web"}));
  EXPECT_EQ(GetString(*reports_.Change("STOPPED"), "reason"), "The agent restarted while the task was starting");
  EXPECT_TRUE(runtime_.Started().empty());
}

// A container's environment as its OCI spec has it (while the task runs).
std::vector<std::string> SpecEnv(const std::filesystem::path& tasks_dir, const std::string& container) {
  std::ifstream in(tasks_dir / kTaskId / "containers" / container / "config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> env;
  boost::system::error_code ec;
  json::value spec = json::parse(text, ec);
  if (ec) return env;
  for (const auto& e : spec.at("process").at("env").as_array()) env.emplace_back(e.as_string());
  return env;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env) {
    if (e.rfind(name + "=", 0) == 0) return e.substr(name.size() + 1);
  }
  return "";
}

// A task role: each container is told where its credentials are, 169.254.170.2:80 in the
// task's namespace goes to the metadata endpoint, and only the task's own address gets the
// credentials, fetched once and again when less than kCredentialsRefresh of them is left.
TEST_F(TaskRunnerTest, ATaskRoleGivesItsContainersTheirCredentialsOnly) {
  model::TaskAssignment a = Assignment(R"([{"name": "app", "image": "app"}, {"name": "side", "image": "app"}])", "awsvpc");
  a.task_definition["taskRoleArn"] = "arn:aws:iam::000000000000:role/app";
  Run(a);
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  std::string uri = EnvValue(SpecEnv(dir_.path() / "tasks", "app"), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  ASSERT_EQ(uri.rfind("/v2/credentials/", 0), 0u) << uri;
  EXPECT_EQ(uri.size(), std::string("/v2/credentials/").size() + 36);  // a UUID
  EXPECT_EQ(EnvValue(SpecEnv(dir_.path() / "tasks", "side"), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), uri);
  EXPECT_EQ(network_.Redirects(),
            (Names{std::string("/run/netns/fake-") + kTaskId + " -> 127.0.0.1:" +
                   std::to_string(metadata_server_->Port("127.0.0.1"))}));

  MetadataAnswer answer = AnswerMetadataRequest(metadata_, uri, "10.0.1.7");
  ASSERT_EQ(answer.status, 200) << answer.body;
  json::object credentials = json::parse(answer.body).as_object();
  EXPECT_EQ(GetString(credentials, "AccessKeyId"), "ASIA1");
  EXPECT_EQ(GetString(credentials, "Token"), "token for " + assignment_.task_arn);
  EXPECT_EQ(AnswerMetadataRequest(metadata_, uri, "10.0.1.7").body, answer.body);
  EXPECT_EQ(credential_fetches_, 1);

  // Another task's address, or an id never handed out, is refused as the ECS agent does.
  for (auto [target, source] : {std::pair<std::string, std::string>{uri, "10.0.1.8"},
                                {"/v2/credentials/00000000-0000-0000-0000-000000000000", "10.0.1.7"}}) {
    MetadataAnswer refused = AnswerMetadataRequest(metadata_, target, source);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(json::parse(refused.body),
              json::parse(R"({"code":"InvalidIdInRequest","message":"CredentialsV2Request: Credentials not found",)"
                          R"("HTTPErrorCode":400})"));
  }

  clock_.Advance(5h + 31min);  // 29 minutes left
  answer = AnswerMetadataRequest(metadata_, uri, "10.0.1.7");
  EXPECT_EQ(GetString(json::parse(answer.body).as_object(), "AccessKeyId"), "ASIA2");
  EXPECT_EQ(credential_fetches_, 2);

  runner_->StopLocally("done");
  ASSERT_TRUE(Eventually([&] { return runner_->Finished(); }));
  EXPECT_EQ(AnswerMetadataRequest(metadata_, uri, "10.0.1.7").status, 400);  // gone with the task
}

// Host mode shares the node's network, so no 169.254.170.2 rule: its containers are given the
// full loopback URI of the endpoint, which answers the id from the loopback address only.
TEST_F(TaskRunnerTest, AHostModeTaskRoleGetsAFullLoopbackUri) {
  model::TaskAssignment a = Assignment(R"([{"name": "app", "image": "app"}])", "host");
  a.task_definition["taskRoleArn"] = "arn:aws:iam::000000000000:role/app";
  Run(a);
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  auto env = SpecEnv(dir_.path() / "tasks", "app");
  EXPECT_EQ(EnvValue(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "");
  std::string full = EnvValue(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string base = "http://127.0.0.1:" + std::to_string(metadata_server_->Port("127.0.0.1"));
  ASSERT_EQ(full.rfind(base + "/v2/credentials/", 0), 0u) << full;
  std::string path = full.substr(base.size());
  EXPECT_TRUE(network_.Redirects().empty());
  MetadataAnswer answer = AnswerMetadataRequest(metadata_, path, "127.0.0.1");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(GetString(json::parse(answer.body).as_object(), "Token"), "token for " + assignment_.task_arn);
  EXPECT_EQ(AnswerMetadataRequest(metadata_, path, "10.0.1.8").status, 400);
}

// ECS_AGENT_URI's task protection endpoint: the container's own task, through ECS's
// Get/UpdateTaskProtection signed with the task role's credentials, answered in the ECS
// agent's words.
TEST_F(TaskRunnerTest, TheTaskProtectionEndpointCallsEcsAsTheTaskRole) {
  model::TaskAssignment a = Assignment(R"([{"name": "app", "image": "app"}])", "awsvpc");
  a.task_definition["taskRoleArn"] = "arn:aws:iam::000000000000:role/app";
  Run(a);
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  std::string uri = EnvValue(SpecEnv(dir_.path() / "tasks", "app"), "ECS_AGENT_URI");
  std::string base = "http://127.0.0.1:" + std::to_string(metadata_server_->Port("127.0.0.1"));
  ASSERT_EQ(uri.rfind(base + "/api/", 0), 0u) << uri;
  std::string state = uri.substr(base.size()) + "/task-protection/v1/state";

  ecs_answer_ = json::object{{"protectedTasks", json::array{json::object{{"taskArn", assignment_.task_arn},
                                                                         {"protectionEnabled", true},
                                                                         {"expirationDate", 1767229200.0}}}},
                             {"failures", json::array{}}};
  MetadataAnswer put = AnswerMetadataRequest(metadata_, state, "10.0.1.7", "PUT",
                                             R"({"ProtectionEnabled": true, "ExpiresInMinutes": 60})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body), json::parse(R"({"protection": {"ExpirationDate": "2026-01-01T01:00:00Z",
      "ProtectionEnabled": true, "TaskArn": ")" + assignment_.task_arn + R"("}})"));
  ASSERT_EQ(ecs_calls_.size(), 1u);
  EXPECT_EQ(ecs_calls_[0].operation, "UpdateTaskProtection");
  EXPECT_EQ(ecs_calls_[0].access_key_id, "ASIA1");  // the task role's, not the node's
  EXPECT_EQ(json::value(ecs_calls_[0].input),
            json::parse(R"({"cluster": "arn:aws:ecs:us-east-1:000000000000:cluster/default", "tasks": [")" +
                        assignment_.task_arn + R"("], "protectionEnabled": true, "expiresInMinutes": 60})"));

  MetadataAnswer get = AnswerMetadataRequest(metadata_, state, "10.0.1.7", "GET");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(ecs_calls_.back().operation, "GetTaskProtection");
  EXPECT_FALSE(ecs_calls_.back().input.contains("protectionEnabled"));

  ecs_answer_ = json::object{{"protectedTasks", json::array{}},
                             {"failures", json::array{json::object{{"arn", assignment_.task_arn},
                                                                   {"reason", "TASK_NOT_VALID"}}}}};
  EXPECT_EQ(json::parse(AnswerMetadataRequest(metadata_, state, "10.0.1.7", "GET").body),
            json::parse(R"({"failure": {"Arn": ")" + assignment_.task_arn + R"(", "Detail": null, "Reason": "TASK_NOT_VALID"}})"));

  ecs_answer_ = Status::InvalidArgument("AccessDeniedException: User: x is not authorized to perform: ecs:GetTaskProtection");
  MetadataAnswer denied = AnswerMetadataRequest(metadata_, state, "10.0.1.7", "GET");
  EXPECT_EQ(denied.status, 400);
  EXPECT_EQ(json::parse(denied.body),
            json::parse(R"({"error": {"Arn": ")" + assignment_.task_arn +
                        R"(", "Code": "AccessDeniedException", "Message": "User: x is not authorized to perform: ecs:GetTaskProtection"}})"));

  size_t calls = ecs_calls_.size();
  MetadataAnswer malformed = AnswerMetadataRequest(metadata_, state, "10.0.1.7", "PUT", R"({"ExpiresInMinutes": 5})");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(GetString(GetObject(json::parse(malformed.body).as_object(), "error"), "Message"),
            "Invalid request: does not contain 'ProtectionEnabled' field");
  EXPECT_EQ(AnswerMetadataRequest(metadata_, state, "10.0.1.7", "PUT", R"({"ProtectionEnabled": true, "ExpiresInMinutes": "1"})")
                .status, 400);
  EXPECT_EQ(AnswerMetadataRequest(metadata_, state, "10.0.1.7", "PUT", "not json").status, 400);
  EXPECT_EQ(AnswerMetadataRequest(metadata_, state, "10.0.1.7", "POST", "{}").status, 405);
  EXPECT_EQ(AnswerMetadataRequest(metadata_, "/api/not-a-token/task-protection/v1/state", "10.0.1.7").status, 404);
  EXPECT_EQ(ecs_calls_.size(), calls);  // none of those reached ECS
}

TEST_F(TaskRunnerTest, TaskProtectionNeedsATaskRole) {
  Run(Assignment(R"([{"name": "app", "image": "app"}])", "awsvpc"));
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  std::string uri = EnvValue(SpecEnv(dir_.path() / "tasks", "app"), "ECS_AGENT_URI");
  std::string path = uri.substr(uri.find("/api/")) + "/task-protection/v1/state";
  MetadataAnswer answer = AnswerMetadataRequest(metadata_, path, "10.0.1.7", "GET");
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(GetString(GetObject(json::parse(answer.body).as_object(), "error"), "Message"),
            "Invalid Request: no task IAM role credentials available for task");
  EXPECT_TRUE(ecs_calls_.empty());
}

TEST_F(TaskRunnerTest, NoTaskRoleNoCredentials) {
  Run(Assignment(R"([{"name": "app", "image": "app"}])", "awsvpc"));
  ASSERT_TRUE(Eventually([&] { return Reported("RUNNING"); }));
  auto env = SpecEnv(dir_.path() / "tasks", "app");
  EXPECT_FALSE(env.empty());
  EXPECT_EQ(EnvValue(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "");
  EXPECT_TRUE(network_.Redirects().empty());
}

}  // namespace
}  // namespace wharf::agent
