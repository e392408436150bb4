// ECS's native blue/green deployments (deploymentConfiguration.strategy BLUE_GREEN), as the
// service controller carries them out.
//
// Each load balancer of a blue/green service has an advancedConfiguration: an alternate target
// group and the production (and optionally the test) listener rule, whose forward action names
// both target groups. The tasks of a new deployment (green) go into whichever of the two target
// groups production does not use (the blue tasks' one), so the roles swap at every deployment,
// as on AWS. The deployment walks ECS's lifecycle stages, one per controller round:
//   PRE_SCALE_UP -> SCALE_UP (green starts; waits until all its tasks are healthy) ->
//   POST_SCALE_UP -> TEST_TRAFFIC_SHIFT (the test rule forwards to green) ->
//   POST_TEST_TRAFFIC_SHIFT -> PRODUCTION_TRAFFIC_SHIFT (the production rule forwards to green)
//   -> POST_PRODUCTION_TRAFFIC_SHIFT -> BAKE_TIME (bakeTimeInMinutes, blue still running) ->
//   CLEAN_UP (blue drained and stopped) -> SUCCESSFUL.
// A PAUSE lifecycle hook holds the deployment at its stage until ContinueServiceDeployment (or
// its timeout, 24 hours unless configured); a rollback (circuit breaker, StopServiceDeployment,
// a hook's ROLLBACK) makes the blue deployment PRIMARY again, so the rules forward to blue at once and green is retired.
// The listener rules' forward weights follow from the service record alone (BlueGreenRoutes):
// the applier rewrites a rule only when its weights differ, in the round's transaction.
//
// Thread-safety: reentrant (pure functions of their arguments).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/random.h"
#include "controlplane/service_reconciler.h"  // BlueGreenView

namespace wharf::controlplane {

// ECS's ServiceDeploymentLifecycleStage values in the order a blue/green deployment passes them.
inline constexpr std::string_view kBlueGreenStages[] = {
    "PRE_SCALE_UP",       "SCALE_UP",           "POST_SCALE_UP",           "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
    "CLEAN_UP"};
// Its position in kBlueGreenStages; -1 when it is none of them.
int BlueGreenStageIndex(std::string_view stage);
// The stage after `stage` ("" before the first); "" after CLEAN_UP.
std::string NextBlueGreenStage(std::string_view stage);

bool IsBlueGreen(const boost::json::object& service);

// The load balancers of a new deployment: for a blue/green service, each entry with an
// advancedConfiguration moved to the target group production does not use now (the one the
// last completed deployment's tasks are not in); otherwise the service's own.
boost::json::array NewDeploymentLoadBalancers(const boost::json::object& service);

// Makes `deployment` (a new PRIMARY, not yet in the service's deployments) a blue/green one
// when the service's strategy is BLUE_GREEN and it replaces older deployments: its tasks go to
// NewDeploymentLoadBalancers and it starts before PRE_SCALE_UP. Otherwise unchanged.
void PrepareNewDeployment(const boost::json::object& service, double now, boost::json::object& deployment);

// Where one listener rule should forward: everything to `to`, nothing to the others of `groups`.
struct RuleRoute {
  std::string rule_arn;
  std::string to;
  std::vector<std::string> groups;
};
// The routes of a blue/green service's production and test listener rules, from its deployments:
// production to the PRIMARY deployment's target group once it shifted production traffic (or
// when it is not a blue/green deployment replacing another), else to the previous deployment's;
// test likewise from TEST_TRAFFIC_SHIFT.
std::vector<RuleRoute> BlueGreenRoutes(const boost::json::object& service);
// The id of the deployment that production (or test) traffic goes to; "" when not blue/green.
std::string TrafficDeploymentId(const boost::json::object& service, bool test);

// Makes a rule record's ({"rule": <Rule shape>, ...}) forward action send everything to
// `route.to`: a ForwardConfig of the route's groups weighted 100 and 0. False when it already
// forwards that way (then the record is unchanged).
bool RouteRule(boost::json::object& rule_record, const RuleRoute& route);

// The role ECS assumes for a blue/green load balancer (advancedConfiguration.roleArn, as
// ecs.amazonaws.com) and what it does as that role to shift traffic: DescribeRules, and
// ModifyRule on the production and test listener rules (the permissions
// AmazonECSInfrastructureRolePolicyForLoadBalancers grants for them).
struct RoleUse {
  std::string role_arn;
  std::vector<std::pair<std::string, std::string>> actions;  // {action, resource}
};
// One per load balancer of the service with an advancedConfiguration.
std::vector<RoleUse> BlueGreenRoleUses(const boost::json::object& service);

// The store key of a listener rule's record from its ARN; "" when it is not an ALB rule ARN.
std::string RuleKeyOfArn(std::string_view arn);

// The PAUSE hooks of the service's deploymentConfiguration that hold `stage`.
// PRE_PRODUCTION_TRAFFIC_SHIFT hooks hold POST_TEST_TRAFFIC_SHIFT (the stage before the shift).
std::vector<boost::json::object> PauseHooksAt(const boost::json::object& service, std::string_view stage);

// The service controller's side, on the stored service record:

// The blue/green part of the reconciler's view of `service` at `now`: inactive unless its
// PRIMARY (in progress) is a blue/green deployment. A PAUSE hook of the current stage past its
// timeout with timeoutAction ROLLBACK sets `rollback_requested`.
BlueGreenView BlueGreenViewOf(const boost::json::object& service, double now, bool& rollback_requested);

// How long a PAUSE hook without timeoutConfiguration.timeoutInMinutes waits (AWS's default).
inline constexpr int64_t kDefaultHookTimeoutMinutes = 1440;

// The PRIMARY deployment `primary` enters `stage` at `now`, with an AWAITING_ACTION entry for
// each PAUSE hook of the service that holds that stage (expiresAt from its timeoutConfiguration,
// 1440 minutes and ROLLBACK by default, as on AWS).
void EnterBlueGreenStage(Random& random, const boost::json::object& service, const std::string& stage, double now,
                         boost::json::object& primary);

// Marks the PAUSE hooks of `primary` past their expiresAt TIMED_OUT (BlueGreenViewOf already
// acted on their timeoutAction).
void TimeOutPauseHooks(double now, boost::json::object& primary);

// A blue/green rollback: the blue deployment (`last_completed`, still running) becomes the
// PRIMARY again, taking over the failed PRIMARY's service deployment (rolling back for
// `reason`), so the listener rules forward to it in the same commit and green is retired as
// an older deployment. `why` heads its rolloutStateReason. False when blue is gone (then a new
// deployment of its revision rolls back, as for ROLLING).
bool RepromoteBlue(double now, const boost::json::object& last_completed, std::string_view why, std::string_view reason,
                   boost::json::object& service, boost::json::array& deployments);

}  // namespace wharf::controlplane
