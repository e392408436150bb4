// How a CloudWatch metric alarm decides its state from its datapoints ("M out of N"). Pure.
//
// The evaluation range is the last `evaluation_periods` (N) periods ending at `end`. Each
// period is breaching (its value crosses the threshold by the comparison), not breaching,
// or missing; TreatMissingData decides what missing counts as: `breaching`, `notBreaching`,
// or nothing (`missing`, `ignore`). At least `datapoints_to_alarm` (M) breaching periods:
// ALARM. Otherwise OK when some period has data (or counts as not breaching); with none,
// `missing` gives INSUFFICIENT_DATA and `ignore` keeps the current state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_query.h"

namespace wharf::metrics {

enum class Comparison { kGreaterOrEqual, kGreater, kLess, kLessOrEqual };
std::optional<Comparison> ParseComparison(std::string_view name);  // AWS's names
enum class MissingData { kMissing, kIgnore, kBreaching, kNotBreaching };
std::optional<MissingData> ParseMissingData(std::string_view name);

inline constexpr std::string_view kOk = "OK";
inline constexpr std::string_view kAlarm = "ALARM";
inline constexpr std::string_view kInsufficientData = "INSUFFICIENT_DATA";

struct AlarmRule {
  int64_t period = 60;
  int evaluation_periods = 1;
  int datapoints_to_alarm = 1;
  double threshold = 0;
  Comparison comparison = Comparison::kGreaterOrEqual;
  MissingData missing = MissingData::kMissing;
};

struct AlarmDecision {
  std::string state;
  std::string reason;  // StateReason, in CloudWatch's words
  // The periods that had data, newest first: their start and value.
  std::vector<std::pair<int64_t, double>> datapoints;
};

// `series`: the alarm's metric (or its expression) per period, as ReadStat/RunQueries give it.
AlarmDecision EvaluateAlarm(const AlarmRule& rule, const TimeSeries& series, int64_t end,
                            std::string_view current_state);

}  // namespace wharf::metrics
