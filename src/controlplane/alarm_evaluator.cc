#include "controlplane/alarm_evaluator.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>

#include "base/logging.h"
#include "controlplane/records.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::controlplane {

namespace json = boost::json;

namespace {

constexpr int64_t kHistoryRetention = 14 * 86400;

double Number(const json::object& o, std::string_view key, double fallback = 0) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return fallback;
  return it->value().to_number<double>();
}

std::vector<metrics::Dimension> ReadDimensions(const json::array& dims) {
  std::vector<metrics::Dimension> out;
  for (const auto& d : dims) {
    if (!d.is_object()) continue;
    out.push_back({GetString(d.get_object(), "Name"), GetString(d.get_object(), "Value")});
  }
  return out;
}

int64_t Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string Iso(int64_t secs) {
  return Iso8601(std::chrono::system_clock::time_point(std::chrono::seconds(secs)));
}

// Children's states, as the round has left them.
struct ChildState {
  std::string state, arn;
  double transitioned = 0;
};

// Decides every composite alarm again from its children until none changes; a composite of
// composites may need one pass per level (no cycles: PutCompositeAlarm refuses them).
void EvaluateComposites(store::Store& store, std::chrono::system_clock::time_point now) {
  auto alarms = LoadRecords(store, model::keys::kCloudWatchAlarms);
  if (!alarms.ok()) {
    LOG_WARN("msg=\"composite alarms not evaluated\" error=\"{}\"", alarms.status().message());
    return;
  }
  std::map<std::string, ChildState> states;
  for (const auto& a : *alarms) {
    states[GetString(a, "AlarmName")] = {GetString(a, "StateValue"), GetString(a, "AlarmArn"),
                                         Number(a, "StateTransitionedTimestamp")};
  }
  auto state_of = [&states](const std::string& name) -> std::optional<std::string> {
    auto it = states.find(name);
    if (it == states.end()) return std::nullopt;
    return it->second.state;
  };
  for (size_t pass = 0; pass <= alarms->size(); ++pass) {
    bool changed_any = false;
    for (const auto& alarm : *alarms) {
      if (!IsComposite(alarm)) continue;
      const std::string name = GetString(alarm, "AlarmName");
      auto rule = metrics::CompositeRule::Parse(GetString(alarm, "AlarmRule"));
      if (!rule.ok()) continue;
      std::string state(rule->Evaluate(state_of) ? metrics::kAlarm : metrics::kOk);
      ChildState& mine = states[name];
      if (state == mine.state) continue;
      // The reason names the child that changed last, as CloudWatch's does.
      const ChildState* trigger = nullptr;
      json::array triggering;
      for (const auto& child : rule->alarms()) {
        auto it = states.find(child);
        if (it == states.end()) continue;
        if (!trigger || it->second.transitioned > trigger->transitioned) trigger = &it->second;
        triggering.push_back(json::object{
            {"arn", it->second.arn},
            {"state", json::object{{"value", it->second.state},
                                   {"timestamp", Iso(static_cast<int64_t>(it->second.transitioned))}}}});
      }
      std::string reason = trigger ? trigger->arn + " transitioned to " + trigger->state + " at " +
                                         Iso(static_cast<int64_t>(trigger->transitioned))
                                   : "AlarmRule evaluated to " + std::string(state == metrics::kAlarm ? "TRUE" : "FALSE");
      json::object data{{"triggeringAlarms", std::move(triggering)}};
      auto written = ChangeAlarmState(store, name, state, reason, Serialize(data), now, false);
      if (!written.ok()) {
        LOG_WARN("msg=\"alarm state not written\" alarm=\"{}\" error=\"{}\"", name, written.status().message());
        continue;
      }
      mine.state = state;
      mine.transitioned = EpochSeconds(now);
      changed_any = true;
    }
    if (!changed_any) break;
  }
}

}  // namespace

bool IsComposite(const json::object& alarm) { return alarm.contains("AlarmRule"); }

Result<AlarmSpec> ReadAlarmSpec(const json::object& alarm) {
  AlarmSpec spec;
  auto& rule = spec.rule;
  rule.evaluation_periods = static_cast<int>(GetInt(alarm, "EvaluationPeriods").value_or(1));
  rule.datapoints_to_alarm = static_cast<int>(GetInt(alarm, "DatapointsToAlarm").value_or(rule.evaluation_periods));
  rule.threshold = Number(alarm, "Threshold");
  auto comparison = metrics::ParseComparison(GetString(alarm, "ComparisonOperator"));
  if (!comparison) {
    return Status::InvalidArgument("ComparisonOperator " + GetString(alarm, "ComparisonOperator") +
                                   " is not supported (anomaly detection bands are not served)");
  }
  rule.comparison = *comparison;
  auto missing = metrics::ParseMissingData(GetString(alarm, "TreatMissingData"));
  if (!missing) {
    return Status::InvalidArgument("TreatMissingData must be one of breaching, notBreaching, ignore, missing");
  }
  rule.missing = *missing;
  if (rule.evaluation_periods < 1) return Status::InvalidArgument("EvaluationPeriods must be at least 1");
  if (rule.datapoints_to_alarm < 1 || rule.datapoints_to_alarm > rule.evaluation_periods) {
    return Status::InvalidArgument("DatapointsToAlarm must be between 1 and EvaluationPeriods");
  }
  if (Has(alarm, "Metrics")) {
    // Metric math: every MetricStat and expression; the one with ReturnData true is compared.
    int64_t period = 0;
    for (const auto& q : GetArray(alarm, "Metrics")) {
      if (!q.is_object()) continue;
      const json::object& o = q.get_object();
      metrics::Query query;
      query.id = GetString(o, "Id");
      query.label = GetString(o, "Label");
      query.return_data = GetBool(o, "ReturnData").value_or(true);
      if (Has(o, "MetricStat")) {
        const json::object& ms = GetObject(o, "MetricStat");
        const json::object& m = GetObject(ms, "Metric");
        metrics::MetricStat stat;
        stat.metric = metrics::MakeMetricId(GetString(m, "Namespace"), GetString(m, "MetricName"),
                                            ReadDimensions(GetArray(m, "Dimensions")));
        stat.period = GetInt(ms, "Period").value_or(60);
        auto parsed = metrics::ParseStatistic(GetString(ms, "Stat"));
        if (!parsed) return Status::InvalidArgument("Invalid statistic " + GetString(ms, "Stat") + " for " + query.id);
        stat.stat = *parsed;
        if (Has(ms, "Unit")) stat.unit = GetString(ms, "Unit");
        period = period ? period : stat.period;
        query.metric_stat = std::move(stat);
      } else {
        query.expression = GetString(o, "Expression");
        if (query.expression.empty()) return Status::InvalidArgument("Metrics " + query.id + " needs MetricStat or Expression");
        if (auto p = GetInt(o, "Period")) period = *p;
      }
      if (query.return_data) {
        if (!spec.result_id.empty()) {
          return Status::InvalidArgument("Exactly one element of the metrics list must return data.");
        }
        spec.result_id = query.id;
      }
      spec.queries.push_back(std::move(query));
    }
    if (spec.result_id.empty()) return Status::InvalidArgument("Exactly one element of the metrics list must return data.");
    rule.period = period > 0 ? period : 60;
    return spec;
  }
  metrics::MetricStat stat;
  stat.metric = metrics::MakeMetricId(GetString(alarm, "Namespace"), GetString(alarm, "MetricName"),
                                      ReadDimensions(GetArray(alarm, "Dimensions")));
  stat.period = GetInt(alarm, "Period").value_or(60);
  std::string statistic = Has(alarm, "ExtendedStatistic") ? GetString(alarm, "ExtendedStatistic") : GetString(alarm, "Statistic");
  auto parsed = metrics::ParseStatistic(statistic);
  if (!parsed) return Status::InvalidArgument("Invalid statistic " + statistic);
  stat.stat = *parsed;
  if (Has(alarm, "Unit")) stat.unit = GetString(alarm, "Unit");
  rule.period = stat.period;
  spec.result_id = "m1";
  spec.queries.push_back(metrics::Query{"m1", std::move(stat), "", "", true, 0});
  return spec;
}

std::pair<std::string, json::object> AlarmHistoryItem(const json::object& alarm, std::string_view type,
                                                      std::string summary, std::string data,
                                                      std::chrono::system_clock::time_point now) {
  static std::atomic<uint64_t> sequence{0};
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  char stamp[40];
  std::snprintf(stamp, sizeof(stamp), "%016lld-%llu", static_cast<long long>(ms),
                static_cast<unsigned long long>(sequence.fetch_add(1)));
  std::string name = GetString(alarm, "AlarmName");
  json::object item{{"AlarmName", name},
                    {"AlarmType", IsComposite(alarm) ? "CompositeAlarm" : "MetricAlarm"},
                    {"Timestamp", EpochSeconds(now)},
                    {"HistoryItemType", std::string(type)},
                    {"HistorySummary", std::move(summary)},
                    {"HistoryData", std::move(data)}};
  return {std::string(model::keys::kCloudWatchAlarmHistory) + name + "/" + stamp, std::move(item)};
}

Result<bool> ChangeAlarmState(store::Store& store, const std::string& name, std::string_view state,
                              const std::string& reason, const std::string& reason_data,
                              std::chrono::system_clock::time_point now, bool force) {
  const std::string key = model::keys::CloudWatchAlarmKey(name);
  ASSIGN_OR_RETURN(auto changed, store::Update(store, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    ASSIGN_OR_RETURN(auto alarm, GetRecord(draft, key));
    if (!alarm) return store::Decision<bool>(false);
    std::string old_state = GetString(*alarm, "StateValue");
    if (old_state == state && !force) return store::Decision<bool>(false);
    double at = EpochSeconds(now);
    (*alarm)["StateValue"] = std::string(state);
    (*alarm)["StateReason"] = reason;
    if (reason_data.empty()) {
      alarm->erase("StateReasonData");
    } else {
      (*alarm)["StateReasonData"] = reason_data;
    }
    (*alarm)["StateUpdatedTimestamp"] = at;
    if (old_state != state) (*alarm)["StateTransitionedTimestamp"] = at;
    json::object data{{"version", "1.0"},
                      {"oldState", json::object{{"stateValue", old_state}}},
                      {"newState", json::object{{"stateValue", std::string(state)}, {"stateReason", reason}}}};
    auto [history_key, item] =
        AlarmHistoryItem(*alarm, "StateUpdate", "Alarm updated from " + old_state + " to " + std::string(state),
                         Serialize(data), now);
    PutRecord(draft, key, *alarm);
    PutRecord(draft, history_key, item);
    return store::Decision<bool>(store::Commit(true));
  }));
  if (!changed) return Status::Unavailable("alarm " + name + ": too many concurrent updates");
  return *changed;
}

Status EvaluateAlarms(store::Store& store, const metrics::MetricStore& metrics, Clock& clock) {
  const auto now = clock.Now();
  const int64_t now_s = Seconds(now);
  ASSIGN_OR_RETURN(auto alarms, LoadRecords(store, model::keys::kCloudWatchAlarms));
  for (const json::object& alarm : alarms) {
    if (IsComposite(alarm)) continue;
    const std::string name = GetString(alarm, "AlarmName");
    auto spec = ReadAlarmSpec(alarm);
    if (!spec.ok()) {
      LOG_WARN("msg=\"alarm not evaluated\" alarm=\"{}\" error=\"{}\"", name, spec.status().message());
      continue;
    }
    const int64_t period = spec->rule.period;
    const int64_t end = now_s / period * period;
    const int64_t start = end - period * spec->rule.evaluation_periods;
    auto results = metrics::RunQueries(metrics, spec->queries, start, end);
    if (!results.ok()) {
      LOG_WARN("msg=\"alarm not evaluated\" alarm=\"{}\" error=\"{}\"", name, results.status().message());
      continue;
    }
    metrics::TimeSeries series;
    for (auto& r : *results) {
      if (r.id == spec->result_id) series = std::move(r.series);
    }
    std::string current = GetString(alarm, "StateValue");
    metrics::AlarmDecision decision = metrics::EvaluateAlarm(spec->rule, series, end, current);
    if (decision.state == current) continue;
    json::array recent, evaluated;
    for (const auto& [t, v] : decision.datapoints) {
      recent.push_back(v);
      evaluated.push_back(json::object{{"timestamp", Iso(t)}, {"value", v}});
    }
    json::object data{{"version", "1.0"},
                      {"queryDate", Iso8601(now)},
                      {"startDate", Iso(start)},
                      {"period", period},
                      {"recentDatapoints", recent},
                      {"threshold", spec->rule.threshold},
                      {"evaluatedDatapoints", evaluated}};
    if (Has(alarm, "Statistic")) data["statistic"] = GetString(alarm, "Statistic");
    if (Has(alarm, "Unit")) data["unit"] = GetString(alarm, "Unit");
    auto changed = ChangeAlarmState(store, name, decision.state, decision.reason, Serialize(data), now, false);
    if (!changed.ok()) LOG_WARN("msg=\"alarm state not written\" alarm=\"{}\" error=\"{}\"", name, changed.status().message());
  }
  EvaluateComposites(store, now);
  // History is kept two weeks, as CloudWatch keeps it.
  ASSIGN_OR_RETURN(auto history, ReadRecords(store, model::keys::kCloudWatchAlarmHistory));
  store::Txn txn;
  for (const auto& item : history) {
    if (Number(item.value, "Timestamp") < static_cast<double>(now_s - kHistoryRetention)) {
      txn.ops.push_back(store::Op::Delete(item.key));
    }
  }
  if (!txn.ops.empty()) RETURN_IF_ERROR(store.Commit(txn).status());
  return Status::OK();
}

}  // namespace wharf::controlplane
