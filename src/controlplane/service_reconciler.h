// The service reconciler: what one ECS service needs done next, decided against a snapshot.
//
// Pure: no I/O, no clock, no randomness. The applier (api/ecs/service_controller.h) reads the
// service, its tasks and its targets' health at one moment into a ServiceView, calls
// Reconcile, and commits the Decision in one revision-checked transaction (STYLE.md 10); if
// anything it read changed meanwhile, the commit fails and the next round decides again. A
// decision is safe to repeat: everything it acts on is in the view.
//
// The rules, as ECS's REPLICA scheduler:
//  - The PRIMARY deployment is scaled to desiredCount; ACTIVE (older) deployments only shrink.
//  - At most maximumPercent of desiredCount tasks run at once; older tasks are retired only
//    while at least minimumHealthyPercent stay healthy. A task is healthy once RUNNING, with
//    its container health HEALTHY when it has a health check, and its targets healthy in every
//    target group when the service has load balancers.
//  - Retiring a task: deregister its targets, wait for them to drain, then stop it (a task
//    still starting is stopped once RUNNING: stopping it mid-start races the node).
//  - Tasks that stop on their own, or that stay unhealthy past the grace period, are replaced;
//    with the circuit breaker on, max(3, min(200, ceil(desired / 2))) failed tasks fail the
//    PRIMARY deployment, and with rollback the last COMPLETED deployment comes back.
//  - A blue/green deployment (BlueGreenView) keeps blue whole until its CLEAN_UP stage.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace wharf::controlplane {

// One task's place in one of the service's target groups.
struct TaskTarget {
  std::string target_group_arn;
  std::string id;  // IPv4 address
  int port = 0;
  enum class Registration { kAbsent, kRegistered, kDraining, kDrained } registration = Registration::kAbsent;
  std::string health;  // DescribeTargetHealth's state: initial, healthy, unhealthy, ...
};

struct TaskView {
  std::string id;
  std::string deployment_id;  // startedBy
  std::string last_status, desired_status, stop_code;
  double started_at = 0;  // seconds since the epoch; 0 while not started
  bool has_container_health_check = false;
  std::string health_status;  // the task's healthStatus: HEALTHY, UNHEALTHY, UNKNOWN
  int load_balancers = 0;  // target groups its deployment puts it in (UpdateService may change them)
  std::vector<TaskTarget> targets;  // one per load balancer once its address is known
  double protected_until = 0;  // task scale-in protection: not retired for scale-in or deployments before
};

struct DeploymentView {
  std::string id;  // ecs-svc/<digits>
  std::string rollout_state;  // IN_PROGRESS, COMPLETED, FAILED
  int failed_tasks = 0;
  bool rollback_requested = false;  // StopServiceDeployment(ROLLBACK) on its service deployment
};

// ECS's service throttle: when tasks keep failing, the time between launch attempts grows
// (AWS: "incrementally increased up to a maximum of 27 minutes"). Here: none for the first
// kThrottleAfter failures in a row, then 5 s, 10 s, 20 s, ... up to 27 min; a healthy task
// or a new deployment starts over.
struct LaunchThrottle {
  std::string deployment_id;
  int failures = 0;
  double launch_after = 0;
};
inline constexpr int kThrottleAfter = 3;
double ThrottleDelaySeconds(int failures_in_a_row);

// A blue/green deployment in flight (controlplane/blue_green.h): the PRIMARY deployment's
// lifecycle stage. While it is active, green (the PRIMARY) scales up beside blue (the older
// deployments) regardless of maximumPercent, blue is retired only in CLEAN_UP, and the stages
// advance one per round.
struct BlueGreenView {
  bool active = false;
  std::string stage;  // "" before the first
  double since = 0;   // when it entered `stage`
  double bake_seconds = 0;
  bool held = false;  // a PAUSE lifecycle hook awaits ContinueServiceDeployment at this stage
  std::set<std::string> hook_stages;  // stages the service's PAUSE hooks hold
  std::string production_id;  // the deployment production traffic goes to (blue, until the shift)
  // Why ECS may not use a load balancer's advancedConfiguration.roleArn for the traffic shift
  // ahead ("" when it may): the deployment fails and rolls back.
  std::string role_refusal;
};

struct ServiceView {
  std::string name;
  bool deleting = false;  // DeleteService: every task goes, then the service is INACTIVE
  int desired_count = 0;
  int minimum_healthy_percent = 100;
  int maximum_percent = 200;
  bool circuit_breaker = false;
  bool rollback = false;
  int health_check_grace_seconds = 0;
  std::vector<DeploymentView> deployments;  // the PRIMARY first
  std::string last_completed_id;            // a deployment that completed, for rollback
  std::map<std::string, std::string> retiring;  // task id -> the deployment whose activity retires it
  std::set<std::string> failures_counted;       // task ids already counted as failed
  bool steady = false;                          // the steady-state event was told for this state
  // Launch throttling: failed tasks in a row (of the deployment named), and no launch before
  // `launch_after` (seconds since the epoch).
  LaunchThrottle throttle;
  std::vector<TaskView> tasks;                  // every task of the service (group service:<name>)
  BlueGreenView blue_green;
  double now = 0;
};

struct TargetChange {
  std::string task_id;
  TaskTarget target;
};

struct Decision {
  int start = 0;  // tasks to start for the PRIMARY deployment
  std::map<std::string, std::string> retire;  // task id -> deployment whose activity retires it
  std::vector<TargetChange> register_targets;
  std::vector<TargetChange> deregister_targets;
  std::map<std::string, std::string> stop;  // task id -> deployment named in the stop reason
  std::vector<std::string> forget;          // retiring tasks that have stopped
  std::vector<std::string> failures_counted;  // newly counted failed tasks
  std::map<std::string, int> new_failures;    // deployment -> failed tasks to add
  bool fail_primary = false;
  bool stop_requested = false;  // fail_primary because StopServiceDeployment asked
  std::string failure_reason;   // fail_primary for another reason than the breaker or a stop
  bool roll_back = false;  // to ServiceView::last_completed_id, as a new PRIMARY deployment
  std::vector<std::string> remove_deployments;  // old deployments with no task left
  bool complete_primary = false;
  std::string blue_green_stage;  // the PRIMARY's next lifecycle stage; "" when it stays
  bool steady = false;    // the new value of ServiceView::steady
  LaunchThrottle throttle;  // the new value of ServiceView::throttle
  bool inactive = false;  // a deleted service whose last task has stopped
  std::vector<std::string> events;  // messages, oldest first
  struct Counts {
    int running = 0, pending = 0;
  };
  std::map<std::string, Counts> counts;  // per deployment
  Counts total;
};

// The failed-task count at which the circuit breaker trips.
int CircuitBreakerThreshold(int desired_count);

Decision Reconcile(const ServiceView& view);

}  // namespace wharf::controlplane
