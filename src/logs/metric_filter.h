// Metric filters (PutMetricFilter): what one log event gives the metric a filter feeds.
//
// A filter is a FilterPattern and one metric transformation. An event that matches gives a
// datum of metricValue: a number, or `$name` / `$.path` naming a field the match binds
// (space-delimited and JSON patterns); a value that is not a number gives nothing, as AWS
// drops it. Dimensions name such fields too; an event lacking one gives nothing. An event
// that does not match gives defaultValue, when the filter has one (and then no dimensions).
//
// Thread-safety: pure functions over immutable values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "logs/filter_pattern.h"

namespace wharf::logs {

struct MetricTransformation {
  std::string metric_name;
  std::string metric_namespace;
  std::string metric_value;  // "1", "$bytes", "$.latency"
  std::optional<double> default_value;
  std::vector<std::pair<std::string, std::string>> dimensions;  // name -> "$field"
  std::string unit = "None";
};

// InvalidArgument, in AWS's words, for a transformation PutMetricFilter refuses.
Status CheckTransformation(const MetricTransformation& t);

struct FilterDatum {
  double value = 0;
  std::vector<std::pair<std::string, std::string>> dimensions;  // name -> value
};

// The datum `message` gives, if any.
std::optional<FilterDatum> ExtractDatum(const FilterPattern& pattern, const MetricTransformation& t,
                                        std::string_view message);

}  // namespace wharf::logs
