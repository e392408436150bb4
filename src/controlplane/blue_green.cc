#include "controlplane/blue_green.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "controlplane/service_deployments.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/service.h"

namespace wharf::controlplane {
namespace json = boost::json;
using model::kDeploymentBlueGreen;

int BlueGreenStageIndex(std::string_view stage) {
  for (size_t i = 0; i < std::size(kBlueGreenStages); ++i) {
    if (kBlueGreenStages[i] == stage) return static_cast<int>(i);
  }
  return -1;
}

std::string NextBlueGreenStage(std::string_view stage) {
  if (stage.empty()) return std::string(kBlueGreenStages[0]);
  int i = BlueGreenStageIndex(stage);
  if (i < 0 || i + 1 >= static_cast<int>(std::size(kBlueGreenStages))) return "";
  return std::string(kBlueGreenStages[i + 1]);
}

bool IsBlueGreen(const json::object& service) {
  return GetString(GetObject(service, "deploymentConfiguration"), "strategy") == "BLUE_GREEN";
}

namespace {

// A stored time in seconds since the epoch; 0 when missing.
double Seconds(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

const json::object* DeploymentById(const json::object& service, std::string_view id) {
  for (const auto& d : GetArray(service, "deployments")) {
    if (d.is_object() && GetString(d.get_object(), "id") == id) return &d.get_object();
  }
  return nullptr;
}

// The target group of `deployment` among `groups` (its tasks are in it); "" when none.
std::string GroupOf(const json::object* deployment, const std::string& primary, const std::string& alternate) {
  if (!deployment) return "";
  for (const auto& lb : GetArray(*deployment, model::kDeploymentLoadBalancers)) {
    std::string arn = GetString(lb.get_object(), "targetGroupArn");
    if (arn == primary || arn == alternate) return arn;
  }
  return "";
}

}  // namespace

std::string TrafficDeploymentId(const json::object& service, bool test) {
  const json::array& deployments = GetArray(service, "deployments");
  if (!IsBlueGreen(service) || deployments.empty()) return "";
  int threshold = BlueGreenStageIndex(test ? "TEST_TRAFFIC_SHIFT" : "PRODUCTION_TRAFFIC_SHIFT");
  // A deployment has the traffic unless it is a blue/green one yet to shift it, or failed.
  auto has_traffic = [&](const json::object& d) {
    bool before_shift = Has(d, model::kDeploymentBlueGreen) &&
                        BlueGreenStageIndex(GetString(GetObject(d, model::kDeploymentBlueGreen), "stage")) < threshold;
    return !before_shift && GetString(d, "rolloutState") != "FAILED";
  };
  // The newest that has it; an older green still in flight (a deployment replaced before it
  // shifted) is passed over for the blue it had not replaced yet.
  for (const auto& d : deployments) {
    if (has_traffic(d.get_object())) return GetString(d.get_object(), "id");
  }
  return GetString(deployments[deployments.size() > 1 ? 1 : 0].get_object(), "id");
}

json::array NewDeploymentLoadBalancers(const json::object& service) {
  json::array out = GetArray(service, "loadBalancers");
  if (!IsBlueGreen(service)) return out;
  const json::object* production = DeploymentById(service, TrafficDeploymentId(service, false));
  for (auto& v : out) {
    json::object& lb = v.as_object();
    const json::object& advanced = GetObject(lb, "advancedConfiguration");
    if (advanced.empty()) continue;
    std::string primary = GetString(lb, "targetGroupArn");
    std::string alternate = GetString(advanced, "alternateTargetGroupArn");
    std::string serving = GroupOf(production, primary, alternate);
    if (!serving.empty()) lb["targetGroupArn"] = serving == primary ? alternate : primary;
  }
  return out;
}

void PrepareNewDeployment(const json::object& service, double now, json::object& deployment) {
  if (!IsBlueGreen(service) || GetArray(service, "deployments").empty()) return;
  deployment[model::kDeploymentLoadBalancers] = NewDeploymentLoadBalancers(service);
  deployment[model::kDeploymentBlueGreen] = json::object{{"stage", ""}, {"since", now}, {"hooks", json::array()}};
}

std::vector<RuleRoute> BlueGreenRoutes(const json::object& service) {
  std::vector<RuleRoute> routes;
  if (!IsBlueGreen(service)) return routes;
  const json::object* production = DeploymentById(service, TrafficDeploymentId(service, false));
  const json::object* test = DeploymentById(service, TrafficDeploymentId(service, true));
  for (const auto& v : GetArray(service, "loadBalancers")) {
    const json::object& lb = v.get_object();
    const json::object& advanced = GetObject(lb, "advancedConfiguration");
    if (advanced.empty()) continue;
    std::string primary = GetString(lb, "targetGroupArn");
    std::string alternate = GetString(advanced, "alternateTargetGroupArn");
    std::vector<std::string> groups{primary, alternate};
    if (std::string to = GroupOf(production, primary, alternate); !to.empty()) {
      routes.push_back({GetString(advanced, "productionListenerRule"), to, groups});
    }
    if (std::string to = GroupOf(test, primary, alternate); !to.empty() && Has(advanced, "testListenerRule")) {
      routes.push_back({GetString(advanced, "testListenerRule"), to, groups});
    }
  }
  return routes;
}

bool RouteRule(json::object& record, const RuleRoute& route) {
  json::object& rule = record["rule"].as_object();
  json::value* actions = rule.if_contains("Actions");
  if (!actions || !actions->is_array()) return false;
  for (auto& a : actions->as_array()) {
    json::object& action = a.as_object();
    if (GetString(action, "Type") != "forward") continue;
    // What it does now: each group's weight (a plain TargetGroupArn forward weighs 1).
    std::map<std::string, int64_t> now;
    for (const auto& t : GetArray(GetObject(action, "ForwardConfig"), "TargetGroups")) {
      now[GetString(t.get_object(), "TargetGroupArn")] = GetInt(t.get_object(), "Weight").value_or(1);
    }
    if (now.empty() && Has(action, "TargetGroupArn")) now[GetString(action, "TargetGroupArn")] = 1;
    bool already = now.count(route.to) && now[route.to] > 0;
    for (const auto& [arn, weight] : now) already = already && (arn == route.to || weight <= 0);
    if (already) return false;
    json::array groups;
    for (const auto& arn : route.groups) {
      groups.push_back(json::object{{"TargetGroupArn", arn}, {"Weight", arn == route.to ? 100 : 0}});
    }
    json::object config = GetObject(action, "ForwardConfig");
    config["TargetGroups"] = std::move(groups);
    action["ForwardConfig"] = std::move(config);
    action.erase("TargetGroupArn");  // AWS names it only for a forward to one group
    return true;
  }
  return false;
}

std::string RuleKeyOfArn(std::string_view arn) {
  // arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<lb id>/<listener id>/<rule id>
  size_t at = arn.find(":listener-rule/app/");
  if (at == std::string_view::npos) return "";
  std::string_view rest = arn.substr(at + 19);
  std::vector<std::string_view> parts;
  while (true) {
    size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.size() != 4 || std::any_of(parts.begin(), parts.end(), [](auto p) { return p.empty(); })) return "";
  return model::keys::RuleKey(parts[0], parts[2], parts[3]);
}

std::vector<json::object> PauseHooksAt(const json::object& service, std::string_view stage) {
  std::vector<json::object> hooks;
  for (const auto& v : GetArray(GetObject(service, "deploymentConfiguration"), "lifecycleHooks")) {
    const json::object& hook = v.get_object();
    if (GetString(hook, "targetType", "AWS_LAMBDA") != "PAUSE") continue;
    for (const auto& s : GetArray(hook, "lifecycleStages")) {
      if (!s.is_string()) continue;
      std::string_view at = s.get_string();
      if (at == "PRE_PRODUCTION_TRAFFIC_SHIFT") at = "POST_TEST_TRAFFIC_SHIFT";
      if (at == stage) {
        hooks.push_back(hook);
        break;
      }
    }
  }
  return hooks;
}

std::vector<RoleUse> BlueGreenRoleUses(const json::object& service) {
  std::vector<RoleUse> uses;
  for (const auto& v : GetArray(service, "loadBalancers")) {
    if (!v.is_object() || !Has(v.get_object(), "advancedConfiguration")) continue;
    const json::object& advanced = GetObject(v.get_object(), "advancedConfiguration");
    RoleUse use{GetString(advanced, "roleArn"), {{"elasticloadbalancing:DescribeRules", "*"}}};
    for (const char* rule : {"productionListenerRule", "testListenerRule"}) {
      if (!GetString(advanced, rule).empty()) use.actions.emplace_back("elasticloadbalancing:ModifyRule", GetString(advanced, rule));
    }
    uses.push_back(std::move(use));
  }
  return uses;
}

BlueGreenView BlueGreenViewOf(const json::object& service, double now, bool& rollback_requested) {
  BlueGreenView v;
  const json::array& deployments = GetArray(service, "deployments");
  if (!IsBlueGreen(service) || deployments.empty() || !Has(deployments[0].get_object(), model::kDeploymentBlueGreen)) {
    return v;
  }
  const json::object& bg = GetObject(deployments[0].get_object(), model::kDeploymentBlueGreen);
  v.active = true;
  v.stage = GetString(bg, "stage");
  v.since = Seconds(bg, "since");
  v.bake_seconds = 60.0 * static_cast<double>(
                              GetInt(GetObject(service, "deploymentConfiguration"), "bakeTimeInMinutes").value_or(0));
  v.production_id = TrafficDeploymentId(service, false);
  for (std::string_view stage : kBlueGreenStages) {
    if (!PauseHooksAt(service, stage).empty()) v.hook_stages.emplace(stage);
  }
  // A PAUSE hook holds its stage until ContinueServiceDeployment or its timeout.
  for (const auto& h : GetArray(bg, "hooks")) {
    const json::object& hook = h.get_object();
    if (GetString(hook, "stage") != v.stage || GetString(hook, "status") != "AWAITING_ACTION") continue;
    double expires = Seconds(hook, "expiresAt");
    if (expires <= 0 || now < expires) {
      v.held = true;
    } else if (GetString(hook, "timeoutAction") == "ROLLBACK") {
      rollback_requested = true;
    }
  }
  return v;
}

void EnterBlueGreenStage(Random& random, const json::object& service, const std::string& stage, double now,
                         json::object& primary) {
  json::object bg = GetObject(primary, kDeploymentBlueGreen);
  bg["stage"] = stage;
  bg["since"] = now;
  json::array hooks = GetArray(bg, "hooks");
  for (const json::object& hook : PauseHooksAt(service, stage)) {
    json::object entry{{"hookId", RandomUuid(random)},
                       {"stage", stage},
                       {"targetType", "PAUSE"},
                       {"status", "AWAITING_ACTION"}};
    // Without a timeoutConfiguration (or parts of one), AWS's defaults: 1440 minutes, then
    // ROLLBACK (DeploymentLifecycleHookTimeoutConfiguration).
    const json::object& timeout = GetObject(hook, "timeoutConfiguration");
    const int64_t minutes = GetInt(timeout, "timeoutInMinutes").value_or(kDefaultHookTimeoutMinutes);
    entry["expiresAt"] = now + 60.0 * static_cast<double>(minutes);
    entry["timeoutAction"] = GetString(timeout, "action", "ROLLBACK");
    hooks.push_back(std::move(entry));
  }
  bg["hooks"] = std::move(hooks);
  primary[kDeploymentBlueGreen] = std::move(bg);
  primary["updatedAt"] = now;
}

void TimeOutPauseHooks(double now, json::object& primary) {
  json::value* bg = primary.if_contains(kDeploymentBlueGreen);
  if (!bg || !bg->is_object()) return;
  json::value* hooks = bg->as_object().if_contains("hooks");
  if (!hooks || !hooks->is_array()) return;
  for (auto& h : hooks->as_array()) {
    json::object& hook = h.as_object();
    double expires = Seconds(hook, "expiresAt");
    if (GetString(hook, "status") == "AWAITING_ACTION" && expires > 0 && now >= expires) hook["status"] = "TIMED_OUT";
  }
}

bool RepromoteBlue(double now, const json::object& last_completed, std::string_view why, std::string_view reason,
                   json::object& service, json::array& deployments) {
  const json::object target = last_completed;
  std::string blue_id = GetString(target, "id");
  size_t at = 1;
  while (at < deployments.size() && GetString(deployments[at].as_object(), "id") != blue_id) ++at;
  if (at >= deployments.size()) return false;
  json::object blue = std::move(deployments[at].as_object());
  deployments.erase(deployments.begin() + static_cast<std::ptrdiff_t>(at));
  for (const char* field : {"taskDefinition", "launchType", "capacityProviderStrategy", "platformVersion",
                            "networkConfiguration"}) {
    if (Has(target, field)) service[field] = target.at(field);
  }
  blue["status"] = "PRIMARY";
  blue["desiredCount"] = service["desiredCount"];
  blue["rolloutState"] = "IN_PROGRESS";
  blue["rolloutStateReason"] = std::string(why) + ": rolling back to deploymentId " + blue_id + ".";
  blue["updatedAt"] = now;
  blue.erase(kDeploymentBlueGreen);
  CarryServiceDeploymentToRollback(now, deployments[0].as_object(), blue, target, GetString(service, "serviceArn"),
                                   reason);
  deployments[0].as_object()["status"] = "ACTIVE";
  deployments.insert(deployments.begin(), std::move(blue));
  return true;
}

}  // namespace wharf::controlplane
