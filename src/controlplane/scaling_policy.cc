#include "controlplane/scaling_policy.h"

#include <cmath>
#include <cstdlib>

#include "model/json.h"
#include "model/scalable_target.h"

namespace wharf::controlplane {

namespace json = boost::json;

namespace {

std::optional<double> Number(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return std::nullopt;
  return it->value().to_number<double>();
}

json::array Dims(std::initializer_list<std::pair<const char*, std::string>> dims) {
  json::array out;
  for (const auto& [name, value] : dims) out.push_back(json::object{{"Name", name}, {"Value", value}});
  return out;
}

// The metric members of the alarms: a predefined metric's, or the customized one's.
Result<json::object> AlarmMetric(const json::object& config, const std::string& resource_id, int64_t period) {
  json::object metric;
  if (Has(config, "PredefinedMetricSpecification")) {
    const json::object& spec = GetObject(config, "PredefinedMetricSpecification");
    const std::string type = GetString(spec, "PredefinedMetricType");
    auto service = model::ParseEcsServiceResourceId(resource_id);
    if (!service) return Status::InvalidArgument("Unsupported service namespace, resource type or scalable dimension");
    if (type == "ECSServiceAverageCPUUtilization" || type == "ECSServiceAverageMemoryUtilization") {
      if (Has(spec, "ResourceLabel")) {
        return Status::InvalidArgument("ResourceLabel is only allowed for the ALBRequestCountPerTarget metric type");
      }
      metric["Namespace"] = "AWS/ECS";
      metric["MetricName"] = type == "ECSServiceAverageCPUUtilization" ? "CPUUtilization" : "MemoryUtilization";
      metric["Dimensions"] = Dims({{"ClusterName", service->cluster}, {"ServiceName", service->service}});
      metric["Statistic"] = "Average";
    } else if (type == "ALBRequestCountPerTarget") {
      const std::string label = GetString(spec, "ResourceLabel");
      size_t at = label.find("/targetgroup/");
      if (!label.starts_with("app/") || at == std::string::npos) {
        return Status::InvalidArgument(
            "ResourceLabel must be app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/"
            "<target-group-id> for the ALBRequestCountPerTarget metric type");
      }
      metric["Namespace"] = "AWS/ApplicationELB";
      metric["MetricName"] = "RequestCountPerTarget";
      metric["Dimensions"] = Dims({{"TargetGroup", label.substr(at + 1)}});
      metric["Statistic"] = "Sum";
    } else {
      return Status::InvalidArgument("Unsupported metric type " + type + " for the ecs service namespace");
    }
    metric["Period"] = period;
    return metric;
  }
  const json::object& custom = GetObject(config, "CustomizedMetricSpecification");
  if (Has(custom, "Metrics")) {
    for (const char* single : {"MetricName", "Namespace", "Dimensions", "Statistic", "Unit"}) {
      if (Has(custom, single)) {
        return Status::InvalidArgument(std::string("CustomizedMetricSpecification takes Metrics or ") + single +
                                       ", not both");
      }
    }
    json::array queries;
    for (const auto& q : GetArray(custom, "Metrics")) {
      if (!q.is_object()) continue;
      json::object query = q.get_object();
      if (Has(query, "MetricStat")) {
        json::object& stat = query["MetricStat"].as_object();
        stat["Period"] = period;
      } else {
        query["Period"] = period;
      }
      queries.push_back(std::move(query));
    }
    metric["Metrics"] = std::move(queries);
    return metric;
  }
  for (const char* required : {"MetricName", "Namespace", "Statistic"}) {
    if (!Has(custom, required)) {
      return Status::InvalidArgument(std::string("CustomizedMetricSpecification needs ") + required);
    }
  }
  metric["Namespace"] = GetString(custom, "Namespace");
  metric["MetricName"] = GetString(custom, "MetricName");
  metric["Dimensions"] = Has(custom, "Dimensions") ? custom.at("Dimensions") : json::array{};
  metric["Statistic"] = GetString(custom, "Statistic");
  if (Has(custom, "Unit")) metric["Unit"] = GetString(custom, "Unit");
  metric["Period"] = period;
  return metric;
}

}  // namespace

Status CheckTargetTrackingConfiguration(const json::object& config) {
  if (!Has(config, "TargetValue")) return Status::InvalidArgument("TargetValue is required");
  double target = Number(config, "TargetValue").value_or(0);
  if (!(target > 0)) return Status::InvalidArgument("TargetValue must be greater than 0");
  if (Has(config, "PredefinedMetricSpecification") == Has(config, "CustomizedMetricSpecification")) {
    return Status::InvalidArgument(
        "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified");
  }
  for (const char* cooldown : {"ScaleOutCooldown", "ScaleInCooldown"}) {
    if (Has(config, cooldown) && GetInt(config, cooldown).value_or(-1) < 0) {
      return Status::InvalidArgument(std::string(cooldown) + " must be at least 0");
    }
  }
  return Status::OK();
}

Result<std::vector<json::object>> TargetTrackingAlarms(const json::object& policy, const std::string& uuid,
                                                       int64_t period) {
  const json::object& config = GetObject(policy, "TargetTrackingScalingPolicyConfiguration");
  RETURN_IF_ERROR(CheckTargetTrackingConfiguration(config));
  const std::string resource_id = GetString(policy, "ResourceId");
  ASSIGN_OR_RETURN(json::object metric, AlarmMetric(config, resource_id, period));
  const double target = Number(config, "TargetValue").value_or(0);
  const std::string description =
      "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + GetString(policy, "PolicyARN") + ".";
  std::vector<json::object> alarms;
  json::object high = metric;
  high["AlarmName"] = "TargetTracking-" + resource_id + "-AlarmHigh-" + uuid;
  high["AlarmDescription"] = description;
  high["EvaluationPeriods"] = 3;
  high["DatapointsToAlarm"] = 3;
  high["Threshold"] = target;
  high["ComparisonOperator"] = "GreaterThanThreshold";
  alarms.push_back(std::move(high));
  if (!GetBool(config, "DisableScaleIn").value_or(false)) {
    json::object low = metric;
    low["AlarmName"] = "TargetTracking-" + resource_id + "-AlarmLow-" + uuid;
    low["AlarmDescription"] = description;
    low["EvaluationPeriods"] = 15;
    low["DatapointsToAlarm"] = 15;
    low["Threshold"] = target * 0.9;
    low["ComparisonOperator"] = "LessThanThreshold";
    alarms.push_back(std::move(low));
  }
  return alarms;
}

bool IsAlarmHigh(const std::string& alarm_name) { return alarm_name.find("-AlarmHigh-") != std::string::npos; }

int64_t TargetTrackingCapacity(int64_t current, double metric, double target) {
  if (target <= 0 || metric < 0) return current;
  double wanted = std::ceil(static_cast<double>(current) * metric / target - 1e-9);
  return wanted < 0 ? 0 : static_cast<int64_t>(wanted);
}

std::optional<int64_t> StepCapacity(const json::object& config, int64_t current, double breach) {
  for (const auto& s : GetArray(config, "StepAdjustments")) {
    if (!s.is_object()) continue;
    const json::object& step = s.get_object();
    auto lower = Number(step, "MetricIntervalLowerBound");
    auto upper = Number(step, "MetricIntervalUpperBound");
    bool above = breach >= 0;
    bool in = above ? (!lower || breach >= *lower) && (!upper || breach < *upper)
                    : (!lower || breach > *lower) && (!upper || breach <= *upper);
    if (!in) continue;
    const int64_t adjustment = GetInt(step, "ScalingAdjustment").value_or(0);
    const std::string type = GetString(config, "AdjustmentType");
    if (type == "ExactCapacity") return adjustment;
    if (type == "PercentChangeInCapacity") {
      double change = static_cast<double>(current) * static_cast<double>(adjustment) / 100.0;
      // AWS's rounding: between -1 and 1 away from zero, otherwise toward zero.
      int64_t whole = change > 0 && change < 1 ? 1 : change < 0 && change > -1 ? -1 : static_cast<int64_t>(change);
      int64_t magnitude = GetInt(config, "MinAdjustmentMagnitude").value_or(0);
      if (magnitude > 0 && std::llabs(whole) < magnitude) whole = whole < 0 ? -magnitude : magnitude;
      return current + whole;
    }
    return current + adjustment;
  }
  return std::nullopt;
}

}  // namespace wharf::controlplane
