// Metric alarms: PutMetricAlarm, DescribeAlarms(ForMetric), DeleteAlarms, SetAlarmState,
// DescribeAlarmHistory, Enable/DisableAlarmActions. The state machine and evaluation are
// controlplane/alarm_evaluator.h's.
#include <algorithm>
#include <set>

#include "api/cloudwatch/handlers.h"
#include "controlplane/alarm_evaluator.h"
#include "controlplane/records.h"
#include "metrics/composite_rule.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::cloudwatch {

namespace {

namespace keys = model::keys;

AwsError TooManyUpdates() {
  return AwsError::Server("InternalServiceError", "Too many concurrent updates of the alarm; retry.");
}

// The members of PutMetricAlarm that the MetricAlarm shape shows as given.
constexpr std::string_view kConfigMembers[] = {
    "AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
    "EvaluateLowSampleCountPercentile", "Metrics"};

std::optional<AwsError> CheckAlarmInput(const object& in) {
  // Application Auto Scaling policies are the actions wharf runs (controlplane/scaling_controller.h);
  // there are no SNS topics, EC2 actions or Systems Manager items to notify.
  for (std::string_view list : {"AlarmActions", "OKActions", "InsufficientDataActions"}) {
    const array& actions = GetArray(in, list);
    if (actions.size() > 5) return InvalidValue("The collection " + std::string(list) + " must not have a size greater than 5.");
    for (const auto& a : actions) {
      if (!a.is_string() || !std::string_view(a.get_string()).starts_with("arn:aws:autoscaling:") ||
          std::string_view(a.get_string()).find(":scalingPolicy:") == std::string_view::npos) {
        return InvalidValue("wharf runs Application Auto Scaling policies (arn:aws:autoscaling:...:scalingPolicy:...) "
                            "as alarm actions only: " + std::string(list) + " names something else.");
      }
    }
  }
  if (!GetArray(in, "Tags").empty()) return InvalidValue("Tags on alarms are not supported by wharf.");
  if (Has(in, "ThresholdMetricId")) return InvalidValue("Anomaly detection alarms (ThresholdMetricId) are not supported by wharf.");
  if (Has(in, "EvaluationCriteria") || Has(in, "EvaluationInterval")) {
    return InvalidValue("PromQL alarms (EvaluationCriteria, EvaluationInterval) are not supported by wharf.");
  }
  if (Has(in, "EvaluateLowSampleCountPercentile") && GetString(in, "EvaluateLowSampleCountPercentile") != "evaluate") {
    return InvalidValue("EvaluateLowSampleCountPercentile: wharf always evaluates (only 'evaluate' is supported).");
  }
  const bool math = Has(in, "Metrics");
  if (math) {
    for (std::string_view single : {"MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit"}) {
      if (Has(in, single)) {
        return Combination("The parameters Metrics and " + std::string(single) + " are mutually exclusive.");
      }
    }
    if (GetArray(in, "Metrics").empty()) return Missing("Metrics");
  } else {
    if (!Has(in, "MetricName")) return Missing("MetricName");
    if (!Has(in, "Namespace")) return Missing("Namespace");
    if (Has(in, "Statistic") == Has(in, "ExtendedStatistic")) {
      return Combination("Exactly one of Statistic and ExtendedStatistic must be specified.");
    }
    if (Has(in, "ExtendedStatistic")) {
      auto p = metrics::ParseStatistic(GetString(in, "ExtendedStatistic"));
      if (!p || p->kind != metrics::Statistic::Kind::kPercentile) {
        return InvalidValue("The value " + GetString(in, "ExtendedStatistic") + " for parameter ExtendedStatistic is invalid.");
      }
    }
    if (!Has(in, "Period")) return Missing("Period");
    if (auto e = CheckPeriod(GetInt(in, "Period").value_or(0), "Period")) return *e;
    auto dims = ReadDimensions(in, "Dimensions", "Dimensions");
    if (auto* e = std::get_if<AwsError>(&dims)) return *e;
  }
  if (!Has(in, "EvaluationPeriods")) return Missing("EvaluationPeriods");
  if (!Has(in, "ComparisonOperator")) return Missing("ComparisonOperator");
  if (!Has(in, "Threshold")) return Missing("Threshold");
  const int64_t n = GetInt(in, "EvaluationPeriods").value_or(1);
  if (Has(in, "DatapointsToAlarm") && GetInt(in, "DatapointsToAlarm").value_or(0) > n) {
    return InvalidValue("DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
  }
  return std::nullopt;
}

bool MatchesActionPrefix(const object& alarm, const std::string& prefix) {
  for (std::string_view list : {"AlarmActions", "OKActions", "InsufficientDataActions"}) {
    for (const auto& a : GetArray(alarm, list)) {
      if (a.is_string() && std::string_view(a.get_string()).starts_with(prefix)) return true;
    }
  }
  return false;
}

}  // namespace

void WriteAlarmConfiguration(store::Draft& draft, object& alarm, const std::optional<object>& existing,
                             std::chrono::system_clock::time_point now) {
  if (existing) {
    // An update replaces the configuration and leaves the state as it is.
    for (std::string_view kept : {"StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
                                  "StateTransitionedTimestamp"}) {
      if (auto it = existing->find(kept); it != existing->end()) alarm[kept] = it->value();
    }
  } else {
    // The evaluator decides the first state within one interval.
    alarm["StateValue"] = "INSUFFICIENT_DATA";
    alarm["StateReason"] = "Unchecked: Initial alarm creation";
    alarm["StateUpdatedTimestamp"] = EpochSeconds(now);
    alarm["StateTransitionedTimestamp"] = EpochSeconds(now);
  }
  const std::string name = GetString(alarm, "AlarmName");
  object data{{"type", existing ? "Update" : "Create"}, {"version", "1.0"}};
  if (existing) data["originalUpdatedAlarm"] = *existing;
  data[existing ? "updatedAlarm" : "createdAlarm"] = alarm;
  auto [history_key, item] = controlplane::AlarmHistoryItem(
      alarm, "ConfigurationUpdate", "Alarm \"" + name + "\" " + (existing ? "updated" : "created"), Serialize(data), now);
  controlplane::PutRecord(draft, keys::CloudWatchAlarmKey(name), alarm);
  controlplane::PutRecord(draft, history_key, item);
}

Outcome PutMetricAlarm(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckAlarmInput(in)) return *e;
  const std::string name = GetString(in, "AlarmName");
  object config;
  for (std::string_view member : kConfigMembers) {
    if (auto it = in.find(member); it != in.end()) config[member] = it->value();
  }
  if (!Has(config, "DatapointsToAlarm")) config["DatapointsToAlarm"] = GetInt(in, "EvaluationPeriods").value_or(1);
  if (!Has(config, "TreatMissingData")) config["TreatMissingData"] = "missing";
  if (!Has(config, "Dimensions") && !Has(config, "Metrics")) config["Dimensions"] = array{};
  // What the evaluator will read must make sense before it is stored.
  auto spec = controlplane::ReadAlarmSpec(config);
  if (!spec.ok()) return CloudWatchError(spec.status());
  const auto now = deps.clock.Now();
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    const std::string key = keys::CloudWatchAlarmKey(name);
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, key));
    if (existing && controlplane::IsComposite(*existing)) return store::Decision<bool>(false);
    object alarm = config;
    alarm["AlarmName"] = name;
    alarm["AlarmArn"] = AlarmArn(deps, name);
    alarm["ActionsEnabled"] = GetBool(in, "ActionsEnabled").value_or(true);
    alarm["OKActions"] = GetArray(in, "OKActions");
    alarm["AlarmActions"] = GetArray(in, "AlarmActions");
    alarm["InsufficientDataActions"] = GetArray(in, "InsufficientDataActions");
    alarm["AlarmConfigurationUpdatedTimestamp"] = EpochSeconds(now);
    WriteAlarmConfiguration(draft, alarm, existing, now);
    return store::Decision<bool>(store::Commit(true));
  });
  if (!done.ok()) return CloudWatchError(done.status());
  if (!*done) return TooManyUpdates();
  if (!**done) return InvalidValue("The alarm " + name + " is a composite alarm; a metric alarm cannot replace it.");
  return object{};
}

namespace {

Result<std::vector<object>> LoadAlarms(const CloudWatchDeps& deps) {
  return controlplane::LoadRecords(deps.store, keys::kCloudWatchAlarms);
}

// A page of `items` from the request's NextToken, at most `max` of them.
Outcome Page(const object& in, std::vector<object> items, size_t max, const char* member, object out = {}) {
  auto offset = PageOffset(in);
  if (auto* e = std::get_if<AwsError>(&offset)) return *e;
  size_t skip = std::get<size_t>(offset);
  array page;
  for (size_t i = skip; i < items.size() && page.size() < max; ++i) page.push_back(std::move(items[i]));
  if (skip + page.size() < items.size()) out["NextToken"] = PageToken(skip + page.size());
  out[member] = std::move(page);
  return out;
}

std::variant<size_t, AwsError> MaxRecords(const object& in, size_t fallback) {
  if (!Has(in, "MaxRecords")) return fallback;
  int64_t n = GetInt(in, "MaxRecords").value_or(0);
  if (n < 1 || n > 100) return InvalidValue("The parameter MaxRecords must be between 1 and 100.");
  return static_cast<size_t>(n);
}

}  // namespace

Outcome DescribeAlarms(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const array& names = GetArray(in, "AlarmNames");
  if (!names.empty() && Has(in, "AlarmNamePrefix")) {
    return Combination("AlarmNames and AlarmNamePrefix are mutually exclusive.");
  }
  if (names.size() > 100) return InvalidValue("The collection AlarmNames must not have a size greater than 100.");
  auto max = MaxRecords(in, 50);
  if (auto* e = std::get_if<AwsError>(&max)) return *e;
  auto alarms = LoadAlarms(deps);
  if (!alarms.ok()) return CloudWatchError(alarms.status());
  // An alarm's children or parents: only their names, ARNs and states, and nothing else may
  // be asked with them, as on AWS.
  const bool children = Has(in, "ChildrenOfAlarmName"), parents = Has(in, "ParentsOfAlarmName");
  if (children || parents) {
    for (std::string_view other : {"AlarmNames", "AlarmNamePrefix", "AlarmTypes", "StateValue", "ActionPrefix"}) {
      if (Has(in, other) || (children && parents)) {
        return InvalidValue("With ChildrenOfAlarmName or ParentsOfAlarmName, only MaxRecords and NextToken may be given.");
      }
    }
    const std::string of = GetString(in, children ? "ChildrenOfAlarmName" : "ParentsOfAlarmName");
    std::set<std::string> related;
    for (const auto& a : *alarms) {
      if (!controlplane::IsComposite(a)) continue;
      auto rule = metrics::CompositeRule::Parse(GetString(a, "AlarmRule"));
      if (!rule.ok()) continue;
      if (children && GetString(a, "AlarmName") == of) related = rule->alarms();
      if (parents && rule->alarms().count(of)) related.insert(GetString(a, "AlarmName"));
    }
    array metric, composite;
    for (const auto& a : *alarms) {
      if (!related.count(GetString(a, "AlarmName"))) continue;
      object brief;
      for (std::string_view k : {"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"}) {
        if (auto it = a.find(k); it != a.end()) brief[k] = it->value();
      }
      (controlplane::IsComposite(a) ? composite : metric).push_back(std::move(brief));
    }
    return object{{"MetricAlarms", std::move(metric)}, {"CompositeAlarms", std::move(composite)}};
  }
  // Without AlarmTypes only metric alarms are described, as on AWS.
  bool metric_alarms = !Has(in, "AlarmTypes"), composite_alarms = false;
  for (const auto& t : GetArray(in, "AlarmTypes")) {
    metric_alarms = metric_alarms || t == "MetricAlarm";
    composite_alarms = composite_alarms || t == "CompositeAlarm";
  }
  std::set<std::string> wanted;
  for (const auto& n : names) {
    if (n.is_string()) wanted.emplace(n.get_string());
  }
  const std::string prefix = GetString(in, "AlarmNamePrefix"), state = GetString(in, "StateValue"),
                    action_prefix = GetString(in, "ActionPrefix");
  // One page over both kinds: metric alarms first, then composites.
  std::vector<object> found;
  size_t metric_count = 0;
  for (bool composite : {false, true}) {
    if (!(composite ? composite_alarms : metric_alarms)) continue;
    for (const auto& a : *alarms) {
      if (controlplane::IsComposite(a) != composite) continue;
      const std::string name = GetString(a, "AlarmName");
      if (!wanted.empty() && !wanted.count(name)) continue;
      if (!name.starts_with(prefix)) continue;
      if (!state.empty() && GetString(a, "StateValue") != state) continue;
      if (Has(in, "ActionPrefix") && !MatchesActionPrefix(a, action_prefix)) continue;
      found.push_back(a);
      if (!composite) ++metric_count;
    }
  }
  auto offset = PageOffset(in);
  if (auto* e = std::get_if<AwsError>(&offset)) return *e;
  const size_t skip = std::get<size_t>(offset), limit = std::get<size_t>(max);
  object out;
  array metric, composite;
  for (size_t i = skip; i < found.size() && metric.size() + composite.size() < limit; ++i) {
    (i < metric_count ? metric : composite).push_back(std::move(found[i]));
  }
  const size_t next = skip + metric.size() + composite.size();
  if (next < found.size()) out["NextToken"] = PageToken(next);
  out["MetricAlarms"] = std::move(metric);
  out["CompositeAlarms"] = std::move(composite);
  return out;
}

Outcome DescribeAlarmsForMetric(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  auto dims = ReadDimensions(in, "Dimensions", "Dimensions");
  if (auto* e = std::get_if<AwsError>(&dims)) return *e;
  std::vector<metrics::Dimension> wanted_dims = std::get<0>(std::move(dims));
  std::sort(wanted_dims.begin(), wanted_dims.end());
  auto alarms = LoadAlarms(deps);
  if (!alarms.ok()) return CloudWatchError(alarms.status());
  array found;
  for (auto& a : *alarms) {
    auto spec = controlplane::ReadAlarmSpec(a);
    if (!spec.ok()) continue;
    bool match = false;
    for (const auto& q : spec->queries) {
      if (!q.metric_stat) continue;
      const auto& ms = *q.metric_stat;
      if (ms.metric.name_space != GetString(in, "Namespace") || ms.metric.metric_name != GetString(in, "MetricName")) continue;
      if (Has(in, "Dimensions") && ms.metric.dimensions != wanted_dims) continue;
      if (Has(in, "Period") && ms.period != GetInt(in, "Period").value_or(0)) continue;
      if (Has(in, "Unit") && ms.unit.value_or("") != GetString(in, "Unit")) continue;
      if (Has(in, "Statistic") && ms.stat.name != GetString(in, "Statistic")) continue;
      if (Has(in, "ExtendedStatistic") && ms.stat.name != GetString(in, "ExtendedStatistic")) continue;
      match = true;
    }
    if (match) found.push_back(std::move(a));
  }
  return object{{"MetricAlarms", std::move(found)}};
}

Outcome DeleteAlarms(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const array& names = GetArray(in, "AlarmNames");
  if (names.size() > 100) return InvalidValue("The collection AlarmNames must not have a size greater than 100.");
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<std::string>> {
    std::string missing;
    std::vector<std::string> found;
    for (const auto& n : names) {
      if (!n.is_string()) continue;
      const std::string key = keys::CloudWatchAlarmKey(std::string(n.get_string()));
      ASSIGN_OR_RETURN(auto value, draft.Get(key));
      if (!value) {
        missing += (missing.empty() ? "" : ", ") + std::string(n.get_string());
      } else {
        found.push_back(key);
      }
    }
    // One missing alarm fails the call and deletes nothing, as on AWS.
    if (!missing.empty()) return store::Decision<std::string>(missing);
    for (auto& key : found) draft.Delete(std::move(key));
    return store::Decision<std::string>(store::Commit(std::string()));
  });
  if (!done.ok()) return CloudWatchError(done.status());
  if (!*done) return TooManyUpdates();
  if (!(*done)->empty()) {
    return AwsError{"ResourceNotFound", "The following alarms were not found: [" + **done + "]", 404, false};
  }
  return object{};
}

Outcome SetAlarmState(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const std::string name = GetString(in, "AlarmName");
  const std::string reason_data = GetString(in, "StateReasonData");
  if (!reason_data.empty() && !ParseObject(reason_data).ok()) {
    return AwsError::Client("InvalidFormat", "StateReasonData is not valid JSON.");
  }
  auto changed = controlplane::ChangeAlarmState(deps.store, name, GetString(in, "StateValue"),
                                                GetString(in, "StateReason"), reason_data, deps.clock.Now(), true);
  if (!changed.ok()) return CloudWatchError(changed.status());
  if (!*changed) return AlarmNotFound(name);
  return object{};
}

Outcome DescribeAlarmHistory(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  auto max = MaxRecords(in, 100);
  if (auto* e = std::get_if<AwsError>(&max)) return *e;
  if (Has(in, "AlarmContributorId")) return InvalidValue("Alarm contributors are not supported by wharf.");
  // Without AlarmTypes only metric alarms' history, as on AWS.
  std::set<std::string> types;
  for (const auto& t : GetArray(in, "AlarmTypes")) {
    if (t.is_string()) types.emplace(t.get_string());
  }
  if (types.empty()) types.emplace("MetricAlarm");
  const std::string name = GetString(in, "AlarmName"), type = GetString(in, "HistoryItemType");
  std::string prefix(keys::kCloudWatchAlarmHistory);
  if (!name.empty()) prefix += name + "/";
  auto records = controlplane::ReadRecords(deps.store, prefix);
  if (!records.ok()) return CloudWatchError(records.status());
  const double from = Has(in, "StartDate") ? static_cast<double>(SecondsOf(in, "StartDate")) : -1e18;
  const double to = Has(in, "EndDate") ? static_cast<double>(SecondsOf(in, "EndDate")) : 1e18;
  std::vector<object> items;
  for (auto& r : *records) {
    if (!types.count(GetString(r.value, "AlarmType"))) continue;
    double at = r.value.contains("Timestamp") ? r.value.at("Timestamp").to_number<double>() : 0;
    if (at < from || at > to) continue;
    if (!type.empty() && GetString(r.value, "HistoryItemType") != type) continue;
    items.push_back(std::move(r.value));
  }
  // Newest first unless asked otherwise; keys sort by alarm, then time.
  std::stable_sort(items.begin(), items.end(), [](const object& a, const object& b) {
    return a.at("Timestamp").to_number<double>() < b.at("Timestamp").to_number<double>();
  });
  if (GetString(in, "ScanBy") != "TimestampAscending") std::reverse(items.begin(), items.end());
  return Page(in, std::move(items), std::get<size_t>(max), "AlarmHistoryItems");
}

namespace {

Outcome SetActionsEnabled(const CloudWatchDeps& deps, const object& in, bool enabled) {
  const array& names = GetArray(in, "AlarmNames");
  if (names.size() > 100) return InvalidValue("The collection AlarmNames must not have a size greater than 100.");
  for (const auto& n : names) {
    if (!n.is_string()) continue;
    // An alarm that does not exist is passed over, as CloudWatch does.
    auto done = controlplane::UpdateRecord(deps.store, keys::CloudWatchAlarmKey(std::string(n.get_string())),
                                           [&](std::optional<object>& alarm) -> store::Decision<bool> {
                                             if (!alarm) return false;
                                             (*alarm)["ActionsEnabled"] = enabled;
                                             return store::Commit(true);
                                           });
    if (!done.ok()) return CloudWatchError(done.status());
    if (!*done) return TooManyUpdates();
  }
  return object{};
}

}  // namespace

Outcome EnableAlarmActions(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  return SetActionsEnabled(deps, in, true);
}

Outcome DisableAlarmActions(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  return SetActionsEnabled(deps, in, false);
}

}  // namespace wharf::api::cloudwatch
