// Task launches: what RunTask, StartTask and the service scheduler ask to start, resolved
// against the store and checked (ResolveTaskLaunch), then placed (PlanTaskLaunch).
//
// A launch is decided, not committed (STYLE.md 10): the plan carries the transaction that
// writes the tasks and their awsvpc address claims and re-checks the placement epoch
// (ecs/placement-epoch, rewritten by every placement), so two concurrent placements never
// both take the last free memory of an instance. The caller commits the plan, alone (RunTask)
// or with its own writes (the service controller), and decides again when the commit fails.
//
// Errors are Status classes with ECS's messages; src/api turns them into ECS errors:
//   NotFound            the cluster does not exist or is not ACTIVE
//   FailedPrecondition  the task definition is missing or being deleted (ClientException)
//   InvalidArgument     a parameter ECS refuses (InvalidParameterException)
//   Unavailable/Internal the store.
// Thread-safety: the functions are reentrant; `deps` is read only.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "base/status.h"
#include "model/arn.h"
#include "scheduler/cluster_query.h"
#include "scheduler/fargate_capacity.h"
#include "scheduler/placement.h"
#include "store/store.h"

namespace wharf::controlplane {

// A VPC subnet as awsvpc tasks need it (the EC2 API owns subnets).
struct SubnetInfo {
  std::string id;
  std::string cidr;  // "172.31.0.0/20"
  std::string vpc_id;
  std::string availability_zone;
  // Some route table of its VPC sends 0.0.0.0/0 to an internet or NAT gateway: the node lets
  // the VPC's tasks out through the host (a VPC without either reaches nothing outside).
  bool vpc_reaches_outside = false;
  // The VPC's resolver address (model::VpcResolverAddress), what the task's resolv.conf names;
  // "" when the VPC's enableDnsSupport is off.
  std::string vpc_resolver{};
};

struct TaskLaunchDeps {
  store::Store& store;
  Clock& clock;
  Random& random;
  model::ArnScope scope;
  // Looks a subnet / security group up by id; empty functions: no VPC (awsvpc refused).
  std::function<Result<std::optional<SubnetInfo>>(const std::string& id)> find_subnet;
  std::function<Result<bool>(const std::string& id)> security_group_exists;
  // The id of a VPC's default security group (awsvpc tasks given none get it, as on AWS).
  std::function<Result<std::string>(const std::string& vpc_id)> find_default_security_group;
  // How many times its registered CPU and memory a node offers FARGATE tasks (>= 1;
  // scheduler/fargate_capacity.h). EC2 placement is not affected.
  double fargate_overcommit = scheduler::kDefaultFargateOvercommit;
  // Whether ECS may assume a task's role or execution role (FailedPrecondition with ECS's
  // message when not: controlplane/task_roles.h); empty: every role may be assumed.
  std::function<Status(std::string_view role_arn)> may_assume_role = nullptr;
  // The addresses the host plays as the internet's (`wharf server --public-ip-pool`): an
  // awsvpc task with assignPublicIp ENABLED gets one, claimed under ec2/public-ips/ beside
  // the elastic IPs, released when it stops. Empty: ENABLED is refused.
  std::string public_ip_pool{};
  // Whether ECS may assume a blue/green load balancer's advancedConfiguration.roleArn (as
  // ecs.amazonaws.com) and do `actions` ({action, resource}) as it, before it shifts traffic
  // (FailedPrecondition with the reason when not); empty: every role may.
  std::function<Status(std::string_view role_arn, const std::vector<std::pair<std::string, std::string>>& actions)>
      may_act_as_role = nullptr;
};

// What is asked: RunTask's and StartTask's input, or a service deployment's.
struct TaskLaunchRequest {
  std::string cluster;          // name or ARN; empty: "default"
  std::string task_definition;  // family, family:revision or ARN
  std::string launch_type;      // empty: from the strategy or the cluster's default
  boost::json::array capacity_provider_strategy;
  boost::json::object network_configuration;  // {"awsvpcConfiguration": ...}
  boost::json::object overrides;
  boost::json::array placement_constraints;
  boost::json::array placement_strategy;
  std::string group;  // empty: "family:<family>"
  std::string started_by;
  boost::json::array tags;
  int count = 1;
  // EC2 only: one task on each of these container instance ids (StartTask, a DAEMON service).
  std::optional<std::vector<std::string>> start_on;
};

// A request resolved and checked.
struct TaskLaunch {
  TaskLaunchRequest request;
  std::string cluster;  // its name
  boost::json::object task_definition;
  std::string launch_type;        // EC2 | FARGATE
  std::string capacity_provider;  // set when a strategy chose it
  std::vector<SubnetInfo> subnets;  // awsvpc
  boost::json::array security_groups;
  bool assign_public_ip = false;  // awsvpcConfiguration.assignPublicIp ENABLED
};

Result<TaskLaunch> ResolveTaskLaunch(const TaskLaunchDeps& deps, const TaskLaunchRequest& request);

struct TaskLaunchPlan {
  store::Txn txn;               // empty when nothing was placed
  boost::json::array tasks;     // the stored task records (with "_wharf"), as txn writes them
  boost::json::array failures;  // RunTask's `failures` for what could not be placed
};

// Decides where the launch's tasks go against a snapshot read at the placement epoch.
Result<TaskLaunchPlan> PlanTaskLaunch(const TaskLaunchDeps& deps, const TaskLaunch& launch);

// A presented ContainerInstance (model::PresentContainerInstance: remaining resources filled
// in) as the scheduler sees it; `tasks` are the cluster's task records (others' are skipped).
scheduler::Instance InstanceSnapshot(const boost::json::object& container_instance,
                                     const std::vector<boost::json::object>& tasks);

// ListContainerInstances' filter: an expression of the cluster query language, matched as
// placement constraints match (scheduler/cluster_query.h).
class ContainerInstanceFilter {
 public:
  // InvalidArgument, in ECS's words, when `expression` is not in the language.
  static Result<ContainerInstanceFilter> Parse(std::string_view expression);
  bool Matches(const boost::json::object& container_instance, const std::vector<boost::json::object>& tasks) const;

 private:
  explicit ContainerInstanceFilter(scheduler::ClusterQuery query) : query_(std::move(query)) {}
  scheduler::ClusterQuery query_;
};

// The default of `wharf server --fargate-overcommit` (scheduler/fargate_capacity.h).
inline constexpr double kDefaultFargateOvercommit = scheduler::kDefaultFargateOvercommit;

}  // namespace wharf::controlplane
