// ECS task placement for the EC2 launch type, as a pure function: a snapshot of container
// instances + the shape of the task + constraints and strategies -> a plan. No I/O, no clock;
// randomness comes only from `random_seed`, so the same inputs give the same plan.
//
// What AWS documents, and what this follows (Developer Guide: "Amazon ECS task placement",
// "... strategies", "... constraints", "Cluster query language", "API failure reasons";
// API Reference: RunTask, PlacementStrategy, PlacementConstraint, Failure):
//
// Process, per task: (1) keep the instances that have the task's CPU, memory and host ports;
// (2) of those, keep the ones satisfying the constraints (binding: they can prevent
// placement); (3) order the rest by the strategies (best effort: never prevent placement);
// (4) pick. Each placed task consumes CPU, memory and ports before the next is placed.
//
// Failure reasons (RunTask `failures`, each {arn: container instance ARN, reason}):
//   RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS — "the resource or resources requested by
//     the task are unavailable on the given container instance" (GPU, ENI: not modelled).
//   ATTRIBUTE — the task requires an attribute (requiresAttributes) the instance lacks.
//   AGENT — the instance's agent is disconnected; ECS rejects rather than wait.
//   "MemberOf placement constraint unsatisfied." — verbatim as ECS returns it (seen in
//     RunTask failures and service events).
//   "DistinctInstance placement constraint unsatisfied." — by analogy; not confirmed verbatim.
// A public RunTask response with count that cannot be placed lists one failure PER CONTAINER
// INSTANCE, each with the first reason that instance was rejected for, and no task entries
// for the unplaced ones, e.g. two instances short of CPU give two RESOURCE:CPU failures. Here:
// when a task cannot be placed, every active instance is rejected with its first reason
// (checked in the order CPU, MEMORY, PORTS, AGENT, ATTRIBUTE, memberOf, distinctInstance),
// placement stops (the state no longer changes, so the rest cannot be placed either) and
// those failures, in input order, are the plan's failures. DRAINING instances are skipped
// silently. With no ACTIVE instance at all, ECS answers InvalidParameterException "No
// Container Instances were found in your cluster." — returned here as InvalidArgument.
//
// Strategies: binpack(cpu|memory) keeps the instances with the LEAST remaining of that
// resource (still enough to run the task); spread(instanceId|host) the instances running the
// fewest tasks of the task's group; spread(attribute:<name>) the instances whose value of
// the attribute (missing = its own "" value) has the fewest tasks of the group across the
// active instances; random picks one uniformly. "Service tasks are spread based on the tasks
// from that service. Standalone tasks are spread based on the tasks from the same task
// group." Several strategies apply in order, each breaking the ties the previous one left;
// ties remaining at the end are broken at random (seeded). Defaults when none is given:
// standalone (RunTask) tasks are placed randomly; service tasks (group "service:...") are
// spread across attribute:ecs.availability-zone, then across instances ("favoring container
// instances with the fewest number of running tasks for this service").
//
// Constraints: memberOf(expression) keeps the instances matching the cluster query (task:group
// sees tasks placed earlier in the same call); distinctInstance keeps the instances that run
// no task of the task's group (including those placed earlier in the call) and takes no
// expression. At most 10 constraints and 5 strategies (RunTask's limits); anything malformed
// is InvalidArgument with the text an InvalidParameterException would carry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "scheduler/cluster_query.h"
#include "scheduler/instance.h"

namespace wharf::scheduler {

struct TaskShape {
  int64_t cpu = 0;     // CPU units the task reserves
  int64_t memory = 0;  // MiB the task reserves
  std::vector<int> host_ports;  // fixed, non-zero host ports (TCP)
  // "service:<name>" for service tasks, "family:<name>" by default for RunTask.
  std::string group;
  std::string task_definition_arn;
  std::vector<std::string> required_attributes;  // requiresAttributes names
};

struct Constraint {
  std::string type;        // "distinctInstance" | "memberOf"
  std::string expression;  // memberOf only
};

struct Strategy {
  std::string type;   // "binpack" | "spread" | "random"
  std::string field;  // binpack: cpu|memory; spread: instanceId|host|attribute:<name>
};

struct Failure {  // as in RunTask's `failures`
  std::string arn;
  std::string reason;
  std::string detail;  // empty, as ECS leaves it for placement failures
};

struct Plan {
  std::vector<std::string> instance_arns;  // one per placed task, in placement order
  std::vector<Failure> failures;           // empty when all `count` tasks were placed
};

// Places up to `count` tasks. Returns InvalidArgument for count < 0, a malformed constraint,
// strategy or expression, or when there is no ACTIVE instance (and count > 0).
Result<Plan> Place(const std::vector<Instance>& instances, const TaskShape& task, int count,
                   const std::vector<Constraint>& constraints,
                   const std::vector<Strategy>& strategies, uint64_t random_seed);

// Checks constraints and strategies alone (what CreateService/RunTask validate up front).
Status ValidatePlacement(const std::vector<Constraint>& constraints,
                         const std::vector<Strategy>& strategies);

}  // namespace wharf::scheduler
