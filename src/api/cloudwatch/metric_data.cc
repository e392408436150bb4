// PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData.
#include <algorithm>
#include <cmath>
#include <map>

#include "api/cloudwatch/handlers.h"
#include "metrics/metric_query.h"

namespace wharf::api::cloudwatch {

namespace {

constexpr int64_t kPastLimit = 14 * 86400;  // PutMetricData takes two weeks back...
constexpr int64_t kFutureLimit = 2 * 3600;   // ...and two hours ahead
constexpr size_t kMaxDatapoints = 1440;      // GetMetricStatistics' answer
constexpr size_t kListPage = 500;            // ListMetrics' page

double Num(const boost::json::value& v) { return v.is_number() ? v.to_number<double>() : 0; }

// One MetricDatum as the store's Datum; `what` is "MetricData.member.N".
std::variant<metrics::Datum, AwsError> ReadDatum(const CloudWatchDeps& deps, const std::string& name_space,
                                                 const object& m, const std::string& what, int64_t now) {
  metrics::Datum d;
  auto dims = ReadDimensions(m, "Dimensions", what + ".Dimensions");
  if (auto* e = std::get_if<AwsError>(&dims)) return *e;
  d.id = metrics::MakeMetricId(name_space, GetString(m, "MetricName"), std::get<0>(std::move(dims)));
  d.unit = Has(m, "Unit") ? GetString(m, "Unit") : "None";
  d.resolution = static_cast<int>(GetInt(m, "StorageResolution").value_or(60));
  if (d.resolution != 1 && d.resolution != 60) {
    return InvalidValue("The value " + std::to_string(d.resolution) + " for parameter " + what +
                        ".StorageResolution is invalid. Valid values are 1 and 60.");
  }
  d.timestamp = Has(m, "Timestamp") ? SecondsOf(m, "Timestamp") : now;
  if (d.timestamp < now - kPastLimit) {
    return InvalidValue("The parameter " + what + ".Timestamp must specify a time no more than two weeks in the past.");
  }
  if (d.timestamp > now + kFutureLimit) {
    return InvalidValue("The parameter " + what + ".Timestamp must specify a time no more than two hours in the future.");
  }
  const bool has_value = Has(m, "Value"), has_values = Has(m, "Values"), has_set = Has(m, "StatisticValues");
  if (has_value + has_values + has_set > 1) {
    std::string a = has_value ? "Value" : "Values", b = has_set ? "StatisticValues" : "Values";
    return Combination("The parameters " + what + "." + a + " and " + what + "." + b +
                       " are mutually exclusive and you have specified both.");
  }
  if (!has_value && !has_values && !has_set) {
    return Missing(what + ".Value");
  }
  if (Has(m, "Counts") && !has_values) {
    return Combination("The parameter " + what + ".Counts may only be given with " + what + ".Values.");
  }
  if (has_value) {
    d.sample.AddValue(Num(m.at("Value")), 1);
  } else if (has_values) {
    const array& values = GetArray(m, "Values");
    const array& counts = GetArray(m, "Counts");
    if (values.size() > 150) return InvalidValue("The collection " + what + ".Values must not have a size greater than 150.");
    if (Has(m, "Counts") && counts.size() != values.size()) {
      return InvalidValue("The parameters " + what + ".Values and " + what + ".Counts must be of the same size.");
    }
    for (size_t i = 0; i < values.size(); ++i) {
      double count = counts.empty() ? 1 : Num(counts[i]);
      if (count < 0) return InvalidValue("The parameter " + what + ".Counts must not hold a negative count.");
      if (count > 0) d.sample.AddValue(Num(values[i]), count);
    }
    if (d.sample.empty()) return InvalidValue("The parameter " + what + ".Values must hold at least one value counted once or more.");
  } else {
    const object& s = GetObject(m, "StatisticValues");
    double count = Num(s.at("SampleCount")), sum = Num(s.at("Sum")), min = Num(s.at("Minimum")), max = Num(s.at("Maximum"));
    if (count <= 0) return InvalidValue("The parameter " + what + ".StatisticValues.SampleCount must be greater than 0.");
    if (min > max) {
      return InvalidValue("The parameter " + what + ".StatisticValues.Minimum must be less than or equal to " + what +
                          ".StatisticValues.Maximum.");
    }
    d.sample.AddSet(count, sum, min, max);
  }
  (void)deps;
  return d;
}

}  // namespace

Outcome PutMetricData(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const std::string name_space = GetString(in, "Namespace");
  if (name_space.starts_with("AWS/")) {
    return InvalidValue("The value " + name_space + " for parameter Namespace is invalid.");
  }
  if (!GetArray(in, "EntityMetricData").empty()) {
    return InvalidValue("EntityMetricData is not supported by wharf; send MetricData.");
  }
  if (Has(in, "StrictEntityValidation")) {
    return InvalidValue("StrictEntityValidation is not supported by wharf (no EntityMetricData).");
  }
  const array& data = GetArray(in, "MetricData");
  if (data.empty()) return Missing("MetricData");
  if (data.size() > 1000) return InvalidValue("The collection MetricData must not have a size greater than 1000.");
  const int64_t now = NowSeconds(deps);
  std::vector<metrics::Datum> batch;
  batch.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (!data[i].is_object()) continue;
    auto d = ReadDatum(deps, name_space, data[i].get_object(), "MetricData.member." + std::to_string(i + 1), now);
    if (auto* e = std::get_if<AwsError>(&d)) return *e;
    batch.push_back(std::get<metrics::Datum>(std::move(d)));
  }
  Status put = deps.metrics.Put(batch);
  if (!put.ok()) return CloudWatchError(put);
  return object{};
}

Outcome ListMetrics(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  if (GetBool(in, "IncludeLinkedAccounts").value_or(false) || Has(in, "OwningAccount")) {
    return InvalidValue("Cross-account observability is not supported by wharf.");
  }
  auto offset = PageOffset(in);
  if (auto* e = std::get_if<AwsError>(&offset)) return *e;
  const std::string name_space = GetString(in, "Namespace"), metric_name = GetString(in, "MetricName");
  std::vector<std::pair<std::string, std::optional<std::string>>> filters;
  for (const auto& f : GetArray(in, "Dimensions")) {
    if (!f.is_object()) continue;
    const object& o = f.get_object();
    filters.emplace_back(GetString(o, "Name"), Has(o, "Value") ? std::optional(GetString(o, "Value")) : std::nullopt);
  }
  if (filters.size() > 10) return InvalidValue("The collection Dimensions must not have a size greater than 10.");
  const int64_t now = NowSeconds(deps);
  // Metrics with data in the last two weeks, as CloudWatch lists them; PT3H: the last 3 hours.
  const int64_t since = now - (GetString(in, "RecentlyActive") == "PT3H" ? 3 * 3600 : 14 * 86400);
  array metrics_out;
  size_t index = 0, skip = std::get<size_t>(offset);
  bool more = false;
  for (const auto& m : deps.metrics.List()) {
    if (m.last_timestamp < since) continue;
    if (!name_space.empty() && m.id.name_space != name_space) continue;
    if (!metric_name.empty() && m.id.metric_name != metric_name) continue;
    bool match = std::all_of(filters.begin(), filters.end(), [&](const auto& f) {
      return std::any_of(m.id.dimensions.begin(), m.id.dimensions.end(), [&](const metrics::Dimension& d) {
        return d.name == f.first && (!f.second || d.value == *f.second);
      });
    });
    if (!match) continue;
    if (index++ < skip) continue;
    if (metrics_out.size() == kListPage) {
      more = true;
      break;
    }
    metrics_out.push_back(object{{"Namespace", m.id.name_space},
                                 {"MetricName", m.id.metric_name},
                                 {"Dimensions", DimensionsJson(m.id.dimensions)}});
  }
  object out{{"Metrics", std::move(metrics_out)}};
  if (more) out["NextToken"] = PageToken(skip + kListPage);
  return out;
}

namespace {

// The time range of a query: StartTime before EndTime.
std::optional<AwsError> CheckRange(int64_t start, int64_t end) {
  if (start >= end) return InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
  return std::nullopt;
}

}  // namespace

Outcome GetMetricStatistics(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const array& statistics = GetArray(in, "Statistics");
  const array& extended = GetArray(in, "ExtendedStatistics");
  if (statistics.empty() == extended.empty()) {
    return Combination("Must specify either Statistics or ExtendedStatistics, but not both.");
  }
  if (statistics.size() > 5) return InvalidValue("The collection Statistics must not have a size greater than 5.");
  if (extended.size() > 10) return InvalidValue("The collection ExtendedStatistics must not have a size greater than 10.");
  std::vector<metrics::Statistic> stats;
  for (const auto& s : statistics) stats.push_back(*metrics::ParseStatistic(std::string(s.as_string())));
  for (const auto& s : extended) {
    auto p = metrics::ParseStatistic(std::string(s.as_string()));
    if (!p || p->kind != metrics::Statistic::Kind::kPercentile) {
      return InvalidValue("The value " + std::string(s.as_string()) +
                          " for parameter ExtendedStatistics is not a valid percentile (p0.0 to p100).");
    }
    stats.push_back(*p);
  }
  const int64_t period = GetInt(in, "Period").value_or(0);
  if (auto e = CheckPeriod(period, "Period")) return *e;
  const int64_t now = NowSeconds(deps);
  int64_t start = SecondsOf(in, "StartTime"), end = SecondsOf(in, "EndTime");
  if (auto e = CheckRange(start, end)) return *e;
  start = RoundStart(start, period, now);
  const int64_t wanted = (end - start + period - 1) / period;
  if (wanted > static_cast<int64_t>(kMaxDatapoints)) {
    return Combination("You have requested up to " + std::to_string(wanted) +
                       " datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by "
                       "increasing Period, or decreasing the time range.");
  }
  auto dims = ReadDimensions(in, "Dimensions", "Dimensions");
  if (auto* e = std::get_if<AwsError>(&dims)) return *e;
  metrics::MetricId id = metrics::MakeMetricId(GetString(in, "Namespace"), GetString(in, "MetricName"),
                                               std::get<0>(std::move(dims)));
  std::optional<std::string> unit;
  if (Has(in, "Unit")) unit = GetString(in, "Unit");
  array datapoints;
  for (const auto& p : deps.metrics.Read(id, unit, start, end, period)) {
    object point{{"Timestamp", static_cast<double>(p.start)}, {"Unit", p.unit}};
    object percentiles;
    for (const auto& s : stats) {
      auto v = metrics::Compute(s, p.sample);
      if (!v) continue;
      if (s.kind == metrics::Statistic::Kind::kPercentile) {
        percentiles[s.name] = *v;
      } else {
        point[s.name] = *v;
      }
    }
    if (!extended.empty()) point["ExtendedStatistics"] = std::move(percentiles);
    datapoints.push_back(std::move(point));
  }
  return object{{"Label", id.metric_name}, {"Datapoints", std::move(datapoints)}};
}

Outcome GetMetricData(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const array& queries_in = GetArray(in, "MetricDataQueries");
  if (queries_in.size() > 500) {
    return InvalidValue("The collection MetricDataQueries must not have a size greater than 500.");
  }
  auto offset = PageOffset(in);
  if (auto* e = std::get_if<AwsError>(&offset)) return *e;
  const int64_t now = NowSeconds(deps);
  int64_t start = SecondsOf(in, "StartTime"), end = SecondsOf(in, "EndTime");
  if (auto e = CheckRange(start, end)) return *e;
  if (Has(in, "LabelOptions")) {
    return InvalidValue("LabelOptions is not supported by wharf (labels are not dynamic).");
  }
  std::vector<metrics::Query> queries;
  std::map<std::string, int> ids;
  int64_t min_period = 0;
  for (size_t i = 0; i < queries_in.size(); ++i) {
    if (!queries_in[i].is_object()) continue;
    const object& o = queries_in[i].get_object();
    const std::string what = "MetricDataQueries.member." + std::to_string(i + 1);
    metrics::Query q;
    q.id = GetString(o, "Id");
    if (q.id.empty() || !std::islower(static_cast<unsigned char>(q.id[0])) ||
        !std::all_of(q.id.begin(), q.id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; })) {
      return InvalidValue("The value " + q.id + " for parameter " + what +
                          ".Id is invalid: it must start with a lowercase letter and hold only letters, digits and _.");
    }
    if (!ids.emplace(q.id, 1).second) return InvalidValue("The value " + q.id + " for parameter " + what + ".Id is not unique.");
    if (Has(o, "AccountId")) return InvalidValue("Cross-account queries (" + what + ".AccountId) are not supported by wharf.");
    q.label = GetString(o, "Label");
    q.return_data = GetBool(o, "ReturnData").value_or(true);
    const bool has_stat = Has(o, "MetricStat"), has_expression = Has(o, "Expression");
    if (has_stat == has_expression) {
      return Combination("Exactly one of " + what + ".MetricStat and " + what + ".Expression must be specified.");
    }
    if (has_stat) {
      const object& ms = GetObject(o, "MetricStat");
      const object& m = GetObject(ms, "Metric");
      if (GetString(m, "Namespace").empty()) return Missing(what + ".MetricStat.Metric.Namespace");
      if (GetString(m, "MetricName").empty()) return Missing(what + ".MetricStat.Metric.MetricName");
      auto dims = ReadDimensions(m, "Dimensions", what + ".MetricStat.Metric.Dimensions");
      if (auto* e = std::get_if<AwsError>(&dims)) return *e;
      metrics::MetricStat stat;
      stat.metric = metrics::MakeMetricId(GetString(m, "Namespace"), GetString(m, "MetricName"), std::get<0>(std::move(dims)));
      stat.period = GetInt(ms, "Period").value_or(0);
      if (auto e = CheckPeriod(stat.period, what + ".MetricStat.Period")) return *e;
      auto parsed = metrics::ParseStatistic(GetString(ms, "Stat"));
      if (!parsed) {
        return InvalidValue("The value " + GetString(ms, "Stat") + " for parameter " + what +
                            ".MetricStat.Stat is invalid (SampleCount, Average, Sum, Minimum, Maximum or pNN.NN).");
      }
      stat.stat = *parsed;
      if (Has(ms, "Unit")) stat.unit = GetString(ms, "Unit");
      min_period = min_period ? std::min(min_period, stat.period) : stat.period;
      q.metric_stat = std::move(stat);
    } else {
      q.expression = GetString(o, "Expression");
      if (Has(o, "Period")) {
        q.period = GetInt(o, "Period").value_or(0);
        if (auto e = CheckPeriod(q.period, what + ".Period")) return *e;
      }
    }
    queries.push_back(std::move(q));
  }
  if (std::none_of(queries.begin(), queries.end(), [](const metrics::Query& q) { return q.return_data; })) {
    return InvalidValue("At least one of the MetricDataQueries must return data (ReturnData).");
  }
  // Every series of the request starts on the same boundary, so expressions line up.
  start = RoundStart(start, min_period ? min_period : 60, now);
  auto results = metrics::RunQueries(deps.metrics, queries, start, end);
  if (!results.ok()) return CloudWatchError(results.status());

  const bool ascending = GetString(in, "ScanBy") == "TimestampAscending";
  const size_t max_points = static_cast<size_t>(GetInt(in, "MaxDatapoints").value_or(100800));
  if (max_points < 1) return InvalidValue("The parameter MaxDatapoints must be greater than 0.");
  // The answer as one sequence of points, query after query; a page is a run of it.
  size_t skip = std::get<size_t>(offset), position = 0, taken = 0;
  bool more = false;
  array out_results;
  for (size_t i = 0; i < queries.size(); ++i) {
    if (!queries[i].return_data) continue;
    const metrics::QueryResult& r = (*results)[i];
    const size_t n = r.series.timestamps.size();
    array timestamps, values;
    size_t first = skip > position ? std::min(n, skip - position) : 0;
    size_t j = first;
    for (; j < n && taken < max_points; ++j, ++taken) {
      size_t k = ascending ? j : n - 1 - j;
      timestamps.push_back(static_cast<double>(r.series.timestamps[k]));
      values.push_back(r.series.values[k]);
    }
    const bool partial = j < n;
    more = more || partial;
    position += n;
    if (first == n && n > 0) continue;  // returned on an earlier page
    out_results.push_back(object{{"Id", r.id},
                                 {"Label", r.label},
                                 {"Timestamps", std::move(timestamps)},
                                 {"Values", std::move(values)},
                                 {"StatusCode", partial ? "PartialData" : "Complete"},
                                 {"Messages", array{}}});
  }
  object out{{"MetricDataResults", std::move(out_results)}, {"Messages", array{}}};
  if (more) out["NextToken"] = PageToken(skip + taken);
  return out;
}

}  // namespace wharf::api::cloudwatch
