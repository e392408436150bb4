#include "controlplane/service_deployments.h"

#include <boost/json/array.hpp>

#include "controlplane/blue_green.h"
#include "controlplane/service_reconciler.h"
#include "model/json.h"
#include "model/service.h"

namespace wharf::controlplane {
namespace json = boost::json;
using model::kServiceDeployment;

namespace {

double Seconds(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

// The deployment of the service record whose revision is `id`, if it is still there.
const json::object* DeploymentOfRevision(const json::object& service, std::string_view id) {
  for (const auto& v : GetArray(service, "deployments")) {
    if (v.is_object() && model::ServiceRevisionId(v.get_object()) == id) return &v.get_object();
  }
  return nullptr;
}

// The ServiceRevisionSummary of revision `id`: its task counts while its deployment runs.
json::object RevisionSummary(const json::object& service, std::string_view id) {
  const json::object* d = DeploymentOfRevision(service, id);
  json::object summary{{"arn", model::ServiceRevisionArn(GetString(service, "serviceArn"), id)},
                       {"requestedTaskCount", 0}, {"runningTaskCount", 0}, {"pendingTaskCount", 0}};
  if (d && GetString(*d, "status") == "PRIMARY") summary["requestedTaskCount"] = GetInt(*d, "desiredCount").value_or(0);
  if (d) {
    summary["runningTaskCount"] = GetInt(*d, "runningCount").value_or(0);
    summary["pendingTaskCount"] = GetInt(*d, "pendingCount").value_or(0);
  }
  // Blue/green: the share of production and test traffic the listener rules send it.
  if (IsBlueGreen(service) && !GetArray(service, "loadBalancers").empty()) {
    std::string deployment_id = d ? GetString(*d, "id") : "";
    summary["requestedProductionTrafficWeight"] = !deployment_id.empty() && TrafficDeploymentId(service, false) == deployment_id ? 100.0 : 0.0;
    summary["requestedTestTrafficWeight"] = !deployment_id.empty() && TrafficDeploymentId(service, true) == deployment_id ? 100.0 : 0.0;
  }
  return summary;
}

// The ServiceRevision a deployment deploys.
json::object RevisionOfDeployment(const json::object& service, const json::object& d) {
  std::string id = model::ServiceRevisionId(d);
  json::object r{{"serviceRevisionArn", model::ServiceRevisionArn(GetString(service, "serviceArn"), id)},
                 {"serviceArn", GetString(service, "serviceArn")},
                 {"clusterArn", GetString(service, "clusterArn")},
                 {"taskDefinition", GetString(d, "taskDefinition")},
                 // A blue/green revision names the load balancers as given; which of the two
                 // target groups its tasks are in is its resolvedConfiguration (below).
                 {"loadBalancers", IsBlueGreen(service) ? GetArray(service, "loadBalancers")
                                                        : GetArray(d, model::kDeploymentLoadBalancers)},
                 {"createdAt", Seconds(d, "createdAt")}};
  for (const char* field : {"launchType", "capacityProviderStrategy", "platformVersion", "platformFamily",
                            "networkConfiguration"}) {
    if (Has(d, field)) r[field] = d.at(field);
  }
  // Which of a blue/green load balancer's two target groups this revision's tasks are in.
  json::array resolved;
  for (const auto& v : GetArray(service, "loadBalancers")) {
    const json::object& advanced = GetObject(v.get_object(), "advancedConfiguration");
    if (advanced.empty()) continue;
    std::string primary = GetString(v.get_object(), "targetGroupArn");
    std::string alternate = GetString(advanced, "alternateTargetGroupArn");
    for (const auto& lb : GetArray(d, model::kDeploymentLoadBalancers)) {
      std::string arn = GetString(lb.get_object(), "targetGroupArn");
      if (arn != primary && arn != alternate) continue;
      resolved.push_back(json::object{{"targetGroupArn", arn},
                                      {"productionListenerRule", GetString(advanced, "productionListenerRule")}});
    }
  }
  if (!resolved.empty()) r["resolvedConfiguration"] = json::object{{"loadBalancers", std::move(resolved)}};
  return r;
}

// The ServiceDeployment shape of the live service deployment a deployment carries.
json::object PresentLive(const json::object& service, const json::object& d) {
  const json::object& sd = GetObject(d, kServiceDeployment);
  const std::string arn = model::ServiceDeploymentArn(GetString(service, "serviceArn"), GetString(sd, "id"));
  const std::string rollout = GetString(d, "rolloutState");
  const bool rolling_back = Has(sd, "rollback");
  std::string status;
  if (rolling_back) {
    status = rollout == "COMPLETED" ? "ROLLBACK_SUCCESSFUL" : rollout == "FAILED" ? "ROLLBACK_FAILED" : "ROLLBACK_IN_PROGRESS";
  } else if (rollout == "COMPLETED") {
    status = "SUCCESSFUL";
  } else if (rollout == "FAILED") {
    status = "STOPPED";
  } else {
    status = Has(sd, "stopRequested") ? "ROLLBACK_REQUESTED" : "IN_PROGRESS";
  }
  const double created = Seconds(sd, "createdAt");
  json::array sources;
  for (const auto& s : GetArray(sd, "sources")) {
    if (s.is_string()) sources.push_back(RevisionSummary(service, s.get_string()));
  }
  const json::object& config = GetObject(service, "deploymentConfiguration");
  const json::object& breaker = GetObject(config, "deploymentCircuitBreaker");
  const bool breaker_on = GetBool(breaker, "enable").value_or(false);
  const int64_t failures = GetInt(d, "failedTasks").value_or(0);
  json::object out{{"serviceDeploymentArn", arn},
                   {"serviceArn", GetString(service, "serviceArn")},
                   {"clusterArn", GetString(service, "clusterArn")},
                   {"createdAt", created},
                   {"startedAt", created},
                   {"updatedAt", Seconds(d, "updatedAt")},
                   {"sourceServiceRevisions", std::move(sources)},
                   {"targetServiceRevision", RevisionSummary(service, GetString(sd, "target"))},
                   {"status", status},
                   {"statusReason", GetString(d, "rolloutStateReason")},
                   {"deploymentConfiguration", config},
                   {"deploymentCircuitBreaker",
                    json::object{{"status", !breaker_on ? "DISABLED" : rollout == "FAILED" ? "TRIGGERED"
                                                         : rollout == "COMPLETED"           ? "MONITORING_COMPLETE"
                                                                                            : "MONITORING"},
                                 {"failureCount", failures},
                                 {"threshold", CircuitBreakerThreshold(static_cast<int>(GetInt(service, "desiredCount").value_or(0)))}}}};
  if (rolling_back) out["rollback"] = GetObject(sd, "rollback");
  // The lifecycle stage: a blue/green deployment's own; a rolling one (or a rollback) scales
  // the new revision up, then cleans the old ones up.
  const json::object& bg = GetObject(d, model::kDeploymentBlueGreen);
  if (Has(d, model::kDeploymentBlueGreen)) {
    std::string stage = GetString(bg, "stage");
    out["lifecycleStage"] = stage.empty() ? "RECONCILE_SERVICE" : stage;
    json::array hooks;
    for (const auto& h : GetArray(bg, "hooks")) {
      const json::object& hook = h.get_object();
      json::object detail{{"hookId", GetString(hook, "hookId")},
                          {"targetType", GetString(hook, "targetType", "PAUSE")},
                          {"status", GetString(hook, "status")}};
      if (Has(hook, "expiresAt")) detail["expiresAt"] = Seconds(hook, "expiresAt");
      if (Has(hook, "timeoutAction")) detail["timeoutAction"] = GetString(hook, "timeoutAction");
      hooks.push_back(std::move(detail));
    }
    if (!hooks.empty()) out["lifecycleHookDetails"] = std::move(hooks);
  } else if (rollout == "IN_PROGRESS") {
    out["lifecycleStage"] = GetInt(d, "runningCount").value_or(0) < GetInt(d, "desiredCount").value_or(0) ? "SCALE_UP" : "CLEAN_UP";
  }
  if (status == "SUCCESSFUL" || status == "ROLLBACK_SUCCESSFUL") out["finishedAt"] = Seconds(d, "updatedAt");
  if (status == "STOPPED" || status == "ROLLBACK_FAILED") out["stoppedAt"] = Seconds(d, "updatedAt");
  return out;
}

bool Ended(std::string_view status) {
  return status == "SUCCESSFUL" || status == "STOPPED" || status == "ROLLBACK_SUCCESSFUL" || status == "ROLLBACK_FAILED";
}

// Keeps the revisions the history and the live deployments still name, and no others.
void PruneRevisions(json::object& service) {
  json::object kept;
  const json::object& revisions = GetObject(service, model::kServiceRevisions);
  auto keep = [&](std::string_view id) {
    if (const json::value* r = revisions.if_contains(id)) kept[id] = *r;
  };
  for (const auto& h : GetArray(service, model::kServiceDeploymentHistory)) {
    const json::object& sd = h.get_object();
    keep(model::ServiceRevisionIdOfArn(GetString(GetObject(sd, "targetServiceRevision"), "arn")));
    for (const auto& s : GetArray(sd, "sourceServiceRevisions")) {
      keep(model::ServiceRevisionIdOfArn(GetString(s.get_object(), "arn")));
    }
  }
  service[model::kServiceRevisions] = std::move(kept);
}

// ECS's service deployment ids: 21 letters and digits (they end an ARN, so no '/' or '+').
std::string ServiceDeploymentId(Random& random) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  for (int i = 0; i < 21; ++i) id += kChars[random.Next() % kChars.size()];
  return id;
}

}  // namespace

void BeginServiceDeployment(Random& random, double now, json::object& service) {
  json::array& deployments = service["deployments"].as_array();
  if (deployments.empty()) return;
  // The previous service deployment ends here: as it was if it had finished, STOPPED if not.
  json::array history = GetArray(service, model::kServiceDeploymentHistory);
  json::object revisions = GetObject(service, model::kServiceRevisions);
  for (size_t i = 1; i < deployments.size(); ++i) {
    json::object& old = deployments[i].as_object();
    revisions[model::ServiceRevisionId(old)] = RevisionOfDeployment(service, old);
    if (!Has(old, kServiceDeployment)) continue;
    json::object ended = PresentLive(service, old);
    if (!Ended(GetString(ended, "status"))) {
      ended["status"] = "STOPPED";
      ended["statusReason"] = "Service deployment stopped: a newer service deployment replaced it.";
      ended["stoppedAt"] = now;
      ended["updatedAt"] = now;
    }
    history.insert(history.begin(), std::move(ended));
    old.erase(kServiceDeployment);
  }
  if (history.size() > kServiceDeploymentHistory) history.resize(kServiceDeploymentHistory);

  json::object& primary = deployments[0].as_object();
  revisions[model::ServiceRevisionId(primary)] = RevisionOfDeployment(service, primary);
  json::array sources;
  for (size_t i = 1; i < deployments.size(); ++i) {
    sources.emplace_back(model::ServiceRevisionId(deployments[i].as_object()));
  }
  primary[kServiceDeployment] = json::object{{"id", ServiceDeploymentId(random)},
                                             {"target", model::ServiceRevisionId(primary)},
                                             {"createdAt", now},
                                             {"sources", std::move(sources)}};
  service[model::kServiceDeploymentHistory] = std::move(history);
  service[model::kServiceRevisions] = std::move(revisions);
  PruneRevisions(service);
  // The live deployments' revisions stay findable too.
  json::object& kept = service[model::kServiceRevisions].as_object();
  for (const auto& v : deployments) kept[model::ServiceRevisionId(v.as_object())] = RevisionOfDeployment(service, v.as_object());
}

std::vector<json::object> ServiceDeploymentsOf(const json::object& service) {
  std::vector<json::object> out;
  for (const auto& v : GetArray(service, "deployments")) {
    if (v.is_object() && Has(v.get_object(), kServiceDeployment)) out.push_back(PresentLive(service, v.get_object()));
  }
  for (const auto& h : GetArray(service, model::kServiceDeploymentHistory)) {
    if (h.is_object()) out.push_back(h.get_object());
  }
  return out;
}

json::object ServiceDeploymentBrief(const json::object& d) {
  json::object brief;
  for (const char* field : {"serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt",
                            "status", "statusReason"}) {
    if (Has(d, field)) brief[field] = d.at(field);
  }
  brief["targetServiceRevisionArn"] = GetString(GetObject(d, "targetServiceRevision"), "arn");
  return brief;
}

std::optional<json::object> ServiceRevisionOf(const json::object& service, std::string_view id) {
  if (const json::object* d = DeploymentOfRevision(service, id)) return RevisionOfDeployment(service, *d);
  const json::value* r = GetObject(service, model::kServiceRevisions).if_contains(id);
  if (r && r->is_object()) return r->get_object();
  return std::nullopt;
}

std::optional<std::string> RequestServiceDeploymentRollback(json::object& service, std::string_view id) {
  json::array& deployments = service["deployments"].as_array();
  for (auto& v : deployments) {
    json::object& d = v.as_object();
    if (GetString(GetObject(d, kServiceDeployment), "id") != id) continue;
    json::object& sd = d[kServiceDeployment].as_object();
    if (&v != &deployments[0] || GetString(d, "rolloutState") != "IN_PROGRESS" || Has(sd, "rollback")) {
      return "The service deployment is not in progress, so it cannot be stopped.";
    }
    if (Has(sd, "stopRequested")) return std::nullopt;
    if (GetArray(sd, "sources").empty()) {
      return "The service deployment has no previous service revision to roll back to.";
    }
    sd["stopRequested"] = "ROLLBACK";
    return std::nullopt;
  }
  return "The service deployment is not in progress, so it cannot be stopped.";
}

bool RollbackRequested(const json::object& primary) {
  return Has(GetObject(primary, kServiceDeployment), "stopRequested");
}

void CarryServiceDeploymentToRollback(double now, json::object& failed, json::object& back, const json::object& target,
                                      std::string_view service_arn, std::string_view reason) {
  if (!Has(failed, kServiceDeployment)) return;
  json::object sd = GetObject(failed, kServiceDeployment);
  sd.erase("stopRequested");
  sd["rollback"] = json::object{{"reason", reason},
                                {"startedAt", now},
                                {"serviceRevisionArn", model::ServiceRevisionArn(service_arn, model::ServiceRevisionId(target))}};
  back[kServiceDeployment] = std::move(sd);
  failed.erase(kServiceDeployment);
}

ServiceChildRef ParseServiceChildArn(std::string_view arn, std::string_view kind) {
  // arn:aws:ecs:<region>:<account>:<kind>/<cluster>/<service>/<id>
  size_t colons = 0, at = 0;
  for (; at < arn.size() && colons < 5; ++at) colons += arn[at] == ':';
  if (colons < 5 || arn.substr(0, 8) != "arn:aws:" || arn.substr(at, kind.size() + 1) != std::string(kind) + "/") return {};
  std::string_view rest = arn.substr(at + kind.size() + 1);
  size_t a = rest.find('/');
  size_t b = a == std::string_view::npos ? a : rest.find('/', a + 1);
  if (b == std::string_view::npos || rest.find('/', b + 1) != std::string_view::npos) return {};
  ServiceChildRef ref{std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1)), std::string(rest.substr(b + 1))};
  if (ref.cluster.empty() || ref.service.empty() || ref.id.empty()) return {};
  return ref;
}

}  // namespace wharf::controlplane

namespace wharf::controlplane {

std::optional<std::string> ContinuePausedHook(json::object& service, std::string_view id, std::string_view hook_id,
                                              std::string_view action) {
  json::array& deployments = service["deployments"].as_array();
  if (deployments.empty()) return "The service deployment is not paused at a lifecycle hook.";
  json::object& primary = deployments[0].as_object();
  if (GetString(GetObject(primary, kServiceDeployment), "id") != id || GetString(primary, "rolloutState") != "IN_PROGRESS" ||
      !primary.contains(model::kDeploymentBlueGreen)) {
    return "The service deployment is not paused at a lifecycle hook.";
  }
  json::object& bg = primary[model::kDeploymentBlueGreen].as_object();
  std::string stage = GetString(bg, "stage");
  json::value* hooks = bg.if_contains("hooks");
  if (!hooks || !hooks->is_array()) return "The lifecycle hook " + std::string(hook_id) + " does not exist.";
  for (auto& h : hooks->as_array()) {
    json::object& hook = h.as_object();
    if (GetString(hook, "hookId") != hook_id) continue;
    if (GetString(hook, "status") != "AWAITING_ACTION" || GetString(hook, "stage") != stage) {
      return "The lifecycle hook " + std::string(hook_id) + " is not awaiting an action.";
    }
    if (action == "ROLLBACK") {
      if (GetArray(GetObject(primary, kServiceDeployment), "sources").empty()) {
        return "The service deployment has no previous service revision to roll back to.";
      }
      hook["status"] = "FAILED";
      primary[kServiceDeployment].as_object()["stopRequested"] = "ROLLBACK";
    } else {
      hook["status"] = "SUCCEEDED";
    }
    return std::nullopt;
  }
  return "The lifecycle hook " + std::string(hook_id) + " does not exist.";
}

}  // namespace wharf::controlplane
