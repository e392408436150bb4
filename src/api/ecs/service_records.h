// Service records: what the store keeps for an ECS service and what DescribeServices shows.
//
// A service is stored under ecs/services/<cluster>/<name> as the Service shape of the ECS
// model (deployments and events included, events newest first) plus a "_wharf" object that
// only the service controller reads and writes:
//   {"retiring": {<task id>: <deployment id retiring it>}   tasks leaving: drain, then stop
//    "failuresCounted": [<task id>...]                       tasks counted in failedTasks
//    "steady": bool                                          the steady-state event was told
//    "lastCompleted": <Deployment shape>}                    what a rollback returns to
// Each stored deployment also keeps its own "_loadBalancers" (kDeploymentLoadBalancers).
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "api/ecs/ecs.h"

namespace wharf::api::ecs {

inline constexpr size_t kMaxServiceEvents = 100;

// A deployment's own copy of the service's loadBalancers when it was made (not in the API's
// Deployment shape: PresentService leaves it out). Its tasks stay in those target groups
// while an UpdateService moves the service to others.
inline constexpr const char* kDeploymentLoadBalancers = "_loadBalancers";

std::string ServiceKey(std::string_view cluster, std::string_view name);

// A new PRIMARY deployment (IN_PROGRESS) of the service's current task definition, launch
// type or capacity provider strategy and network configuration.
boost::json::object NewDeployment(const EcsDeps& deps, const boost::json::object& service);

// The RunTask-shaped request that starts a task of `deployment` (group "service:<name>",
// startedBy the deployment id, tags as propagateTags says).
boost::json::object LaunchRequest(const boost::json::object& service, const boost::json::object& deployment,
                                  const boost::json::array& task_definition_tags);

// Adds an event (newest first, at most kMaxServiceEvents kept).
void AddServiceEvent(const EcsDeps& deps, boost::json::object& service, const std::string& message);

// The Service shape as DescribeServices answers it.
boost::json::object PresentService(const boost::json::object& record, bool with_tags);

// "arn:aws:elasticloadbalancing:...:targetgroup/<name>/<id>" -> "<name>".
std::string TargetGroupName(std::string_view arn);

}  // namespace wharf::api::ecs
