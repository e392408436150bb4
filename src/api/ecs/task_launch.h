// Task launches for callers other than RunTask: the service controller places the tasks of a
// deployment through the same checks, placement and records as RunTask.
//
// A launch is decided, not committed: the plan carries the transaction that writes the tasks
// and their awsvpc address claims and re-checks the placement epoch (STYLE.md 10), so the
// caller commits it together with its own writes, and decides again when the commit fails.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>
#include <variant>

#include "api/aws_error.h"
#include "api/ecs/ecs.h"
#include "store/store.h"

namespace wharf::api::ecs {

struct TaskLaunchPlan {
  store::Txn txn;             // empty when nothing was placed
  boost::json::array tasks;   // the stored task records (with "_wharf"), as txn writes them
  boost::json::array failures;  // RunTask's `failures` for what could not be placed
};

// `request` is shaped as RunTask's input (cluster, taskDefinition, launchType or
// capacityProviderStrategy, networkConfiguration, group, startedBy, tags, placement...).
// `start_on`, when given, limits EC2 placement to those container instance ids, one task on
// each (a DAEMON service's missing tasks); `count` is then ignored.
std::variant<TaskLaunchPlan, AwsError> PlanTaskLaunch(const EcsDeps& deps, const boost::json::object& request,
                                                      int count, const std::vector<std::string>* start_on = nullptr);

// RunTask's checks of such a request without placing anything (CreateService, UpdateService).
std::optional<AwsError> CheckTaskLaunch(const EcsDeps& deps, const boost::json::object& request);

}  // namespace wharf::api::ecs
