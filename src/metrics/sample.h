// The values of one metric: its identity (namespace, name, dimensions) and the aggregated
// samples CloudWatch keeps of it, with the statistics computed from them. Pure.
//
// A Sample is what one storage bucket holds: SampleCount, Sum, Minimum, Maximum, and the
// distinct values it was made of with their counts, from which percentiles are computed. Data
// sent as a StatisticSet has no values: a bucket that holds some has no percentiles, as on
// AWS ("percentiles are available only for metrics published with raw values").
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::metrics {

struct Dimension {
  std::string name;
  std::string value;
  auto operator<=>(const Dimension&) const = default;
};

struct MetricId {
  std::string name_space;  // "AWS/ECS", "MyApp"
  std::string metric_name;
  std::vector<Dimension> dimensions;  // sorted by name: a metric's dimensions are a set

  // One string naming the metric, the same for the same set of dimensions in any order.
  std::string Key() const;
  auto operator<=>(const MetricId&) const = default;
};

// Sorts the dimensions (callers reject duplicates before).
MetricId MakeMetricId(std::string name_space, std::string metric_name, std::vector<Dimension> dimensions);

struct Sample {
  double count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::map<double, double> values;  // value -> how many times; complete unless `has_set`
  bool has_set = false;             // some of it came as a StatisticSet

  void AddValue(double value, double times);
  void AddSet(double sample_count, double sum, double minimum, double maximum);
  void Merge(const Sample& other);
  bool empty() const { return count <= 0; }
};

// A statistic name as GetMetricStatistics and GetMetricData take it: SampleCount, Average,
// Sum, Minimum, Maximum, or a percentile "p99" / "p99.9" (0 to 100). Anything else is nullopt.
struct Statistic {
  enum class Kind { kSampleCount, kAverage, kSum, kMinimum, kMaximum, kPercentile };
  Kind kind = Kind::kAverage;
  double percentile = 0;
  std::string name;  // as given
};
std::optional<Statistic> ParseStatistic(std::string_view name);
// The statistic's value over a sample; nullopt for a percentile of a sample without values.
std::optional<double> Compute(const Statistic& statistic, const Sample& sample);

}  // namespace wharf::metrics
