// Scaling policies: PutScalingPolicy (target tracking, step scaling), DescribeScalingPolicies,
// DeleteScalingPolicy; GetPredictiveScalingForecast is refused.
#include <set>

#include "api/application_autoscaling/handlers.h"
#include "controlplane/scaling_policy.h"
#include "model/scalable_target.h"

namespace wharf::api::application_autoscaling {

namespace {

namespace keys = model::keys;

std::optional<AwsError> CheckStepConfiguration(const object& config) {
  const std::string type = GetString(config, "AdjustmentType");
  if (type != "ChangeInCapacity" && type != "ExactCapacity" && type != "PercentChangeInCapacity") {
    return Validation("AdjustmentType must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity");
  }
  const array& steps = GetArray(config, "StepAdjustments");
  if (steps.empty()) return Validation("StepAdjustments must contain at least one step adjustment");
  int open_lower = 0, open_upper = 0;
  for (const auto& s : steps) {
    if (!s.is_object()) continue;
    const object& step = s.get_object();
    if (!Has(step, "ScalingAdjustment")) return Validation("Each step adjustment needs a ScalingAdjustment");
    open_lower += !Has(step, "MetricIntervalLowerBound");
    open_upper += !Has(step, "MetricIntervalUpperBound");
    if (Has(step, "MetricIntervalLowerBound") && Has(step, "MetricIntervalUpperBound") &&
        step.at("MetricIntervalLowerBound").to_number<double>() >= step.at("MetricIntervalUpperBound").to_number<double>()) {
      return Validation("MetricIntervalLowerBound must be less than MetricIntervalUpperBound");
    }
  }
  if (open_lower > 1 || open_upper > 1) {
    return Validation("At most one step adjustment may have a null lower bound, and at most one a null upper bound");
  }
  if (Has(config, "MinAdjustmentMagnitude") && type != "PercentChangeInCapacity") {
    return Validation("MinAdjustmentMagnitude is only allowed with the PercentChangeInCapacity adjustment type");
  }
  if (Has(config, "Cooldown") && GetInt(config, "Cooldown").value_or(-1) < 0) return Validation("Cooldown must be at least 0");
  if (Has(config, "MetricAggregationType")) {
    const std::string how = GetString(config, "MetricAggregationType");
    if (how != "Average" && how != "Minimum" && how != "Maximum") {
      return Validation("MetricAggregationType must be Average, Minimum or Maximum");
    }
  }
  return std::nullopt;
}

std::string PolicyWords(const TargetId& id, const std::string& name) {
  return TargetWords(id) + ", policy name: " + name;
}

}  // namespace

Outcome PutScalingPolicy(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  const std::string name = GetString(in, "PolicyName");
  const std::string type = GetString(in, "PolicyType", "StepScaling");
  if (type == "PredictiveScaling" || Has(in, "PredictiveScalingPolicyConfiguration")) {
    return Validation("Predictive scaling policies are not supported by wharf.");
  }
  const bool step = type == "StepScaling";
  if (!step && type != "TargetTrackingScaling") return Validation("Unsupported policy type " + type);
  if (step) {
    if (Has(in, "TargetTrackingScalingPolicyConfiguration")) {
      return Validation("TargetTrackingScalingPolicyConfiguration is not allowed for the StepScaling policy type");
    }
    if (!Has(in, "StepScalingPolicyConfiguration")) {
      return Validation("StepScalingPolicyConfiguration is required for the StepScaling policy type");
    }
    if (auto e = CheckStepConfiguration(GetObject(in, "StepScalingPolicyConfiguration"))) return *e;
  } else {
    if (Has(in, "StepScalingPolicyConfiguration")) {
      return Validation("StepScalingPolicyConfiguration is not allowed for the TargetTrackingScaling policy type");
    }
    if (!Has(in, "TargetTrackingScalingPolicyConfiguration")) {
      return Validation("TargetTrackingScalingPolicyConfiguration is required for the TargetTrackingScaling policy type");
    }
    Status checked = controlplane::CheckTargetTrackingConfiguration(GetObject(in, "TargetTrackingScalingPolicyConfiguration"));
    if (!checked.ok()) return ScalingError(checked);
  }
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto target, controlplane::GetRecord(draft, keys::ScalableTargetKey(id.dimension, id.resource_id)));
    if (!target) return store::Decision<Outcome>(TargetNotFound(id));
    const std::string key = keys::ScalingPolicyKey(id.dimension, id.resource_id, name);
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, key));
    object policy{{"PolicyARN", existing ? GetString(*existing, "PolicyARN")
                                         : PolicyLikeArn(deps, "scalingPolicy", id, "policyName", name)},
                  {"PolicyName", name},
                  {"ServiceNamespace", id.name_space},
                  {"ResourceId", id.resource_id},
                  {"ScalableDimension", id.dimension},
                  {"PolicyType", type},
                  {"Alarms", array{}},
                  {"CreationTime", existing ? existing->at("CreationTime") : boost::json::value(Now(deps))}};
    if (existing) {
      // The cooldowns under way carry over; the old alarms give way to the new ones.
      for (std::string_view kept : {model::kPolicyLastScaleOut, model::kPolicyLastScaleIn}) {
        if (auto it = existing->find(kept); it != existing->end()) policy[kept] = it->value();
      }
      DeletePolicyAlarms(draft, *existing);
    }
    object out{{"PolicyARN", policy["PolicyARN"]}};
    if (step) {
      policy["StepScalingPolicyConfiguration"] = GetObject(in, "StepScalingPolicyConfiguration");
    } else {
      policy["TargetTrackingScalingPolicyConfiguration"] = GetObject(in, "TargetTrackingScalingPolicyConfiguration");
      Status alarms = PutPolicyAlarms(deps, draft, policy);
      if (alarms.IsInvalidArgument()) return store::Decision<Outcome>(Validation(alarms.message()));
      RETURN_IF_ERROR(alarms);
      out["Alarms"] = policy["Alarms"];
    }
    controlplane::PutRecord(draft, key, policy);
    return store::Decision<Outcome>(store::Commit(Outcome(std::move(out))));
  });
}

Outcome DescribeScalingPolicies(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckNamespace(in)) return *e;
  std::set<std::string> names;
  for (const auto& n : GetArray(in, "PolicyNames")) {
    if (n.is_string()) names.emplace(n.get_string());
  }
  const std::string resource = GetString(in, "ResourceId"), dimension = GetString(in, "ScalableDimension");
  auto policies = controlplane::LoadRecords(deps.store, keys::kScalingPolicies);
  if (!policies.ok()) return ScalingError(policies.status());
  auto alarms = controlplane::LoadRecords(deps.store, keys::kCloudWatchAlarms);
  if (!alarms.ok()) return ScalingError(alarms.status());
  std::vector<object> found;
  for (auto& p : *policies) {
    if (!names.empty() && !names.count(GetString(p, "PolicyName"))) continue;
    if (!resource.empty() && GetString(p, "ResourceId") != resource) continue;
    if (!dimension.empty() && GetString(p, "ScalableDimension") != dimension) continue;
    if (GetString(p, "PolicyType") == "StepScaling") {
      // A step policy's alarms are the ones that name it in their actions.
      array listed;
      const std::string arn = GetString(p, "PolicyARN");
      for (const auto& a : *alarms) {
        bool names_it = false;
        for (std::string_view list : {"AlarmActions", "OKActions", "InsufficientDataActions"}) {
          for (const auto& action : GetArray(a, list)) names_it = names_it || (action.is_string() && action.get_string() == arn);
        }
        if (names_it) listed.push_back(object{{"AlarmName", GetString(a, "AlarmName")}, {"AlarmARN", GetString(a, "AlarmArn")}});
      }
      p["Alarms"] = std::move(listed);
    }
    found.push_back(std::move(p));
  }
  auto page = Page(in, std::move(found), "ScalingPolicies", 10, 10);
  if (auto* e = std::get_if<AwsError>(&page)) return *e;
  return std::get<object>(std::move(page));
}

Outcome DeleteScalingPolicy(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  const std::string name = GetString(in, "PolicyName");
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    const std::string key = keys::ScalingPolicyKey(id.dimension, id.resource_id, name);
    ASSIGN_OR_RETURN(auto policy, controlplane::GetRecord(draft, key));
    if (!policy) return store::Decision<Outcome>(ObjectNotFound("No scaling policy found for " + PolicyWords(id, name)));
    DeletePolicyAlarms(draft, *policy);
    draft.Delete(key);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

Outcome GetPredictiveScalingForecast(const ScalingApiDeps&, const RequestContext&, object&) {
  return Validation("Predictive scaling is not supported by wharf: there are no predictive scaling policies to forecast.");
}

}  // namespace wharf::api::application_autoscaling
