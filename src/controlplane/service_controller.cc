#include "controlplane/service_controller.h"

#include <boost/json/array.hpp>
#include <algorithm>
#include <set>

#include "base/logging.h"
#include "controlplane/blue_green.h"
#include "controlplane/records.h"
#include "controlplane/service_deployments.h"
#include "controlplane/service_reconciler.h"
#include "controlplane/service_registries.h"
#include "controlplane/task_roles.h"
#include "model/arn.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/service.h"
#include "model/target_group.h"
#include "model/task.h"

namespace wharf::controlplane {
namespace json = boost::json;
using model::kDeploymentBlueGreen;
using model::kDeploymentLoadBalancers;
using model::ShortId;

namespace {

constexpr size_t kMaxFailuresRemembered = 500;
constexpr int kMaxStartsPerRound = 10;  // RunTask's own limit

using Stored = StoredRecord;

std::string TargetGroupKey(const std::string& arn) { return model::keys::TargetGroupKey(model::TargetGroupName(arn)); }

double NowSeconds(const TaskLaunchDeps& deps) { return EpochSeconds(deps.clock.Now()); }
int64_t NowMs(const TaskLaunchDeps& deps) { return static_cast<int64_t>(NowSeconds(deps) * 1000); }

void AddServiceEvent(const TaskLaunchDeps& deps, json::object& service, const std::string& message) {
  model::AddServiceEvent(deps.random, NowSeconds(deps), service, message);
}

// Where a task answers for one load balancer entry: the awsvpc address and the container
// port (an ip target), or (bridge, host) its node's EC2 instance id and the host port its
// container got (an instance target, as ECS registers them). Empty while not known yet.
std::optional<std::pair<std::string, int>> TargetAddress(const model::TaskRecord& task, const json::object& lb) {
  int container_port = static_cast<int>(GetInt(lb, "containerPort").value_or(0));
  if (task.network_mode() == "awsvpc") {
    auto eni = task.eni();
    if (!eni) return std::nullopt;
    return std::make_pair(eni->ip, container_port);
  }
  auto host_port = task.host_port(GetString(lb, "containerName"), container_port);
  if (!host_port) return std::nullopt;
  return std::make_pair(task.node(), *host_port);
}

// The load balancers a task of `deployment_id` belongs in: those its deployment was made with
// (UpdateService may change the service's since), else the service's.
const json::array& LoadBalancersOf(const json::object& service, const std::string& deployment_id) {
  for (const auto& d : GetArray(service, "deployments")) {
    if (GetString(d.get_object(), "id") == deployment_id && d.get_object().contains(kDeploymentLoadBalancers)) {
      return GetArray(d.get_object(), kDeploymentLoadBalancers);
    }
  }
  return GetArray(service, "loadBalancers");
}

// Every target group the service's deployments use.
std::set<std::string> TargetGroupsOf(const json::object& service) {
  std::set<std::string> arns;
  for (const auto& lb : GetArray(service, "loadBalancers")) arns.insert(GetString(lb.get_object(), "targetGroupArn"));
  for (const auto& d : GetArray(service, "deployments")) {
    for (const auto& lb : GetArray(d.get_object(), kDeploymentLoadBalancers)) {
      arns.insert(GetString(lb.get_object(), "targetGroupArn"));
    }
  }
  return arns;
}

ServiceView MakeView(const ServiceControllerDeps& deps, const json::object& service,
                                   const std::map<std::string, Stored>& tasks,
                                   const std::map<std::string, Stored>& groups) {
  ServiceView v;
  const model::ServiceControllerState state = model::ServiceControllerState::Of(service);
  const json::object& config = GetObject(service, "deploymentConfiguration");
  const json::object& breaker = GetObject(config, "deploymentCircuitBreaker");
  v.name = GetString(service, "serviceName");
  v.deleting = GetString(service, "status") == "DRAINING";
  v.desired_count = static_cast<int>(GetInt(service, "desiredCount").value_or(0));
  v.minimum_healthy_percent = static_cast<int>(GetInt(config, "minimumHealthyPercent").value_or(100));
  v.maximum_percent = static_cast<int>(GetInt(config, "maximumPercent").value_or(200));
  v.circuit_breaker = GetBool(breaker, "enable").value_or(false);
  v.rollback = GetBool(breaker, "rollback").value_or(false);
  v.health_check_grace_seconds = static_cast<int>(GetInt(service, "healthCheckGracePeriodSeconds").value_or(0));
  for (const auto& d : GetArray(service, "deployments")) {
    v.deployments.push_back({GetString(d.get_object(), "id"), GetString(d.get_object(), "rolloutState"),
                             static_cast<int>(GetInt(d.get_object(), "failedTasks").value_or(0)),
                             RollbackRequested(d.get_object())});
  }
  v.now = NowSeconds(deps.launch);
  if (!v.deployments.empty() && v.deployments.front().rollout_state == "IN_PROGRESS") {
    v.blue_green = BlueGreenViewOf(service, v.now, v.deployments.front().rollback_requested);
    // Before each traffic shift ECS assumes the load balancers' roles to change the rules.
    const int stage = BlueGreenStageIndex(v.blue_green.stage);
    if (v.blue_green.active && deps.launch.may_act_as_role && stage >= BlueGreenStageIndex("SCALE_UP") &&
        stage <= BlueGreenStageIndex("POST_TEST_TRAFFIC_SHIFT")) {
      for (const RoleUse& use : BlueGreenRoleUses(service)) {
        // Only a refusal fails the deployment; a store that did not answer is asked next round.
        Status allowed = deps.launch.may_act_as_role(use.role_arn, use.actions);
        if (allowed.IsFailedPrecondition()) {
          v.blue_green.role_refusal = allowed.message();
          break;
        }
      }
    }
  }
  v.last_completed_id = GetString(state.last_completed, "id");
  v.retiring = state.retiring;
  v.failures_counted.insert(state.failures_counted.begin(), state.failures_counted.end());
  v.steady = state.steady;
  v.throttle = {state.throttle_deployment, state.throttle_failures, state.throttle_launch_after};
  int64_t now_ms = NowMs(deps.launch);

  std::map<std::string, std::map<std::pair<std::string, int>, std::string>> health;
  for (const auto& arn : TargetGroupsOf(service)) {
    if (deps.target_health) health[arn] = deps.target_health(arn);
  }
  for (const auto& [id, stored] : tasks) {
    model::TaskRecord t(stored.value);
    TaskView task;
    task.id = id;
    task.deployment_id = t.started_by();
    task.last_status = t.last_status();
    task.desired_status = t.desired_status();
    task.stop_code = t.stop_code();
    task.started_at = t.started_at();
    task.has_container_health_check = t.has_container_health_check();
    task.protected_until = t.protected_until();
    task.health_status = t.health_status();
    const json::array& load_balancers = LoadBalancersOf(service, task.deployment_id);
    task.load_balancers = static_cast<int>(load_balancers.size());
    for (const auto& lb : load_balancers) {
      auto address = TargetAddress(t, lb.get_object());
      if (!address) continue;
      TaskTarget target;
      target.target_group_arn = GetString(lb.get_object(), "targetGroupArn");
      target.id = address->first;
      target.port = address->second;
      auto group = groups.find(TargetGroupKey(target.target_group_arn));
      if (group != groups.end()) {
        for (const model::RegisteredTarget& entry : model::TargetGroupRecord(group->second.value).targets()) {
          if (entry.id != target.id || entry.port != target.port) continue;
          target.registration = !entry.draining()         ? TaskTarget::Registration::kRegistered
                                : !entry.DrainedBy(now_ms) ? TaskTarget::Registration::kDraining
                                                           : TaskTarget::Registration::kDrained;
          // Drained before the delay: the data plane completes a deregistration as soon as
          // nothing is in flight to the target, and then no longer lists it (AWS: "If a
          // deregistering target has no in-flight requests and no active connections, Elastic
          // Load Balancing immediately completes the deregistration process"). The store
          // keeps the deadline, so DescribeTargetHealth still says draining until the delay
          // ends, as AWS shows it.
          if (target.registration == TaskTarget::Registration::kDraining && deps.target_health &&
              !health[target.target_group_arn].count({target.id, static_cast<int>(target.port)})) {
            target.registration = TaskTarget::Registration::kDrained;
          }
        }
      }
      auto h = health[target.target_group_arn].find({target.id, target.port});
      target.health = h == health[target.target_group_arn].end() ? "initial" : h->second;
      task.targets.push_back(std::move(target));
    }
    v.tasks.push_back(std::move(task));
  }
  return v;
}

std::string RollbackReason(const Decision& d) {
  if (!d.failure_reason.empty()) return d.failure_reason;
  return d.stop_requested ? "A rollback was requested by StopServiceDeployment."
                          : "The deployment circuit breaker failed the deployment.";
}

// What heads a failed deployment's rolloutStateReason and its rollback's.
const char* FailureHead(const Decision& d) {
  if (!d.failure_reason.empty()) return "Service deployment failed";
  return d.stop_requested ? "Service deployment stopped" : "ECS deployment circuit breaker";
}

// The decision's changes to the service record itself (not its tasks).
void ApplyToService(const TaskLaunchDeps& deps, const Decision& d, json::object& service) {
  model::ServiceControllerState state = model::ServiceControllerState::Of(service);
  for (const auto& [id, by] : d.retire) state.retiring[id] = by;
  for (const auto& id : d.forget) state.retiring.erase(id);
  state.failures_counted.insert(state.failures_counted.end(), d.failures_counted.begin(), d.failures_counted.end());
  state.steady = d.steady;
  state.throttle_deployment = d.throttle.deployment_id;
  state.throttle_failures = d.throttle.failures;
  state.throttle_launch_after = d.throttle.launch_after;

  double now = NowSeconds(deps);
  json::array deployments;
  for (auto& value : service["deployments"].as_array()) {
    json::object& dep = value.as_object();
    std::string id = GetString(dep, "id");
    if (std::find(d.remove_deployments.begin(), d.remove_deployments.end(), id) != d.remove_deployments.end()) continue;
    auto counts = d.counts.count(id) ? d.counts.at(id) : Decision::Counts{};
    int64_t failed = GetInt(dep, "failedTasks").value_or(0) + (d.new_failures.count(id) ? d.new_failures.at(id) : 0);
    if (GetInt(dep, "runningCount") != counts.running || GetInt(dep, "pendingCount") != counts.pending ||
        GetInt(dep, "failedTasks") != failed) {
      dep["runningCount"] = counts.running;
      dep["pendingCount"] = counts.pending;
      dep["failedTasks"] = failed;
      dep["updatedAt"] = now;
    }
    deployments.push_back(std::move(dep));
  }
  if (!deployments.empty()) {
    json::object& primary = deployments[0].as_object();
    primary["desiredCount"] = service["desiredCount"];
    if (d.fail_primary) {
      primary["rolloutState"] = "FAILED";
      primary["rolloutStateReason"] = !d.failure_reason.empty() ? "Service deployment failed: " + d.failure_reason
                                      : d.stop_requested ? std::string("Service deployment stopped: a rollback was requested.")
                                                         : std::string("ECS deployment circuit breaker: tasks failed to start.");
      primary["updatedAt"] = now;
    }
    if (!d.blue_green_stage.empty()) EnterBlueGreenStage(deps.random, service, d.blue_green_stage, now, primary);
    TimeOutPauseHooks(now, primary);
    if (d.complete_primary) {
      primary["rolloutState"] = "COMPLETED";
      primary["rolloutStateReason"] = "ECS deployment " + GetString(primary, "id") + " completed.";
      primary["updatedAt"] = now;
      state.last_completed = primary;
    }
  }
  if (d.roll_back && !deployments.empty() && IsBlueGreen(service) &&
      RepromoteBlue(now, state.last_completed, FailureHead(d), RollbackReason(d), service, deployments)) {
    state.steady = false;
  } else if (d.roll_back && !deployments.empty()) {
    const json::object target = state.last_completed;
    for (const char* field : {"taskDefinition", "launchType", "capacityProviderStrategy", "platformVersion",
                              "networkConfiguration"}) {
      if (Has(target, field)) service[field] = target.at(field);
    }
    // A blue/green service keeps its load balancers as given: the target group is the deployment's.
    if (Has(target, kDeploymentLoadBalancers) && !IsBlueGreen(service)) service["loadBalancers"] = target.at(kDeploymentLoadBalancers);
    json::object back = model::NewDeployment(deps.random, NowSeconds(deps), service);
    if (Has(target, kDeploymentLoadBalancers)) back[kDeploymentLoadBalancers] = target.at(kDeploymentLoadBalancers);
    back["rolloutStateReason"] = std::string(FailureHead(d)) +
                                 ": rolling back to deploymentId " + GetString(target, "id") + ".";
    CarryServiceDeploymentToRollback(now, deployments[0].as_object(), back, target, GetString(service, "serviceArn"),
                                     RollbackReason(d));
    deployments[0].as_object()["status"] = "ACTIVE";
    deployments.insert(deployments.begin(), std::move(back));
    state.steady = false;
  }
  state.WriteTo(service, kMaxFailuresRemembered);
  service["deployments"] = std::move(deployments);
  service["runningCount"] = d.total.running;
  service["pendingCount"] = d.total.pending;
  if (d.inactive) service["status"] = "INACTIVE";
  for (const auto& message : d.events) AddServiceEvent(deps, service, message);
}

// Adds an event unless the newest one already says it (placement failures repeat each round).
void AddEventOnce(const TaskLaunchDeps& deps, json::object& service, const std::string& message) {
  const json::array& events = GetArray(service, "events");
  if (!events.empty() && GetString(events[0].get_object(), "message") == message) return;
  AddServiceEvent(deps, service, message);
}

// Whether a service needs nothing soon: one deployment, steady; or its launches are throttled
// for a while yet. Otherwise rounds come faster.
bool Settled(const TaskLaunchDeps& deps, const json::object& service) {
  model::ServiceControllerState state = model::ServiceControllerState::Of(service);
  if (state.throttle_launch_after > NowSeconds(deps) + 1) return true;
  return GetArray(service, "deployments").size() <= 1 && state.steady;
}

// A task Cloud Map may answer with: RUNNING, staying, and healthy as the service judges it
// (its container health check, its targets in every target group).
bool Discoverable(const TaskView& t, const Decision& d, const model::ServiceControllerState& state) {
  if (t.last_status != "RUNNING" || t.desired_status != "RUNNING") return false;
  if (d.stop.count(t.id) || d.retire.count(t.id) || state.retiring.count(t.id)) return false;
  if (t.has_container_health_check && t.health_status != "HEALTHY") return false;
  if (static_cast<int>(t.targets.size()) < t.load_balancers) return false;
  return std::all_of(t.targets.begin(), t.targets.end(), [](const TaskTarget& target) {
    return target.registration == TaskTarget::Registration::kRegistered && target.health == "healthy";
  });
}

// The service's tasks registered in, and retired tasks removed from, its Cloud Map services
// (service_registries.h), in the round's transaction: a task told to stop leaves them in the
// same commit.
Status AddServiceRegistryChanges(const TaskLaunchDeps& ecs, const std::string& cluster, const json::object& service,
                                 const ServiceView& view, const Decision& d, const std::map<std::string, Stored>& tasks,
                                 store::Txn& txn) {
  const json::array& registries = GetArray(service, "serviceRegistries");
  if (registries.empty()) return Status::OK();
  const model::ServiceControllerState state = model::ServiceControllerState::Of(service);
  std::string name = GetString(service, "serviceName");
  for (const auto& r : registries) {
    const json::object& registry = r.get_object();
    ASSIGN_OR_RETURN(auto snapshot, ReadCloudMapService(ecs.store, CloudMapServiceId(GetString(registry, "registryArn"))));
    if (!snapshot) continue;  // the Cloud Map service was deleted: nothing to keep there
    std::vector<RegistryTask> registry_tasks;
    for (const TaskView& t : view.tasks) {
      auto stored = tasks.find(t.id);
      if (stored == tasks.end()) continue;
      RegistryTask rt{t.id, Discoverable(t, d, state), {}};
      if (rt.wanted) rt.attributes = TaskInstanceAttributes(stored->second.value, registry, cluster, name, ecs.scope.region);
      registry_tasks.push_back(std::move(rt));
    }
    std::map<std::string, json::object> existing;
    for (const auto& [id, record] : snapshot->instances) existing[id] = record.value;
    AddRegistrationOps(*snapshot, DecideRegistrations(registry_tasks, existing, cluster, name), ecs.scope.account_id, txn);
  }
  return Status::OK();
}

struct ServiceRound {
  bool committed = false;
  bool settled = true;
};

Result<ServiceRound> ReconcileService(const ServiceControllerDeps& deps, const std::string& cluster,
                                      const std::string& key) {
  const TaskLaunchDeps& ecs = deps.launch;
  ASSIGN_OR_RETURN(auto found, ReadRecord(ecs.store, key));
  if (!found) return ServiceRound{};
  const json::object& before = found->value;
  std::string status = GetString(before, "status");
  if (status != "ACTIVE" && status != "DRAINING") return ServiceRound{};
  std::string group = "service:" + GetString(before, "serviceName");

  std::map<std::string, Stored> tasks;  // task id -> record
  ASSIGN_OR_RETURN(store::Page page, ecs.store.List(model::keys::TasksPrefix(cluster), "", 0));
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object task, ParseObject(kv.value));
    if (model::TaskRecord(task).group() != group) continue;
    tasks[kv.key.substr(model::keys::TasksPrefix(cluster).size())] = Stored{kv.key, std::move(task), kv.mod_revision};
  }
  std::map<std::string, Stored> groups;  // target group key -> record
  for (const auto& arn : TargetGroupsOf(before)) {
    std::string tg_key = TargetGroupKey(arn);
    ASSIGN_OR_RETURN(auto tg, ReadRecord(ecs.store, tg_key));
    if (tg) groups[tg_key] = std::move(*tg);
  }

  // A DAEMON service wants one task on each ACTIVE container instance.
  const bool daemon = GetString(before, "schedulingStrategy") == "DAEMON";
  std::vector<std::string> instances;
  json::object seen = before;
  if (daemon) {
    ASSIGN_OR_RETURN(auto records, LoadContainerInstances(ecs.store, cluster));
    for (const auto& r : records) {
      const json::object& ci = GetObject(r, "containerInstance");
      if (GetString(ci, "status") == "ACTIVE") instances.push_back(ShortId(GetString(ci, "containerInstanceArn")));
    }
    if (status == "ACTIVE") seen["desiredCount"] = static_cast<int64_t>(instances.size());
  }
  ServiceView view = MakeView(deps, seen, tasks, groups);
  Decision d = Reconcile(view);
  json::object service = seen;
  ApplyToService(ecs, d, service);

  store::Txn txn;
  txn.compares.push_back({key, found->mod_revision});
  if (d.start > 0 && !GetArray(service, "deployments").empty()) {
    const json::object& primary = GetArray(service, "deployments")[0].get_object();
    json::array td_tags;
    if (GetString(service, "propagateTags") == "TASK_DEFINITION") {
      // "arn:...:task-definition/<family>:<revision>" -> the stored revision and its tags.
      std::string ref = ShortId(GetString(primary, "taskDefinition"));
      size_t colon = ref.rfind(':');
      if (colon != std::string::npos) {
        ASSIGN_OR_RETURN(auto td, ReadRecord(ecs.store, model::keys::TaskDefinitionKey(
                                                            ref.substr(0, colon), std::atoll(ref.c_str() + colon + 1))));
        if (td) td_tags = GetArray(td->value, "tags");
      }
    }
    TaskLaunchRequest request = DeploymentLaunchRequest(service, primary, td_tags);
    request.cluster = cluster;
    request.count = std::min(d.start, kMaxStartsPerRound);
    if (daemon) {
      // DAEMON: the instances without a task of the PRIMARY deployment.
      std::set<std::string> covered;
      for (const auto& [id, t] : tasks) {
        model::TaskRecord task(t.value);
        if (task.started_by() == GetString(primary, "id") && task.desired_status() == "RUNNING" &&
            !d.retire.count(id) && !model::ServiceControllerState::Of(service).retiring.count(id)) {
          covered.insert(ShortId(task.container_instance_arn()));
        }
      }
      request.start_on.emplace();
      for (const auto& id : instances) {
        if (!covered.count(id) && static_cast<int>(request.start_on->size()) < request.count) {
          request.start_on->push_back(id);
        }
      }
    }
    auto launch = ResolveTaskLaunch(ecs, request);
    // A role ECS cannot assume launches nothing; the event says so in ECS's words.
    Status roles = launch.ok() ? CheckLaunchRoles(ecs, *launch) : Status::OK();
    auto plan = !launch.ok() ? Result<TaskLaunchPlan>(launch.status())
                : !roles.ok() ? Result<TaskLaunchPlan>(roles)
                              : PlanTaskLaunch(ecs, *launch);
    std::string svc = "(service " + GetString(service, "serviceName") + ")";
    if (!roles.ok()) {
      if (roles.IsUnavailable() || roles.IsInternal()) return roles;
      AddEventOnce(ecs, service, svc + " failed to launch a task with (error " + roles.message() + ").");
    } else if (!plan.ok()) {
      if (plan.status().IsUnavailable() || plan.status().IsInternal()) return plan.status();
      AddEventOnce(ecs, service, svc + " was unable to place a task. Reason: " + plan.status().message() + ".");
    } else if (!plan->tasks.empty()) {
      std::string ids;
      for (const auto& t : plan->tasks) ids += " (task " + model::TaskRecord(t.get_object()).id() + ")";
      AddServiceEvent(ecs, service, svc + " has started " + std::to_string(plan->tasks.size()) + " tasks:" + ids + ".");
      for (auto& c : plan->txn.compares) txn.compares.push_back(std::move(c));
      for (auto& o : plan->txn.ops) txn.ops.push_back(std::move(o));
      model::ServiceControllerState state = model::ServiceControllerState::Of(service);
      state.steady = false;
      state.WriteTo(service, kMaxFailuresRemembered);
    } else if (!plan->failures.empty()) {
      const json::object& failure = plan->failures[0].get_object();
      // A failure naming no container instance is Fargate's: there were none to check.
      AddEventOnce(ecs, service, svc + (Has(failure, "arn") ? " was unable to place a task because no container "
                                                              "instance met all of its requirements. Reason: "
                                                            : " was unable to place a task. Reason: ") +
                                     GetString(failure, "reason") + ".");
    }
  }
  double now = NowSeconds(ecs);
  for (const auto& [id, by] : d.stop) {
    auto it = tasks.find(id);
    if (it == tasks.end()) continue;
    json::object task = model::StopRequested(it->second.value, "ServiceSchedulerInitiated",
                                             "Scaling activity initiated by (deployment " + by + ")", now);
    std::string task_key = model::keys::TaskKey(cluster, id);
    txn.compares.push_back({task_key, it->second.mod_revision});
    txn.ops.push_back(store::Op::Put(task_key, Serialize(task)));
  }
  bool targets_changed = !d.register_targets.empty() || !d.deregister_targets.empty();
  if (targets_changed) {
    int64_t now_ms = NowMs(ecs);
    for (auto& [tg_key, stored] : groups) {
      json::object record = stored.value;
      std::string arn = model::TargetGroupRecord(record).arn();
      bool changed = model::ForgetDrainedTargets(record, now_ms);
      for (const auto& change : d.register_targets) {
        if (change.target.target_group_arn != arn) continue;
        changed |= model::RegisterTarget(record, {change.target.id, change.target.port, "", std::nullopt});
      }
      for (const auto& change : d.deregister_targets) {
        if (change.target.target_group_arn != arn) continue;
        // Only a target still registered starts draining: its deadline is kept once set.
        for (const auto& t : model::TargetGroupRecord(record).targets()) {
          if (t.id == change.target.id && t.port == change.target.port && !t.draining()) {
            model::DeregisterTarget(record, t.id, t.port, now_ms);
            changed = true;
          }
        }
      }
      if (!changed) continue;
      txn.compares.push_back({tg_key, stored.mod_revision});
      txn.ops.push_back(store::Op::Put(tg_key, Serialize(record)));
    }
  }
  // Blue/green: the production and test listener rules forward where the deployments say.
  bool rules_changed = false;
  for (const RuleRoute& route : BlueGreenRoutes(service)) {
    std::string rule_key = RuleKeyOfArn(route.rule_arn);
    if (rule_key.empty()) continue;
    ASSIGN_OR_RETURN(auto rule, ReadRecord(ecs.store, rule_key));
    if (!rule || !RouteRule(rule->value, route)) continue;
    txn.compares.push_back({rule_key, rule->mod_revision});
    txn.ops.push_back(store::Op::Put(rule_key, Serialize(rule->value)));
    rules_changed = true;
  }
  RETURN_IF_ERROR(AddServiceRegistryChanges(ecs, cluster, service, view, d, tasks, txn));
  if (txn.ops.empty() && Serialize(service) == Serialize(before)) return ServiceRound{false, Settled(ecs, service)};
  txn.ops.push_back(store::Op::Put(key, Serialize(service)));
  ASSIGN_OR_RETURN(store::TxnResult r, ecs.store.Commit(txn));
  if (r.succeeded && (targets_changed || rules_changed) && deps.targets_changed) deps.targets_changed();
  return ServiceRound{r.succeeded, r.succeeded && Settled(ecs, service)};
}

}  // namespace

TaskLaunchRequest DeploymentLaunchRequest(const json::object& service, const json::object& deployment,
                                          const json::array& task_definition_tags) {
  TaskLaunchRequest in;
  in.cluster = GetString(service, "clusterArn");
  in.task_definition = GetString(deployment, "taskDefinition");
  in.group = "service:" + GetString(service, "serviceName");
  in.started_by = GetString(deployment, "id");
  in.launch_type = GetString(deployment, "launchType");
  in.capacity_provider_strategy = GetArray(deployment, "capacityProviderStrategy");
  in.network_configuration = GetObject(deployment, "networkConfiguration");
  if (in.launch_type != "FARGATE" && !Has(deployment, "capacityProviderStrategy")) {
    in.placement_constraints = GetArray(service, "placementConstraints");
    in.placement_strategy = GetArray(service, "placementStrategy");
  }
  std::string propagate = GetString(service, "propagateTags", "NONE");
  if (propagate == "SERVICE") in.tags = GetArray(service, "tags");
  if (propagate == "TASK_DEFINITION") in.tags = task_definition_tags;
  if (GetBool(service, "enableECSManagedTags").value_or(false)) {
    in.tags.push_back(json::object{{"key", "aws:ecs:serviceName"}, {"value", GetString(service, "serviceName")}});
    in.tags.push_back(json::object{{"key", "aws:ecs:clusterName"}, {"value", model::ClusterName(in.cluster)}});
  }
  return in;
}

Result<RoundSummary> ReconcileServices(const ServiceControllerDeps& deps) {
  ASSIGN_OR_RETURN(store::Page page, deps.launch.store.List(model::keys::kServices, "", 0));
  RoundSummary summary;
  for (const auto& kv : page.items) {
    std::string rest = kv.key.substr(model::keys::kServices.size());
    std::string cluster = rest.substr(0, rest.find('/'));
    auto done = ReconcileService(deps, cluster, kv.key);
    if (!done.ok()) {
      LOG_WARN("msg=\"service round failed\" service={} error=\"{}\"", kv.key, done.status().ToString());
      continue;
    }
    summary.committed += done->committed ? 1 : 0;
    summary.unsettled += done->settled ? 0 : 1;
  }
  return summary;
}

}  // namespace wharf::controlplane
