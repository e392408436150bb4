#include "controlplane/scaling_controller.h"

#include <algorithm>
#include <map>

#include "base/logging.h"
#include "controlplane/alarm_evaluator.h"
#include "controlplane/records.h"
#include "controlplane/scaling_policy.h"
#include "controlplane/scaling_schedule.h"
#include "model/keys.h"
#include "model/scalable_target.h"
#include "model/service.h"
#include "store/update.h"

namespace wharf::controlplane {

namespace json = boost::json;
namespace keys = model::keys;

namespace {

// ECS's defaults for cooldowns a policy leaves out.
constexpr int64_t kDefaultCooldown = 300;

double Number(const json::object& o, std::string_view key, double fallback = 0) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return fallback;
  return it->value().to_number<double>();
}

std::string TargetKeyOf(const json::object& record) {
  return keys::ScalableTargetKey(GetString(record, "ScalableDimension"), GetString(record, "ResourceId"));
}

bool Suspended(const json::object& target, std::string_view what) {
  return GetBool(GetObject(target, "SuspendedState"), what).value_or(false);
}

// The alarm's metric (or expression) over its evaluation range, oldest first.
std::vector<double> AlarmValues(const ScalingDeps& deps, const json::object& alarm, int64_t now) {
  auto spec = ReadAlarmSpec(alarm);
  if (!spec.ok()) return {};
  const int64_t period = spec->rule.period;
  const int64_t end = now / period * period;
  const int64_t start = end - period * spec->rule.evaluation_periods;
  auto results = metrics::RunQueries(deps.metrics, spec->queries, start, end);
  if (!results.ok()) return {};
  for (auto& r : *results) {
    if (r.id == spec->result_id) return std::move(r.series.values);
  }
  return {};
}

// A step policy's MetricAggregationType (Average unless told) over the alarm's datapoints.
std::optional<double> Aggregate(const std::vector<double>& values, std::string_view how) {
  if (values.empty()) return std::nullopt;
  if (how == "Minimum") return *std::min_element(values.begin(), values.end());
  if (how == "Maximum") return *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// What one invocation of a policy by an alarm asks: a capacity, and which cooldown it starts.
struct Ask {
  int64_t capacity;
  bool out;
};

std::optional<Ask> Decide(const ScalingDeps& deps, const json::object& policy, const json::object& target,
                          const json::object& alarm, int64_t current, int64_t now) {
  const std::string type = GetString(policy, "PolicyType");
  const std::vector<double> values = AlarmValues(deps, alarm, now);
  if (type == "TargetTrackingScaling") {
    // The newest datapoint is what the target is tracked by.
    std::optional<double> value = values.empty() ? std::nullopt : std::optional<double>(values.back());
    const json::object& config = GetObject(policy, "TargetTrackingScalingPolicyConfiguration");
    if (!value) return std::nullopt;
    const int64_t wanted = TargetTrackingCapacity(current, *value, Number(config, "TargetValue", 1));
    if (IsAlarmHigh(GetString(alarm, "AlarmName"))) {
      if (wanted <= current || Suspended(target, "DynamicScalingOutSuspended")) return std::nullopt;
      int64_t cooldown = GetInt(config, "ScaleOutCooldown").value_or(kDefaultCooldown);
      if (now < GetInt(policy, model::kPolicyLastScaleOut).value_or(INT64_MIN / 2) + cooldown) return std::nullopt;
      return Ask{wanted, true};
    }
    if (wanted >= current || Suspended(target, "DynamicScalingInSuspended") ||
        GetBool(config, "DisableScaleIn").value_or(false)) {
      return std::nullopt;
    }
    int64_t cooldown = GetInt(config, "ScaleInCooldown").value_or(kDefaultCooldown);
    if (now < GetInt(policy, model::kPolicyLastScaleIn).value_or(INT64_MIN / 2) + cooldown) return std::nullopt;
    return Ask{wanted, false};
  }
  // Step scaling. An alarm set by SetAlarmState over a metric without data breaches by 0.
  const json::object& config = GetObject(policy, "StepScalingPolicyConfiguration");
  const double threshold = Number(alarm, "Threshold");
  std::optional<double> value = Aggregate(values, GetString(config, "MetricAggregationType", "Average"));
  auto wanted = StepCapacity(config, current, value.value_or(threshold) - threshold);
  if (!wanted || *wanted == current) return std::nullopt;
  const bool out = *wanted > current;
  if (Suspended(target, out ? "DynamicScalingOutSuspended" : "DynamicScalingInSuspended")) return std::nullopt;
  int64_t cooldown = GetInt(config, "Cooldown").value_or(kDefaultCooldown);
  int64_t last = std::max(GetInt(policy, model::kPolicyLastScaleOut).value_or(INT64_MIN / 2),
                          GetInt(policy, model::kPolicyLastScaleIn).value_or(INT64_MIN / 2));
  if (now < last + cooldown) return std::nullopt;
  return Ask{*wanted, out};
}

// Invokes `policy_key`'s policy for `alarm`: decides against what the draft reads, then
// commits the service, the policy's cooldown and the activity together.
Status Invoke(const ScalingDeps& deps, const std::string& policy_key, const json::object& alarm, int64_t now) {
  const double at = EpochSeconds(deps.clock.Now());
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    ASSIGN_OR_RETURN(auto policy, GetRecord(draft, policy_key));
    if (!policy) return store::Decision<bool>(false);
    ASSIGN_OR_RETURN(auto target, GetRecord(draft, TargetKeyOf(*policy)));
    if (!target) return store::Decision<bool>(false);
    const std::string resource_id = GetString(*target, "ResourceId");
    ASSIGN_OR_RETURN(auto current, ServiceDesiredCount(draft, resource_id));
    if (!current) return store::Decision<bool>(false);
    auto ask = Decide(deps, *policy, *target, alarm, *current, now);
    if (!ask) return store::Decision<bool>(false);
    const int64_t min = GetInt(*target, "MinCapacity").value_or(0);
    const int64_t capacity = std::clamp<int64_t>(ask->capacity, min, std::max(min, GetInt(*target, "MaxCapacity").value_or(0)));
    if (capacity == *current) return store::Decision<bool>(false);
    ASSIGN_OR_RETURN(bool set, SetServiceDesiredCount(draft, resource_id, capacity));
    if (!set) return store::Decision<bool>(false);
    const bool out = capacity > *current;
    (*policy)[out ? model::kPolicyLastScaleOut : model::kPolicyLastScaleIn] = now;
    if (out) policy->erase(model::kPolicyLastScaleIn);  // a scale-out ends a scale-in cooldown
    PutRecord(draft, policy_key, *policy);
    const std::string n = std::to_string(capacity);
    json::object activity = NewScalingActivity(
        deps.random, *target, "Setting desired count to " + n + ".",
        "monitor alarm " + GetString(alarm, "AlarmName") + " in state " + GetString(alarm, "StateValue") +
            " triggered policy " + GetString(*policy, "PolicyName"),
        "Successfully set desired count to " + n + ". Change successfully fulfilled by ecs.", at);
    PutRecord(draft, ScalingActivityKeyOf(activity, at), activity);
    // The alarm's history records the action it took, as CloudWatch's does.
    const std::string policy_arn = GetString(*policy, "PolicyARN");
    json::object data{{"actionState", "Succeeded"},
                      {"stateUpdateTimestamp", static_cast<int64_t>(at * 1000)},
                      {"notificationResource", policy_arn},
                      {"publishedMessage", nullptr}};
    auto [history_key, item] = AlarmHistoryItem(alarm, "Action", "Successfully executed action " + policy_arn,
                                                Serialize(data), deps.clock.Now());
    PutRecord(draft, history_key, item);
    return store::Decision<bool>(store::Commit(true));
  });
  if (!done.ok()) return done.status();
  return Status::OK();
}

// Runs a due scheduled action: the target's new bounds, and the service's count moved
// inside them.
Status RunAction(const ScalingDeps& deps, const std::string& action_key, int64_t run_at, int64_t now) {
  const double at = EpochSeconds(deps.clock.Now());
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    ASSIGN_OR_RETURN(auto action, GetRecord(draft, action_key));
    if (!action) return store::Decision<bool>(false);
    if (GetInt(*action, model::kActionLastRun).value_or(INT64_MIN) >= run_at) return store::Decision<bool>(false);
    (*action)[model::kActionLastRun] = now;
    PutRecord(draft, action_key, *action);
    const std::string target_key = TargetKeyOf(*action);
    ASSIGN_OR_RETURN(auto target, GetRecord(draft, target_key));
    if (!target || Suspended(*target, "ScheduledScalingSuspended")) return store::Decision<bool>(store::Commit(true));
    const json::object& bounds = GetObject(*action, "ScalableTargetAction");
    std::string description, message;
    if (auto min = GetInt(bounds, "MinCapacity")) {
      (*target)["MinCapacity"] = *min;
      description = "min capacity to " + std::to_string(*min);
    }
    if (auto max = GetInt(bounds, "MaxCapacity")) {
      (*target)["MaxCapacity"] = *max;
      description += (description.empty() ? "" : " and ") + std::string("max capacity to ") + std::to_string(*max);
    }
    PutRecord(draft, target_key, *target);
    const std::string cause = "scheduled action name " + GetString(*action, "ScheduledActionName") + " was triggered";
    json::object activity = NewScalingActivity(deps.random, *target, "Setting " + description, cause,
                                               "Successfully set " + description, at);
    PutRecord(draft, ScalingActivityKeyOf(activity, at), activity);
    const std::string resource_id = GetString(*target, "ResourceId");
    ASSIGN_OR_RETURN(auto current, ServiceDesiredCount(draft, resource_id));
    if (current) {
      const int64_t min = GetInt(*target, "MinCapacity").value_or(0), max = GetInt(*target, "MaxCapacity").value_or(0);
      const int64_t capacity = std::clamp<int64_t>(*current, min, std::max(min, max));
      if (capacity != *current) {
        ASSIGN_OR_RETURN(bool set, SetServiceDesiredCount(draft, resource_id, capacity));
        if (set) {
          const std::string n = std::to_string(capacity);
          json::object moved = NewScalingActivity(
              deps.random, *target, "Setting desired count to " + n + ".",
              std::string(capacity > *current ? "minimum" : "maximum") + " capacity was set to " + n,
              "Successfully set desired count to " + n + ". Change successfully fulfilled by ecs.", at + 0.001);
          PutRecord(draft, ScalingActivityKeyOf(moved, at + 0.001), moved);
        }
      }
    }
    return store::Decision<bool>(store::Commit(true));
  });
  if (!done.ok()) return done.status();
  return Status::OK();
}

// When the action runs next after its last run, if that is due now.
std::optional<int64_t> DueRun(const json::object& action, int64_t now, std::map<std::string, TimeZone>& zones) {
  auto schedule = ParseSchedule(GetString(action, "Schedule"));
  if (!schedule.ok()) return std::nullopt;
  const std::string zone_name = GetString(action, "Timezone", "UTC");
  auto zone = zones.find(zone_name);
  if (zone == zones.end()) {
    auto loaded = TimeZone::Load(zone_name);
    if (!loaded.ok()) return std::nullopt;
    zone = zones.emplace(zone_name, *loaded).first;
  }
  const int64_t created = static_cast<int64_t>(Number(action, "CreationTime"));
  const bool has_start = Has(action, "StartTime");
  const int64_t start = static_cast<int64_t>(Number(action, "StartTime"));
  // The first run is the first time after the action was made (a rate: one interval later),
  // or from its StartTime on.
  int64_t after = GetInt(action, model::kActionLastRun).value_or(has_start ? start - 1 : created);
  if (has_start) after = std::max(after, start - 1);
  auto next = NextRun(*schedule, zone->second, after, has_start ? start : created);
  if (!next || *next > now) return std::nullopt;
  if (Has(action, "EndTime") && *next > static_cast<int64_t>(Number(action, "EndTime"))) return std::nullopt;
  return next;
}

}  // namespace

json::object NewScalingActivity(Random& random, const json::object& target, std::string description,
                                std::string cause, std::string status_message, double now) {
  return json::object{{"ActivityId", RandomUuid(random)},
                      {"ServiceNamespace", GetString(target, "ServiceNamespace")},
                      {"ResourceId", GetString(target, "ResourceId")},
                      {"ScalableDimension", GetString(target, "ScalableDimension")},
                      {"Description", std::move(description)},
                      {"Cause", std::move(cause)},
                      {"StartTime", now},
                      {"EndTime", now},
                      {"StatusCode", "Successful"},
                      {"StatusMessage", std::move(status_message)}};
}

std::string ScalingActivityKeyOf(const json::object& activity, double now) {
  return keys::ScalingActivityKey(GetString(activity, "ScalableDimension"), GetString(activity, "ResourceId"),
                                  static_cast<int64_t>(now * 1000), GetString(activity, "ActivityId"));
}

Result<std::optional<int64_t>> ServiceDesiredCount(store::Draft& draft, const std::string& resource_id) {
  auto service = model::ParseEcsServiceResourceId(resource_id);
  if (!service) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(auto record, GetRecord(draft, keys::ServiceKey(service->cluster, service->service)));
  if (!record || GetString(*record, "status") != "ACTIVE") return std::optional<int64_t>();
  return GetInt(*record, "desiredCount");
}

Result<bool> SetServiceDesiredCount(store::Draft& draft, const std::string& resource_id, int64_t capacity) {
  auto parsed = model::ParseEcsServiceResourceId(resource_id);
  if (!parsed) return false;
  const std::string key = keys::ServiceKey(parsed->cluster, parsed->service);
  ASSIGN_OR_RETURN(auto record, GetRecord(draft, key));
  if (!record || GetString(*record, "status") != "ACTIVE") return false;
  json::object& service = *record;
  service["desiredCount"] = capacity;
  // As UpdateService without a new deployment: the primary deployment takes the count.
  if (auto it = service.find("deployments"); it != service.end() && it->value().is_array() &&
                                             !it->value().get_array().empty() &&
                                             it->value().get_array()[0].is_object()) {
    it->value().get_array()[0].get_object()["desiredCount"] = capacity;
  }
  model::ServiceControllerState state = model::ServiceControllerState::Of(service);
  state.steady = false;
  state.WriteTo(service, state.failures_counted.size());
  PutRecord(draft, key, service);
  return true;
}

Status RunScaling(const ScalingDeps& deps) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(deps.clock.Now().time_since_epoch()).count();
  // Scheduled actions first: their bounds hold for the policies that act after them.
  ASSIGN_OR_RETURN(auto actions, ReadRecords(deps.store, keys::kScheduledActions));
  std::map<std::string, TimeZone> zones;
  for (const auto& action : actions) {
    auto due = DueRun(action.value, now, zones);
    if (!due) continue;
    Status ran = RunAction(deps, action.key, *due, now);
    if (!ran.ok()) LOG_WARN("msg=\"scheduled action failed\" key={} error=\"{}\"", action.key, ran.ToString());
  }
  ASSIGN_OR_RETURN(auto policies, ReadRecords(deps.store, keys::kScalingPolicies));
  if (policies.empty()) return Status::OK();
  std::map<std::string, std::string> policy_keys;  // PolicyARN -> key
  for (const auto& p : policies) policy_keys[GetString(p.value, "PolicyARN")] = p.key;
  ASSIGN_OR_RETURN(auto alarms, LoadRecords(deps.store, keys::kCloudWatchAlarms));
  for (const auto& alarm : alarms) {
    if (!GetBool(alarm, "ActionsEnabled").value_or(true)) continue;
    const std::string state = GetString(alarm, "StateValue");
    const char* list = state == "ALARM" ? "AlarmActions" : state == "OK" ? "OKActions" : "InsufficientDataActions";
    for (const auto& arn : GetArray(alarm, list)) {
      if (!arn.is_string()) continue;
      auto policy = policy_keys.find(std::string(arn.get_string()));
      if (policy == policy_keys.end()) continue;
      Status invoked = Invoke(deps, policy->second, alarm, now);
      if (!invoked.ok()) LOG_WARN("msg=\"scaling policy failed\" policy={} error=\"{}\"", policy->first, invoked.ToString());
    }
  }
  return Status::OK();
}

Status ExpireScalingActivities(store::Store& store, Clock& clock) {
  constexpr double kRetention = 42 * 86400;
  const double oldest = EpochSeconds(clock.Now()) - kRetention;
  ASSIGN_OR_RETURN(auto activities, ReadRecords(store, keys::kScalingActivities));
  store::Txn txn;
  for (const auto& a : activities) {
    if (Number(a.value, "StartTime") < oldest) txn.ops.push_back(store::Op::Delete(a.key));
  }
  if (!txn.ops.empty()) RETURN_IF_ERROR(store.Commit(txn).status());
  return Status::OK();
}

}  // namespace wharf::controlplane
