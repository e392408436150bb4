#include "metrics/alarm_rule.h"

#include <ctime>
#include <map>
#include <sstream>

namespace wharf::metrics {

std::optional<Comparison> ParseComparison(std::string_view name) {
  if (name == "GreaterThanOrEqualToThreshold") return Comparison::kGreaterOrEqual;
  if (name == "GreaterThanThreshold") return Comparison::kGreater;
  if (name == "LessThanThreshold") return Comparison::kLess;
  if (name == "LessThanOrEqualToThreshold") return Comparison::kLessOrEqual;
  return std::nullopt;
}

std::optional<MissingData> ParseMissingData(std::string_view name) {
  if (name.empty() || name == "missing") return MissingData::kMissing;
  if (name == "ignore") return MissingData::kIgnore;
  if (name == "breaching") return MissingData::kBreaching;
  if (name == "notBreaching") return MissingData::kNotBreaching;
  return std::nullopt;
}

namespace {

bool Breaches(const AlarmRule& rule, double v) {
  switch (rule.comparison) {
    case Comparison::kGreaterOrEqual: return v >= rule.threshold;
    case Comparison::kGreater: return v > rule.threshold;
    case Comparison::kLess: return v < rule.threshold;
    case Comparison::kLessOrEqual: return v <= rule.threshold;
  }
  return false;
}

std::string_view ComparisonWords(Comparison c) {
  switch (c) {
    case Comparison::kGreaterOrEqual: return "greater than or equal to";
    case Comparison::kGreater: return "greater than";
    case Comparison::kLess: return "less than";
    case Comparison::kLessOrEqual: return "less than or equal to";
  }
  return "";
}

// "06/12/26 18:00:00", as CloudWatch writes datapoint times in reasons (dd/MM/yy, UTC).
std::string ReasonTime(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%d/%m/%y %H:%M:%S", &tm);
  return buf;
}

std::string Number(double v) {
  std::ostringstream out;
  out << v;
  std::string s = out.str();
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

AlarmDecision EvaluateAlarm(const AlarmRule& rule, const TimeSeries& series, int64_t end,
                            std::string_view current_state) {
  AlarmDecision d;
  const int64_t start = end - rule.period * rule.evaluation_periods;
  std::map<int64_t, double> in_range;
  for (size_t i = 0; i < series.timestamps.size(); ++i) {
    if (series.timestamps[i] >= start && series.timestamps[i] < end) in_range[series.timestamps[i]] = series.values[i];
  }
  for (auto it = in_range.rbegin(); it != in_range.rend(); ++it) d.datapoints.emplace_back(it->first, it->second);
  int breaching = 0, not_breaching = 0;
  for (const auto& [t, v] : in_range) (Breaches(rule, v) ? breaching : not_breaching)++;
  const int missing = rule.evaluation_periods - static_cast<int>(in_range.size());
  if (rule.missing == MissingData::kBreaching) breaching += missing;
  if (rule.missing == MissingData::kNotBreaching) not_breaching += missing;

  std::string points;
  for (const auto& [t, v] : d.datapoints) {
    points += (points.empty() ? "" : ", ") + Number(v) + " (" + ReasonTime(t) + ")";
  }
  const int shown = static_cast<int>(d.datapoints.size());
  if (breaching >= rule.datapoints_to_alarm) {
    d.state = kAlarm;
    d.reason = "Threshold Crossed: " + std::to_string(breaching) + " out of the last " +
               std::to_string(rule.evaluation_periods) + " datapoints " + (shown ? "[" + points + "] " : "") +
               (breaching == 1 ? "was " : "were ") + std::string(ComparisonWords(rule.comparison)) +
               " the threshold (" + Number(rule.threshold) + ") (minimum " + std::to_string(rule.datapoints_to_alarm) +
               " datapoint" + (rule.datapoints_to_alarm == 1 ? "" : "s") + " for OK -> ALARM transition).";
  } else if (breaching + not_breaching == 0) {
    if (rule.missing == MissingData::kIgnore && !current_state.empty()) {
      d.state = std::string(current_state);
      d.reason = "";
      return d;
    }
    d.state = kInsufficientData;
    d.reason = "Insufficient Data: " + std::to_string(rule.evaluation_periods) + " datapoint" +
               (rule.evaluation_periods == 1 ? " was" : "s were") + " unknown.";
  } else {
    d.state = kOk;
    d.reason = "Threshold Crossed: " + std::to_string(not_breaching) + " out of the last " +
               std::to_string(rule.evaluation_periods) + " datapoints " + (shown ? "[" + points + "] " : "") +
               (not_breaching == 1 ? "was not " : "were not ") + std::string(ComparisonWords(rule.comparison)) +
               " the threshold (" + Number(rule.threshold) + ") (minimum " +
               std::to_string(rule.evaluation_periods - rule.datapoints_to_alarm + 1) + " datapoint" +
               (rule.evaluation_periods - rule.datapoints_to_alarm + 1 == 1 ? "" : "s") +
               " for ALARM -> OK transition).";
  }
  return d;
}

}  // namespace wharf::metrics
