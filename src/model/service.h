// ECS service records: ecs/services/<cluster>/<name> holds the Service shape of the ECS model
// (deployments and events included, events newest first) plus a "_wharf" object that only the
// service controller reads and writes (docs/STATE.md):
//   {"retiring": {<task id>: <deployment id retiring it>}   tasks leaving: drain, then stop
//    "failuresCounted": [<task id>...]                       tasks counted in failedTasks
//    "steady": bool                                          the steady-state event was told
//    "lastCompleted": <Deployment shape>                     what a rollback returns to
//    "throttle": {deployment, failures, launchAfter}}        launches held back after failures
// Each stored deployment also keeps its own "_loadBalancers" (kDeploymentLoadBalancers) and
// "_serviceDeployment" (kServiceDeployment): the service deployment it carries out. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.h"

namespace wharf::model {

inline constexpr size_t kMaxServiceEvents = 100;

// A deployment's own copy of the service's loadBalancers when it was made (not in the API's
// Deployment shape: PresentService leaves it out). Its tasks stay in those target groups
// while an UpdateService moves the service to others.
inline constexpr const char* kDeploymentLoadBalancers = "_loadBalancers";

// A deployment's service deployment (controlplane/service_deployments.h): {id, target: the
// service revision id it deploys, createdAt, sources: [service revision ids it replaces],
// rollback?: {reason, startedAt, serviceRevisionArn}, stopRequested?: "ROLLBACK"}.
inline constexpr const char* kServiceDeployment = "_serviceDeployment";
// A blue/green deployment's progress (controlplane/blue_green.h): {stage: its lifecycle stage,
// since: when it entered it, hooks: [{hookId, stage, status, expiresAt, timeoutAction}]}.
inline constexpr const char* kDeploymentBlueGreen = "_blueGreen";
// The service's ended service deployments (ServiceDeployment shapes, newest first), and the
// revisions they name by id (ServiceRevision shapes).
inline constexpr const char* kServiceDeploymentHistory = "_serviceDeployments";
inline constexpr const char* kServiceRevisions = "_serviceRevisions";

// A deployment's service revision id: the digits of its id ("ecs-svc/<digits>"), as ECS's
// revision ARNs end in them.
std::string ServiceRevisionId(const boost::json::object& deployment);
// The id a service revision ARN ends in.
std::string ServiceRevisionIdOfArn(std::string_view arn);
// arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>, and
// .../service-revision/<cluster>/<service>/<id>, from the service's ARN.
std::string ServiceDeploymentArn(std::string_view service_arn, std::string_view id);
std::string ServiceRevisionArn(std::string_view service_arn, std::string_view revision_id);

// A new PRIMARY deployment (IN_PROGRESS) of the service's current task definition, launch
// type or capacity provider strategy and network configuration, made at `now`.
boost::json::object NewDeployment(Random& random, double now, const boost::json::object& service);

// The service controller's own part of a service record ("_wharf", drawn above), typed.
struct ServiceControllerState {
  std::map<std::string, std::string> retiring;  // task id -> the deployment retiring it
  std::vector<std::string> failures_counted;    // oldest first
  bool steady = false;
  boost::json::object last_completed;  // a Deployment shape; empty before the first completes
  std::string throttle_deployment;     // launches held back after failures
  int throttle_failures = 0;
  double throttle_launch_after = 0;    // seconds since the epoch; 0: not held back

  // Missing or mistyped parts read as their defaults.
  static ServiceControllerState Of(const boost::json::object& service);
  // Writes it into `service`, keeping at most `max_failures_remembered` counted failures.
  void WriteTo(boost::json::object& service, size_t max_failures_remembered) const;
};

// Adds an event made at `now` (newest first, at most kMaxServiceEvents kept).
void AddServiceEvent(Random& random, double now, boost::json::object& service, const std::string& message);

// The Service shape as DescribeServices answers it, made from the stored record (moved in
// where the caller has no further use for it: copying a record cost more than the rest of
// DescribeServices).
boost::json::object PresentService(boost::json::object record, bool with_tags);

}  // namespace wharf::model
