#include "controlplane/service_reconciler.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {

using Registration = TaskTarget::Registration;

constexpr char kTg[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/1";

TaskView Task(const std::string& id, const std::string& deployment, const std::string& status = "RUNNING",
              Registration reg = Registration::kRegistered, const std::string& health = "healthy") {
  TaskView t;
  t.id = id;
  t.deployment_id = deployment;
  t.last_status = status;
  t.desired_status = "RUNNING";
  t.started_at = 100;
  t.load_balancers = 1;
  t.targets.push_back({kTg, "10.0.0." + id, 8080, reg, health});
  return t;
}

ServiceView Service(int desired) {
  ServiceView v;
  v.name = "web";
  v.desired_count = desired;
  v.deployments = {{"ecs-svc/2", "IN_PROGRESS", 0}};
  v.now = 1000;
  return v;
}

TEST(ServiceReconcilerTest, StartsDesiredTasksWithinMaximumPercent) {
  ServiceView v = Service(2);
  Decision d = Reconcile(v);
  EXPECT_EQ(d.start, 2);
  EXPECT_FALSE(d.complete_primary);
}

TEST(ServiceReconcilerTest, RegistersRunningTasksAndCompletesOnceHealthy) {
  ServiceView v = Service(1);
  v.tasks = {Task("1", "ecs-svc/2", "RUNNING", Registration::kAbsent, "initial")};
  Decision d = Reconcile(v);
  ASSERT_EQ(d.register_targets.size(), 1u);
  EXPECT_FALSE(d.complete_primary);
  v.tasks = {Task("1", "ecs-svc/2")};
  d = Reconcile(v);
  EXPECT_TRUE(d.complete_primary);
  EXPECT_TRUE(d.steady);
  EXPECT_EQ(d.events.back(), "(service web) has reached a steady state.");
}

TEST(ServiceReconcilerTest, RollingUpdateKeepsMinimumHealthyThenDrainsThenStops) {
  ServiceView v = Service(2);
  v.deployments = {{"ecs-svc/2", "IN_PROGRESS", 0}, {"ecs-svc/1", "COMPLETED", 0}};
  v.tasks = {Task("1", "ecs-svc/1"), Task("2", "ecs-svc/1")};
  Decision d = Reconcile(v);
  EXPECT_EQ(d.start, 2);  // 200%: both new ones at once
  EXPECT_TRUE(d.retire.empty());  // 100% minimum healthy: old ones stay until new are healthy

  v.tasks.push_back(Task("3", "ecs-svc/2"));
  v.tasks.push_back(Task("4", "ecs-svc/2", "RUNNING", Registration::kRegistered, "initial"));
  d = Reconcile(v);
  EXPECT_EQ(d.retire.size(), 1u);  // one new healthy: one old may go
  ASSERT_EQ(d.deregister_targets.size(), 1u);
  EXPECT_TRUE(d.stop.empty());  // not before it drained

  v.retiring = d.retire;
  const std::string retired = d.retire.begin()->first;
  for (auto& t : v.tasks) {
    if (t.id == retired) t.targets[0].registration = Registration::kDraining;
  }
  d = Reconcile(v);
  EXPECT_TRUE(d.stop.empty());
  for (auto& t : v.tasks) {
    if (t.id == retired) t.targets[0].registration = Registration::kDrained;
  }
  d = Reconcile(v);
  ASSERT_EQ(d.stop.size(), 1u);
  EXPECT_EQ(d.stop.begin()->second, "ecs-svc/2");
}

TEST(ServiceReconcilerTest, CircuitBreakerFailsAndRollsBack) {
  ServiceView v = Service(1);
  v.circuit_breaker = v.rollback = true;
  v.last_completed_id = "ecs-svc/1";
  v.deployments = {{"ecs-svc/2", "IN_PROGRESS", 2}, {"ecs-svc/1", "COMPLETED", 0}};
  TaskView failed = Task("9", "ecs-svc/2", "STOPPED", Registration::kAbsent, "");
  failed.stop_code = "EssentialContainerExited";
  v.tasks = {failed, Task("1", "ecs-svc/1")};
  Decision d = Reconcile(v);
  EXPECT_EQ(CircuitBreakerThreshold(1), 3);
  EXPECT_TRUE(d.fail_primary);
  EXPECT_TRUE(d.roll_back);
  EXPECT_EQ(d.start, 0);
  EXPECT_EQ(d.events[0], "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.");
}

TEST(ServiceReconcilerTest, ReplacesUnhealthyTaskAfterGracePeriod) {
  ServiceView v = Service(1);
  v.health_check_grace_seconds = 60;
  v.tasks = {Task("1", "ecs-svc/2", "RUNNING", Registration::kRegistered, "unhealthy")};
  v.now = 130;
  EXPECT_TRUE(Reconcile(v).retire.empty());
  v.now = 200;
  Decision d = Reconcile(v);
  EXPECT_EQ(d.retire.count("1"), 1u);
  EXPECT_EQ(d.start, 1);
}

TEST(ServiceReconcilerTest, TaskStillStartingIsStoppedOnlyOnceRunning) {
  ServiceView v = Service(0);
  v.tasks = {Task("1", "ecs-svc/2", "PENDING", Registration::kAbsent, "")};
  Decision d = Reconcile(v);
  EXPECT_EQ(d.retire.count("1"), 1u);
  EXPECT_TRUE(d.stop.empty());
  v.retiring = d.retire;
  v.tasks[0].last_status = "RUNNING";
  v.tasks[0].targets.clear();
  EXPECT_EQ(Reconcile(v).stop.count("1"), 1u);
}

TEST(ServiceReconcilerTest, DeletedServiceStopsEverythingThenGoesInactive) {
  ServiceView v = Service(0);
  v.deleting = true;
  TaskView t = Task("1", "ecs-svc/2");
  t.load_balancers = 0;
  t.targets.clear();
  v.tasks = {t};
  Decision d = Reconcile(v);
  EXPECT_EQ(d.stop.size(), 1u);
  EXPECT_FALSE(d.inactive);
  v.tasks[0].desired_status = "STOPPED";
  v.tasks[0].last_status = "STOPPED";
  v.retiring = {{"1", "ecs-svc/2"}};
  d = Reconcile(v);
  EXPECT_TRUE(d.inactive);
}

}  // namespace
}  // namespace wharf::controlplane

namespace wharf::controlplane {
namespace {

TaskView Failed(const std::string& id, const std::string& deployment) {
  TaskView t = Task(id, deployment, "STOPPED");
  t.desired_status = "STOPPED";
  t.stop_code = "EssentialContainerExited";
  return t;
}

TEST(ServiceReconcilerTest, ThrottleDelayGrowsToTwentySevenMinutes) {
  EXPECT_EQ(ThrottleDelaySeconds(kThrottleAfter - 1), 0);
  EXPECT_EQ(ThrottleDelaySeconds(kThrottleAfter), 5);
  EXPECT_EQ(ThrottleDelaySeconds(kThrottleAfter + 1), 10);
  EXPECT_EQ(ThrottleDelaySeconds(kThrottleAfter + 3), 40);
  EXPECT_EQ(ThrottleDelaySeconds(kThrottleAfter + 40), 27 * 60);
}

TEST(ServiceReconcilerTest, TasksFailingInARowSlowTheLaunchesDown) {
  ServiceView v = Service(1);
  v.tasks = {Failed("1", "ecs-svc/2"), Failed("2", "ecs-svc/2")};
  Decision d = Reconcile(v);
  EXPECT_EQ(d.throttle.failures, 2);
  EXPECT_EQ(d.start, 1);  // two failures: no wait yet

  v.throttle = d.throttle;
  for (const auto& id : d.failures_counted) v.failures_counted.insert(id);
  v.tasks.push_back(Failed("3", "ecs-svc/2"));
  d = Reconcile(v);
  EXPECT_EQ(d.throttle.failures, 3);
  EXPECT_EQ(d.throttle.launch_after, v.now + 5);
  EXPECT_EQ(d.start, 0);
  EXPECT_NE(std::find(d.events.begin(), d.events.end(),
                      "(service web) is unable to consistently start tasks successfully."),
            d.events.end());

  v.throttle = d.throttle;
  for (const auto& id : d.failures_counted) v.failures_counted.insert(id);
  v.now += 4;
  EXPECT_EQ(Reconcile(v).start, 0);
  v.now += 2;
  d = Reconcile(v);
  EXPECT_EQ(d.start, 1);  // the wait is over: one more attempt
  EXPECT_EQ(d.throttle.failures, 3);

  // A healthy task starts the count over.
  v.tasks.push_back(Task("4", "ecs-svc/2"));
  d = Reconcile(v);
  EXPECT_EQ(d.throttle.failures, 0);
  EXPECT_EQ(d.throttle.launch_after, 0);

  // So does a new deployment.
  v.tasks.pop_back();
  v.throttle = LaunchThrottle{"ecs-svc/2", 7, v.now + 600};
  EXPECT_EQ(Reconcile(v).start, 0);
  v.deployments.insert(v.deployments.begin(), {"ecs-svc/3", "IN_PROGRESS", 0});
  d = Reconcile(v);
  EXPECT_EQ(d.throttle.deployment_id, "ecs-svc/3");
  EXPECT_EQ(d.throttle.failures, 0);
  EXPECT_EQ(d.start, 1);
}

TEST(ServiceReconcilerTest, ScaleInSkipsProtectedTasksUntilTheyExpire) {
  ServiceView v = Service(1);
  v.deployments[0].rollout_state = "COMPLETED";
  v.tasks = {Task("1", "ecs-svc/2"), Task("2", "ecs-svc/2")};
  v.tasks[0].started_at = 200;  // the newest: the one a scale-in picks first
  v.tasks[0].protected_until = v.now + 60;
  Decision d = Reconcile(v);
  EXPECT_EQ(d.retire.size(), 1u);
  EXPECT_EQ(d.retire.count("2"), 1u);  // the unprotected one goes instead
  v.tasks[1].protected_until = v.now + 60;
  d = Reconcile(v);
  EXPECT_TRUE(d.retire.empty());
  EXPECT_FALSE(d.steady);  // more tasks than desired: not steady while they are protected
  v.now += 61;
  EXPECT_EQ(Reconcile(v).retire.size(), 1u);
}

TEST(ServiceReconcilerTest, RequestedRollbackFailsThePrimaryAndRollsBack) {
  ServiceView v = Service(1);
  v.deployments = {{"ecs-svc/3", "IN_PROGRESS", 0, true}, {"ecs-svc/2", "COMPLETED", 0}};
  v.last_completed_id = "ecs-svc/2";
  v.tasks = {Task("1", "ecs-svc/2")};
  Decision d = Reconcile(v);
  EXPECT_TRUE(d.fail_primary);
  EXPECT_TRUE(d.stop_requested);
  EXPECT_TRUE(d.roll_back);
  EXPECT_EQ(d.start, 0);
  v.last_completed_id.clear();  // nothing to roll back to: the deployment only stops
  d = Reconcile(v);
  EXPECT_TRUE(d.fail_primary);
  EXPECT_FALSE(d.roll_back);
}

}  // namespace
}  // namespace wharf::controlplane

namespace wharf::controlplane {
namespace {

ServiceView BlueGreen(const std::string& stage) {
  ServiceView v;
  v.name = "web";
  v.desired_count = 2;
  v.maximum_percent = 100;  // blue/green runs green beside blue whatever maximumPercent says
  v.minimum_healthy_percent = 0;
  v.deployments = {{"ecs-svc/2", "IN_PROGRESS", 0}, {"ecs-svc/1", "COMPLETED", 0}};
  v.last_completed_id = "ecs-svc/1";
  v.blue_green = {true, stage, 990, 60, false, {}, "ecs-svc/1", ""};
  v.now = 1000;
  TaskView blue1, blue2;
  for (auto [t, id] : {std::pair{&blue1, "b1"}, std::pair{&blue2, "b2"}}) {
    t->id = id;
    t->deployment_id = "ecs-svc/1";
    t->last_status = t->desired_status = "RUNNING";
    t->started_at = 100;
  }
  v.tasks = {blue1, blue2};
  return v;
}

TaskView Green(const std::string& id) {
  TaskView t;
  t.id = id;
  t.deployment_id = "ecs-svc/2";
  t.last_status = t.desired_status = "RUNNING";
  t.started_at = 900;
  return t;
}

TEST(BlueGreenReconcilerTest, StagesAdvanceToTheNextWaitAndGreenStartsBesideBlue) {
  ServiceView v = BlueGreen("");
  Decision d = Reconcile(v);
  EXPECT_EQ(d.blue_green_stage, "SCALE_UP");  // PRE_SCALE_UP waits for nothing
  EXPECT_EQ(d.start, 0);
  v.blue_green.hook_stages = {"PRE_SCALE_UP"};
  EXPECT_EQ(Reconcile(v).blue_green_stage, "PRE_SCALE_UP");  // a hook holds it
  v.blue_green.hook_stages.clear();
  v.blue_green.stage = "SCALE_UP";
  d = Reconcile(v);
  EXPECT_EQ(d.start, 2);  // 200 %, though maximumPercent is 100
  EXPECT_TRUE(d.retire.empty());
  EXPECT_EQ(d.blue_green_stage, "");  // green not healthy yet
  v.tasks.push_back(Green("g1"));
  v.tasks.push_back(Green("g2"));
  d = Reconcile(v);
  EXPECT_EQ(d.blue_green_stage, "TEST_TRAFFIC_SHIFT");
  EXPECT_TRUE(d.retire.empty());
  EXPECT_FALSE(d.complete_primary);
}

TEST(BlueGreenReconcilerTest, PauseHookHoldsAndBakeTimeWaitsThenCleanUpRetiresBlue) {
  ServiceView v = BlueGreen("POST_TEST_TRAFFIC_SHIFT");
  v.tasks.push_back(Green("g1"));
  v.tasks.push_back(Green("g2"));
  v.blue_green.held = true;
  EXPECT_EQ(Reconcile(v).blue_green_stage, "");
  v.blue_green.held = false;
  EXPECT_EQ(Reconcile(v).blue_green_stage, "PRODUCTION_TRAFFIC_SHIFT");
  v.blue_green.stage = "PRODUCTION_TRAFFIC_SHIFT";
  EXPECT_EQ(Reconcile(v).blue_green_stage, "BAKE_TIME");
  v.blue_green.stage = "BAKE_TIME";
  EXPECT_EQ(Reconcile(v).blue_green_stage, "");  // 10 s of 60 baked
  v.now = 1051;
  Decision d = Reconcile(v);
  EXPECT_EQ(d.blue_green_stage, "CLEAN_UP");
  EXPECT_TRUE(d.retire.empty());
  v.blue_green.stage = "CLEAN_UP";
  d = Reconcile(v);
  EXPECT_EQ(d.retire.size(), 2u);
  EXPECT_TRUE(d.retire.count("b1") && d.retire.count("b2"));
  EXPECT_FALSE(d.complete_primary);
}

// ECS may not use the load balancer's role to shift traffic: green fails before it starts and
// blue stays production (the rollback's reason is the refusal).
TEST(BlueGreenReconcilerTest, ARefusedRoleFailsTheDeploymentAndRollsBack) {
  ServiceView v = BlueGreen("SCALE_UP");
  v.blue_green.role_refusal = "User: arn:aws:sts::1:assumed-role/r/ECSNetworkingWithELB is not authorized";
  Decision d = Reconcile(v);
  EXPECT_TRUE(d.fail_primary);
  EXPECT_TRUE(d.roll_back);
  EXPECT_EQ(d.failure_reason, v.blue_green.role_refusal);
  EXPECT_EQ(d.start, 0);
  EXPECT_EQ(d.blue_green_stage, "");
  const std::string event = "(service web) (deployment ecs-svc/2) deployment failed: " + v.blue_green.role_refusal;
  EXPECT_NE(std::find(d.events.begin(), d.events.end(), event), d.events.end());
}

TEST(BlueGreenReconcilerTest, AnOlderGreenThatNeverTookProductionIsRetiredAtOnce) {
  ServiceView v = BlueGreen("SCALE_UP");
  v.deployments = {{"ecs-svc/3", "IN_PROGRESS", 0}, {"ecs-svc/2", "IN_PROGRESS", 0}, {"ecs-svc/1", "COMPLETED", 0}};
  v.tasks.push_back(Green("g1"));  // of ecs-svc/2
  Decision d = Reconcile(v);
  EXPECT_EQ(d.retire.size(), 1u);
  EXPECT_TRUE(d.retire.count("g1"));
  EXPECT_EQ(d.start, 2);
}

TEST(BlueGreenReconcilerTest, RollbackKeepsBlue) {
  ServiceView v = BlueGreen("POST_TEST_TRAFFIC_SHIFT");
  v.tasks.push_back(Green("g1"));
  v.tasks.push_back(Green("g2"));
  v.deployments[0].rollback_requested = true;
  Decision d = Reconcile(v);
  EXPECT_TRUE(d.fail_primary);
  EXPECT_TRUE(d.roll_back);
  EXPECT_FALSE(d.retire.count("b1") || d.retire.count("b2"));
  EXPECT_EQ(d.blue_green_stage, "");
}

}  // namespace
}  // namespace wharf::controlplane
