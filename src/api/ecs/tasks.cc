// Tasks: RunTask, StartTask, StopTask, DescribeTasks, ListTasks.
//
// RunTask and StartTask: the request is checked here, resolved and placed by the control
// plane (controlplane/task_launch.h: decided against a snapshot at one placement epoch), the
// plan committed in one transaction that re-checks the epoch, and the tasks shown. A commit
// that lost to another placement decides again. Agents learn their tasks from the store
// (controlplane/assignment_board.h).
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "controlplane/service_registries.h"
#include "model/task.h"
#include "api/ecs/handlers.h"
#include "api/ecs/task_launch.h"
#include "api/ecs/task_records.h"
#include "controlplane/task_roles.h"

namespace wharf::api::ecs {
namespace json = boost::json;

controlplane::TaskLaunchDeps LaunchDeps(const EcsDeps& deps) {
  return controlplane::TaskLaunchDeps{deps.store,
                                      deps.clock,
                                      deps.random,
                                      {deps.region, deps.account_id},
                                      deps.find_subnet,
                                      deps.security_group_exists,
                                      deps.find_default_security_group,
                                      deps.fargate_overcommit,
                                      deps.may_assume_role,
                                      deps.public_ip_pool};
}

controlplane::TaskLaunchRequest LaunchRequestFromInput(const json::object& in, int count) {
  controlplane::TaskLaunchRequest r;
  r.cluster = GetString(in, "cluster");
  r.task_definition = GetString(in, "taskDefinition");
  r.launch_type = GetString(in, "launchType");
  r.capacity_provider_strategy = GetArray(in, "capacityProviderStrategy");
  r.network_configuration = GetObject(in, "networkConfiguration");
  r.overrides = GetObject(in, "overrides");
  r.placement_constraints = GetArray(in, "placementConstraints");
  r.placement_strategy = GetArray(in, "placementStrategy");
  r.group = GetString(in, "group");
  r.started_by = GetString(in, "startedBy");
  r.tags = GetArray(in, "tags");
  r.count = count;
  return r;
}

AwsError LaunchError(const Status& status) {
  if (status.IsNotFound()) return ClusterNotFound();
  if (status.IsFailedPrecondition()) return ClientError(status.message());
  if (status.IsInvalidArgument()) return InvalidParameter(status.message());
  return EcsError(status);
}

std::optional<AwsError> CheckTaskLaunch(const EcsDeps& deps, const controlplane::TaskLaunchRequest& request) {
  // Not the roles: a service with a role ECS cannot assume is made, and says so in its events.
  auto launch = controlplane::ResolveTaskLaunch(LaunchDeps(deps), request);
  if (!launch.ok()) return LaunchError(launch.status());
  return std::nullopt;
}

namespace {

// Places and commits the launch's tasks, deciding again when another placement won.
Outcome PlaceAndCommit(const EcsDeps& deps, const controlplane::TaskLaunch& launch) {
  controlplane::TaskLaunchDeps launch_deps = LaunchDeps(deps);
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto plan = controlplane::PlanTaskLaunch(launch_deps, launch);
    if (!plan.ok()) return LaunchError(plan.status());
    if (!plan->tasks.empty()) {
      ASSIGN_OR_FAIL(store::TxnResult r, deps.store.Commit(plan->txn), EcsError);
      if (!r.succeeded) return store::kConflict;  // someone placed meanwhile: decide again
    }
    json::array tasks;
    for (const auto& t : plan->tasks) tasks.push_back(PresentTask(t.get_object()));
    return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(plan->failures)}};
  }).value_or(AwsError::Server("ServerException", "Too many concurrent placements; retry."));
}

std::optional<AwsError> CheckTaskRequest(const json::object& in) {
  if (GetString(in, "startedBy").size() > 128) return InvalidParameter("startedBy can be at most 128 characters.");
  if (auto err = CheckTags(GetArray(in, "tags"))) return err;
  if (GetBool(in, "enableExecuteCommand").value_or(false)) {
    return InvalidParameter("enableExecuteCommand is not supported by wharf.");
  }
  if (!GetArray(in, "volumeConfigurations").empty()) {
    return InvalidParameter("volumeConfigurations (Amazon EBS volumes) are not supported by wharf.");
  }
  return std::nullopt;
}

}  // namespace

Outcome RunTask(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckTaskRequest(in)) return *err;
  auto launch = controlplane::ResolveTaskLaunch(LaunchDeps(deps), LaunchRequestFromInput(in));
  if (!launch.ok()) return LaunchError(launch.status());
  if (Status roles = controlplane::CheckLaunchRoles(LaunchDeps(deps), *launch); !roles.ok()) return LaunchError(roles);
  int64_t count = GetInt(in, "count").value_or(1);
  if (count < 1 || count > 10) return InvalidParameter("count must be between 1 and 10.");
  launch->request.count = static_cast<int>(count);
  return PlaceAndCommit(deps, *launch);
}

Outcome StartTask(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckTaskRequest(in)) return *err;
  controlplane::TaskLaunchRequest request = LaunchRequestFromInput(in);
  request.launch_type = "EC2";
  auto launch = controlplane::ResolveTaskLaunch(LaunchDeps(deps), request);
  if (!launch.ok()) return LaunchError(launch.status());
  if (Status roles = controlplane::CheckLaunchRoles(LaunchDeps(deps), *launch); !roles.ok()) return LaunchError(roles);
  const json::array& refs = GetArray(in, "containerInstances");
  if (refs.empty() || refs.size() > 10) {
    return InvalidParameter("containerInstances must list between 1 and 10 container instances.");
  }
  // One task on each listed instance, as StartTask does.
  json::array tasks, failures;
  for (const auto& ref : refs) {
    launch->request.start_on = std::vector<std::string>{ShortId(ref.get_string())};
    Outcome one = PlaceAndCommit(deps, *launch);
    if (!one.ok()) return one;
    for (auto& t : one.output()["tasks"].as_array()) tasks.push_back(std::move(t));
    for (auto& f : one.output()["failures"].as_array()) failures.push_back(std::move(f));
  }
  return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

Outcome StopTask(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  std::string ref = GetString(in, "task");
  // The task leaves its service's Cloud Map services in the same commit that tells its node
  // to stop it (controlplane/service_registries.h), before its containers get SIGTERM.
  const std::string task_key = TaskKey(cluster, ShortId(ref));
  auto stopped = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto found, GetRecord(draft, task_key));
    if (!found) return store::Decision<Outcome>(InvalidParameter("The referenced task was not found."));
    json::object& task = *found;
    if (GetString(task, "desiredStatus") == "STOPPED") {
      return store::Decision<Outcome>(json::object{{"task", PresentTask(task)}});
    }
    task["desiredStatus"] = "STOPPED";
    task["stopCode"] = "UserInitiated";
    task["stoppedReason"] = GetString(in, "reason", "Task stopped by user");
    task["stoppingAt"] = NowSeconds(deps);
    task["version"] = GetInt(task, "version").value_or(0) + 1;
    RETURN_IF_ERROR(controlplane::DeregisterTaskInstances(draft, cluster, task));
    PutRecord(draft, task_key, task);
    return store::Decision<Outcome>(store::Commit(Outcome(json::object{{"task", PresentTask(task)}})));
  });
  ASSIGN_OR_FAIL(auto answer, std::move(stopped), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The task changed while stopping; retry."));
}

Outcome DescribeTasks(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  const json::array& refs = GetArray(in, "tasks");
  if (refs.empty()) return InvalidParameter("Tasks cannot be empty.");
  if (refs.size() > 100) return InvalidParameter("Tasks cannot have more than 100 entries.");
  bool with_tags = false;
  for (const auto& inc : GetArray(in, "include")) with_tags = with_tags || inc == "TAGS";
  json::array tasks, failures;
  for (const auto& v : refs) {
    std::string ref(v.get_string());
    ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, TaskKey(cluster, ShortId(ref))), EcsError);
    if (!found) {
      std::string arn = ref.substr(0, 4) == "arn:" ? ref : Arn(deps, "task/" + cluster + "/" + ref);
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    json::object task = PresentTask(found->value);
    if (!with_tags) task.erase("tags");
    tasks.push_back(std::move(task));
  }
  return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

Outcome ListTasks(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  if (Has(in, "serviceName") && Has(in, "family")) {
    return InvalidParameter("Family and serviceName filters cannot both be specified.");
  }
  std::string after;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto key = ReadNextToken(token);
    if (!key) return InvalidParameter("Invalid nextToken.");
    after = *key;
  }
  std::string instance = ShortId(GetString(in, "containerInstance"));
  std::string family = GetString(in, "family");
  std::string started_by = GetString(in, "startedBy");
  std::string service = GetString(in, "serviceName");
  std::string desired = GetString(in, "desiredStatus", "RUNNING");
  std::string launch_type = GetString(in, "launchType");
  // wharf runs no ECS daemons: a daemonName filter matches no task.
  if (Has(in, "daemonName")) return json::object{{"taskArns", json::array()}};
  ASSIGN_OR_FAIL(store::Page page, deps.store.List(TasksPrefix(cluster), after, 0), EcsError);
  json::array arns;
  std::string last;
  bool more = false;
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object task, ParseObject(kv.value), EcsError);
    model::TaskRecord t(task);
    if (!instance.empty() && t.container_instance_id() != instance) continue;
    if (!family.empty() && GetString(t.task_definition(), "family") != family) continue;
    if (!started_by.empty() && t.started_by() != started_by) continue;
    if (!service.empty() && t.group() != "service:" + service) continue;
    if (t.desired_status() != desired) continue;
    if (!launch_type.empty() && t.launch_type() != launch_type) continue;
    if (arns.size() == page_size) {
      more = true;
      break;
    }
    arns.push_back(task["taskArn"]);
    last = kv.key;
  }
  json::object out{{"taskArns", std::move(arns)}};
  if (more) out["nextToken"] = MakeNextToken(last);
  return out;
}

}  // namespace wharf::api::ecs
