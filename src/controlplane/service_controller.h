// The service controller's applier: runs the reconciler (service_reconciler.h) for every
// ACTIVE or DRAINING service and commits each decision.
//
// One round per service: read the service record, the service's tasks and its target groups
// (each with its revision) and the data plane's target health; decide; then commit in one
// transaction that compares every record it rewrites (the service, the stopped tasks, the
// target groups, and the placement epoch when tasks are started). A failed compare drops the
// round; the next one decides again from fresh state. All state is in the store, so a new
// leader, or a server restarted mid-deployment, carries on where the last round left off.
// New tasks are placed as RunTask places them (task_launch.h); what cannot be placed becomes
// a service event in ECS's words, never an AWS error.
//
// Thread-safety: ReconcileServices may run on one thread at a time per server; only the
// leader runs it (Controllers), and the revision checks keep a stale leader's round harmless.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "base/status.h"
#include "controlplane/task_launch.h"

namespace wharf::controlplane {

struct ServiceControllerDeps {
  const TaskLaunchDeps& launch;
  // The data plane's view of a target group: (target id, port) -> state (initial, healthy,
  // unhealthy, ...), as DescribeTargetHealth shows it.
  std::function<std::map<std::pair<std::string, int>, std::string>(const std::string& target_group_arn)>
      target_health;
  // Called after a round changed targets, so the data plane's configuration follows at once.
  std::function<void()> targets_changed;
};

struct RoundSummary {
  int committed = 0;  // services with a decision committed
  int unsettled = 0;  // services mid-deployment or not yet steady
};

// One round over every service of every cluster; errors of one service are logged and the
// others still run.
Result<RoundSummary> ReconcileServices(const ServiceControllerDeps& deps);

// What starting a task of `deployment` asks for (group "service:<name>", startedBy the
// deployment id, tags as propagateTags says: `task_definition_tags` for TASK_DEFINITION).
// The cluster is the service's; count 1.
TaskLaunchRequest DeploymentLaunchRequest(const boost::json::object& service, const boost::json::object& deployment,
                                          const boost::json::array& task_definition_tags);

}  // namespace wharf::controlplane
