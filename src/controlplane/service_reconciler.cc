#include "controlplane/service_reconciler.h"

#include <algorithm>

#include "controlplane/blue_green.h"

namespace wharf::controlplane {
namespace {

using Registration = TaskTarget::Registration;

bool Gone(const TaskView& t) { return t.desired_status == "STOPPED" || t.last_status == "STOPPED"; }

bool Healthy(const TaskView& t) {
  if (t.last_status != "RUNNING" || t.desired_status != "RUNNING") return false;
  if (t.has_container_health_check && t.health_status != "HEALTHY") return false;
  if (t.load_balancers > 0) {
    if (static_cast<int>(t.targets.size()) < t.load_balancers) return false;
    for (const auto& target : t.targets) {
      if (target.registration != Registration::kRegistered || target.health != "healthy") return false;
    }
  }
  return true;
}

// Why a running task past its grace period must be replaced; empty when it need not be.
std::string Unhealthy(const TaskView& t, const ServiceView& v) {
  if (t.last_status != "RUNNING" || t.started_at <= 0 || v.now - t.started_at < v.health_check_grace_seconds) {
    return "";
  }
  if (t.has_container_health_check && t.health_status == "UNHEALTHY") return "failed container health checks.";
  for (const auto& target : t.targets) {
    if (target.registration == Registration::kRegistered && target.health == "unhealthy") {
      return "failed ELB health checks in (target-group " + target.target_group_arn + ")";
    }
  }
  return "";
}

std::string TaskList(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + std::string("(task ") + id + ")";
  return out;
}

// "(service s) registered 2 targets in (target-group arn)", one event per target group.
void TargetEvents(const std::string& service, const char* verb, const std::vector<TargetChange>& changes,
                  std::vector<std::string>& events) {
  std::map<std::string, int> per_group;
  for (const auto& c : changes) per_group[c.target.target_group_arn]++;
  for (const auto& [arn, n] : per_group) {
    events.push_back(service + " " + verb + " " + std::to_string(n) + " targets in (target-group " + arn + ")");
  }
}

}  // namespace

double ThrottleDelaySeconds(int failures_in_a_row) {
  if (failures_in_a_row < kThrottleAfter) return 0;
  double delay = 5;
  for (int i = kThrottleAfter; i < failures_in_a_row && delay < 27 * 60; ++i) delay *= 2;
  return std::min(delay, 27.0 * 60);
}

int CircuitBreakerThreshold(int desired_count) {
  return std::max(3, std::min(200, (desired_count + 1) / 2));
}

Decision Reconcile(const ServiceView& v) {
  Decision d;
  d.steady = v.steady;
  const std::string svc = "(service " + v.name + ")";
  const std::string primary = v.deployments.empty() ? "" : v.deployments.front().id;
  std::map<std::string, std::string> retiring = v.retiring;

  // Tasks that stopped on their own count once against their deployment.
  for (const auto& t : v.tasks) {
    if (v.failures_counted.count(t.id) || retiring.count(t.id) || t.last_status != "STOPPED") continue;
    if (t.stop_code == "TaskFailedToStart" || t.stop_code == "EssentialContainerExited") {
      d.failures_counted.push_back(t.id);
      d.new_failures[t.deployment_id]++;
    }
  }
  // Running tasks that stay unhealthy past the grace period are replaced, and count too.
  for (const auto& t : v.tasks) {
    if (Gone(t) || retiring.count(t.id)) continue;
    std::string why = Unhealthy(t, v);
    if (why.empty()) continue;
    retiring[t.id] = d.retire[t.id] = t.deployment_id;
    d.events.push_back(svc + " (task " + t.id + ") " + why);
    if (!v.failures_counted.count(t.id)) {
      d.failures_counted.push_back(t.id);
      d.new_failures[t.deployment_id]++;
    }
  }

  bool primary_failed = !v.deployments.empty() && v.deployments.front().rollout_state == "FAILED";
  if (!v.deployments.empty() && v.circuit_breaker && v.deployments.front().rollout_state == "IN_PROGRESS") {
    const auto& p = v.deployments.front();
    if (p.failed_tasks + d.new_failures[p.id] >= CircuitBreakerThreshold(v.desired_count)) {
      d.fail_primary = primary_failed = true;
      d.events.push_back(svc + " (deployment " + p.id + ") deployment failed: tasks failed to start.");
      d.roll_back = v.rollback && !v.last_completed_id.empty() && v.last_completed_id != p.id;
    }
  }
  // A stopped service deployment fails its deployment and rolls back, whatever the breaker says.
  if (!v.deployments.empty() && !d.fail_primary && v.deployments.front().rollout_state == "IN_PROGRESS" &&
      v.deployments.front().rollback_requested) {
    const auto& p = v.deployments.front();
    d.fail_primary = d.stop_requested = primary_failed = true;
    d.events.push_back(svc + " (deployment " + p.id + ") deployment stopped: a rollback was requested.");
    d.roll_back = !v.last_completed_id.empty() && v.last_completed_id != p.id;
  }

  // Blue/green: ECS cannot assume the role that changes the listener rules (or the role may
  // not change them): the traffic cannot shift, so the deployment fails and rolls back.
  if (!v.deployments.empty() && !d.fail_primary && v.deployments.front().rollout_state == "IN_PROGRESS" &&
      v.blue_green.active && !v.blue_green.role_refusal.empty()) {
    const auto& p = v.deployments.front();
    d.fail_primary = primary_failed = true;
    d.failure_reason = v.blue_green.role_refusal;
    d.events.push_back(svc + " (deployment " + p.id + ") deployment failed: " + v.blue_green.role_refusal);
    d.roll_back = !v.last_completed_id.empty() && v.last_completed_id != p.id;
  }

  auto live = [&](const TaskView& t) { return !Gone(t) && !retiring.count(t.id); };
  std::vector<const TaskView*> live_primary, live_old;
  for (const auto& t : v.tasks) {
    if (!live(t)) continue;
    (t.deployment_id == primary ? live_primary : live_old).push_back(&t);
  }
  const int desired = v.deleting ? 0 : v.desired_count;
  const int max_total = std::max(desired, desired * v.maximum_percent / 100);
  const int min_healthy = (desired * v.minimum_healthy_percent + 99) / 100;
  const int total = static_cast<int>(live_primary.size() + live_old.size());
  // Blue/green: green scales up beside blue (200 %) from SCALE_UP on; blue stays until CLEAN_UP.
  const bool blue_green = v.blue_green.active && !primary_failed && !d.roll_back && !v.deleting;
  const int stage = blue_green ? BlueGreenStageIndex(v.blue_green.stage) : -1;
  if (blue_green) {
    if (stage >= BlueGreenStageIndex("SCALE_UP")) d.start = std::max(0, desired - static_cast<int>(live_primary.size()));
  } else if (!primary_failed && !d.roll_back && !v.deleting && !primary.empty()) {
    d.start = std::max(0, std::min(desired - static_cast<int>(live_primary.size()), max_total - total));
  }

  // Failing tasks in a row slow the launches down; a healthy task or a new deployment resets.
  d.throttle = v.throttle.deployment_id == primary ? v.throttle : LaunchThrottle{primary, 0, 0};
  int failed_now = 0;
  for (const auto& [_, n] : d.new_failures) failed_now += n;
  if (std::any_of(live_primary.begin(), live_primary.end(), [&](const TaskView* t) { return Healthy(*t); })) {
    d.throttle.failures = 0;
    d.throttle.launch_after = 0;
  }
  if (failed_now > 0) {
    d.throttle.failures += failed_now;
    if (double delay = ThrottleDelaySeconds(d.throttle.failures); delay > 0) {
      d.throttle.launch_after = v.now + delay;
      d.events.push_back(svc + " is unable to consistently start tasks successfully.");
    }
  }
  if (d.start > 0 && v.now < d.throttle.launch_after) d.start = 0;

  // The least useful first: not healthy, then the most recently started.
  auto by_usefulness = [&](const TaskView* a, const TaskView* b) {
    bool ha = Healthy(*a), hb = Healthy(*b);
    if (ha != hb) return !ha;
    return a->started_at > b->started_at;
  };
  auto retire = [&](const TaskView* t, const std::string& by) { retiring[t->id] = d.retire[t->id] = by; };
  // Protected tasks (UpdateTaskProtection) are not retired by a scale-in or a deployment
  // until their protection expires; an unhealthy one is still replaced.
  auto is_protected = [&](const TaskView* t) { return t->protected_until > v.now; };
  std::sort(live_primary.begin(), live_primary.end(), by_usefulness);
  int excess = static_cast<int>(live_primary.size()) - desired;
  for (const TaskView* t : live_primary) {
    if (excess <= 0) break;
    if (is_protected(t) && Healthy(*t)) continue;
    retire(t, primary);
    --excess;
  }
  int healthy = 0;
  for (const auto& t : v.tasks) healthy += live(t) && Healthy(t) ? 1 : 0;
  int allowance = healthy - min_healthy;
  std::sort(live_old.begin(), live_old.end(), by_usefulness);
  for (const TaskView* t : live_old) {
    // A blue/green rollback makes blue PRIMARY again: its tasks stay.
    if (v.blue_green.active && d.roll_back) continue;
    if (blue_green) {
      // Blue stays until CLEAN_UP; an older green that never took production goes now.
      bool blue = t->deployment_id == v.blue_green.production_id;
      if (v.blue_green.stage == "CLEAN_UP" || (!blue && t->deployment_id != primary)) retire(t, primary);
      continue;
    }
    if (!Healthy(*t)) {
      retire(t, primary);
    } else if (allowance > 0 && !is_protected(t)) {
      retire(t, primary);
      --allowance;
    }
  }

  // Retiring tasks leave their target groups, drain, and only then stop.
  for (const auto& [id, by] : retiring) {
    auto it = std::find_if(v.tasks.begin(), v.tasks.end(), [&](const TaskView& t) { return t.id == id; });
    if (it == v.tasks.end() || it->desired_status == "STOPPED") {
      if (v.retiring.count(id)) d.forget.push_back(id);
      continue;
    }
    // A task still starting is stopped once it runs: a stop that races the node's start of
    // its containers can leave a container behind that the node no longer tracks.
    if (it->last_status != "RUNNING" && it->last_status != "STOPPED") continue;
    bool draining = false;
    for (const auto& target : it->targets) {
      if (target.registration == Registration::kRegistered) d.deregister_targets.push_back({id, target});
      draining = draining || target.registration == Registration::kRegistered ||
                 target.registration == Registration::kDraining;
    }
    if (!draining) d.stop[id] = by;
  }
  // Running tasks join their target groups.
  std::set<std::string> live_targets;  // an address a stopped task had may be a new task's now
  for (const auto& t : v.tasks) {
    if (!live(t) || t.last_status != "RUNNING") continue;
    for (const auto& target : t.targets) {
      live_targets.insert(target.target_group_arn + " " + target.id + ":" + std::to_string(target.port));
      if (target.registration != Registration::kRegistered) d.register_targets.push_back({t.id, target});
    }
  }
  // Tasks that stopped without being retired (they exited, or were stopped by a user) leave.
  for (const auto& t : v.tasks) {
    if (!Gone(t) || retiring.count(t.id)) continue;
    for (const auto& target : t.targets) {
      if (target.registration == Registration::kRegistered &&
          !live_targets.count(target.target_group_arn + " " + target.id + ":" + std::to_string(target.port))) {
        d.deregister_targets.push_back({t.id, target});
      }
    }
  }
  TargetEvents(svc, "registered", d.register_targets, d.events);
  TargetEvents(svc, "deregistered", d.deregister_targets, d.events);
  if (!d.stop.empty()) {
    std::vector<std::string> ids;
    for (const auto& [id, _] : d.stop) ids.push_back(id);
    d.events.push_back(svc + " has stopped " + std::to_string(ids.size()) + " running tasks: " + TaskList(ids) + ".");
  }

  // Counts, and deployments with nothing left.
  for (const auto& dep : v.deployments) d.counts[dep.id];
  for (const auto& t : v.tasks) {
    if (Gone(t)) continue;
    auto& c = d.counts[t.deployment_id];
    (t.last_status == "RUNNING" ? c.running : c.pending)++;
    (t.last_status == "RUNNING" ? d.total.running : d.total.pending)++;
  }
  size_t remaining = v.deployments.size();
  for (size_t i = 1; i < v.deployments.size(); ++i) {
    const auto& c = d.counts[v.deployments[i].id];
    if (c.running + c.pending == 0) {
      d.remove_deployments.push_back(v.deployments[i].id);
      --remaining;
    }
  }
  bool settled = remaining == 1 && d.start == 0 && d.retire.empty() && d.stop.empty() &&
                 retiring.size() == d.forget.size() && static_cast<int>(live_primary.size()) == desired &&
                 std::all_of(live_primary.begin(), live_primary.end(), [&](const TaskView* t) { return Healthy(*t); });
  if (blue_green) {
    bool leave = !v.blue_green.held;
    if (v.blue_green.stage == "SCALE_UP") {
      leave = leave && static_cast<int>(live_primary.size()) == desired &&
              std::all_of(live_primary.begin(), live_primary.end(), [&](const TaskView* t) { return Healthy(*t); });
    }
    if (v.blue_green.stage == "BAKE_TIME") leave = leave && v.now - v.blue_green.since >= v.blue_green.bake_seconds;
    if (v.blue_green.stage == "CLEAN_UP") leave = false;  // it ends as the deployment completes
    if (leave) {
      // Stages with nothing to wait for are passed at once; a round stops at a traffic shift
      // (committed, and so published, before the stage after it), at a stage a hook holds,
      // at SCALE_UP, a bake time to wait and CLEAN_UP.
      auto waits = [&](const std::string& s) {
        return s.empty() || s == "SCALE_UP" || s == "TEST_TRAFFIC_SHIFT" || s == "PRODUCTION_TRAFFIC_SHIFT" ||
               s == "CLEAN_UP" || (s == "BAKE_TIME" && v.blue_green.bake_seconds > 0) ||
               v.blue_green.hook_stages.count(s) > 0;
      };
      std::string next = NextBlueGreenStage(v.blue_green.stage);
      while (!waits(next)) next = NextBlueGreenStage(next);
      d.blue_green_stage = next;
    }
    if (v.blue_green.stage != "CLEAN_UP") settled = false;
  }
  if (settled && !primary_failed && v.deployments.front().rollout_state == "IN_PROGRESS") {
    d.complete_primary = true;
    d.events.push_back(svc + " (deployment " + primary + ") deployment completed.");
  }
  if (settled && !v.deleting && !v.steady) d.events.push_back(svc + " has reached a steady state.");
  d.steady = settled && !v.deleting;
  d.inactive = v.deleting && d.total.running + d.total.pending == 0 && retiring.size() == d.forget.size();
  return d;
}

}  // namespace wharf::controlplane
