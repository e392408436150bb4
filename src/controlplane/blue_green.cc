#include "controlplane/blue_green.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "model/json.h"
#include "model/keys.h"
#include "model/service.h"

namespace wharf::controlplane {
namespace json = boost::json;

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

}  // namespace wharf::controlplane
