// GetMetricData's queries, run against a MetricStore: metric statistics (MetricStat) and
// metric math expressions over them. Also what an alarm on several metrics evaluates.
//
// Expressions: numbers, query ids, + - * / and parentheses, arrays [m1, m2] and METRICS()
// (every MetricStat query of the request, or those whose id or label contains METRICS("text")),
// and SUM, AVG, MIN, MAX: over an array they give one series (per timestamp, across the
// series); over one series, a number (across its timestamps). Two series combine at the
// timestamps both have; a number applies to every value.
//
// Pure over the store's reads; thread-safe as MetricStore is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "metrics/metric_store.h"
#include "metrics/sample.h"

namespace wharf::metrics {

struct MetricStat {
  MetricId metric;
  int64_t period = 60;
  Statistic stat;
  std::optional<std::string> unit;
};

struct Query {
  std::string id;
  std::optional<MetricStat> metric_stat;
  std::string expression;  // when no metric_stat
  std::string label;       // empty: the default
  bool return_data = true;
  int64_t period = 0;      // an expression's period (0: its metrics')
};

struct TimeSeries {
  std::vector<int64_t> timestamps;  // ascending, seconds
  std::vector<double> values;
};

struct QueryResult {
  std::string id;
  std::string label;
  TimeSeries series;
  bool metric = false;  // a MetricStat's (METRICS() gives these, not other expressions)
};

// Every query's series over [start, end). InvalidArgument for an expression that does not
// parse or names what is not there, with CloudWatch's kind of message.
Result<std::vector<QueryResult>> RunQueries(const MetricStore& store, const std::vector<Query>& queries,
                                            int64_t start, int64_t end);

// One MetricStat's series: the statistic of each period with data.
TimeSeries ReadStat(const MetricStore& store, const MetricStat& stat, int64_t start, int64_t end);

}  // namespace wharf::metrics
