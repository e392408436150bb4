// Service deployments and service revisions, as ECS tells a service's history
// (ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
// StopServiceDeployment), made from the deployments the service controller already runs.
//
// Each UpdateService that starts a new PRIMARY deployment starts a service deployment: it is
// kept on that deployment (model::kServiceDeployment) while it is live, and its status follows
// the deployment's rollout state:
//   IN_PROGRESS -> IN_PROGRESS (ROLLBACK_REQUESTED once StopServiceDeployment asked)
//   COMPLETED   -> SUCCESSFUL
//   FAILED      -> STOPPED (the circuit breaker, with nothing to roll back to)
// A rollback (the circuit breaker's or a stop's) carries the service deployment over to the
// deployment that rolls back, where it is ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL or
// ROLLBACK_FAILED. When a newer service deployment starts, the previous one ends (STOPPED if it
// had not finished) and moves to the service record's history, with the revisions it names:
// the history lives in the service record, so it is written in the same transaction as the
// change that ends it, and goes when the service goes.
//
// Thread-safety: reentrant (pure functions of their arguments).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.h"

namespace wharf::controlplane {

// How many ended service deployments a service remembers.
inline constexpr size_t kServiceDeploymentHistory = 50;

// Starts the service deployment of the service's new PRIMARY deployment (deployments[0]),
// ending the one the previous deployments carried, at `now` (seconds).
void BeginServiceDeployment(Random& random, double now, boost::json::object& service);

// Every service deployment of the service, in the ServiceDeployment shape, newest first.
std::vector<boost::json::object> ServiceDeploymentsOf(const boost::json::object& service);

// The ServiceDeploymentBrief shape of a ServiceDeployment.
boost::json::object ServiceDeploymentBrief(const boost::json::object& deployment);

// The ServiceRevision of the service with that id (the digits its ARN ends in), without
// containerImages (the caller adds them from its task definition).
std::optional<boost::json::object> ServiceRevisionOf(const boost::json::object& service, std::string_view id);

// StopServiceDeployment(ROLLBACK): marks the live service deployment `id` for a rollback, which
// the service controller carries out. The error message of ECS's ConflictException when it
// cannot be stopped.
std::optional<std::string> RequestServiceDeploymentRollback(boost::json::object& service, std::string_view id);

// ContinueServiceDeployment: the PAUSE hook `hook_id` of the live blue/green service deployment
// `id`, awaiting action at its stage, is resolved: CONTINUE lets the deployment go on, ROLLBACK
// marks it for a rollback as StopServiceDeployment does. The error message when it cannot be.
std::optional<std::string> ContinuePausedHook(boost::json::object& service, std::string_view id,
                                              std::string_view hook_id, std::string_view action);

// Whether the PRIMARY deployment's service deployment asks for a rollback.
bool RollbackRequested(const boost::json::object& primary);

// The controller's rollback: `back` (the new PRIMARY) takes over the service deployment of
// `failed` (the PRIMARY that failed), which rolls back to the revision `target` deployed.
void CarryServiceDeploymentToRollback(double now, boost::json::object& failed, boost::json::object& back,
                                      const boost::json::object& target, std::string_view service_arn,
                                      std::string_view reason);

// Where a service deployment or revision ARN points. Empty when the ARN is not of that kind
// ("service-deployment" or "service-revision").
struct ServiceChildRef {
  std::string cluster;
  std::string service;
  std::string id;
};
ServiceChildRef ParseServiceChildArn(std::string_view arn, std::string_view kind);

}  // namespace wharf::controlplane
