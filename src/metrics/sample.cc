#include "metrics/sample.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace wharf::metrics {

std::string MetricId::Key() const {
  // Control characters cannot appear in names (the API refuses them), so they separate.
  std::string key = name_space + '\x1f' + metric_name;
  for (const auto& d : dimensions) key += '\x1e' + d.name + '\x1f' + d.value;
  return key;
}

MetricId MakeMetricId(std::string name_space, std::string metric_name, std::vector<Dimension> dimensions) {
  std::sort(dimensions.begin(), dimensions.end());
  return MetricId{std::move(name_space), std::move(metric_name), std::move(dimensions)};
}

void Sample::AddValue(double value, double times) {
  count += times;
  sum += value * times;
  min = std::min(min, value);
  max = std::max(max, value);
  values[value] += times;
}

void Sample::AddSet(double sample_count, double set_sum, double minimum, double maximum) {
  count += sample_count;
  sum += set_sum;
  min = std::min(min, minimum);
  max = std::max(max, maximum);
  has_set = true;
}

void Sample::Merge(const Sample& other) {
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  for (const auto& [v, n] : other.values) values[v] += n;
  has_set = has_set || other.has_set;
}

std::optional<Statistic> ParseStatistic(std::string_view name) {
  Statistic s;
  s.name = std::string(name);
  using K = Statistic::Kind;
  if (name == "SampleCount") s.kind = K::kSampleCount;
  else if (name == "Average") s.kind = K::kAverage;
  else if (name == "Sum") s.kind = K::kSum;
  else if (name == "Minimum") s.kind = K::kMinimum;
  else if (name == "Maximum") s.kind = K::kMaximum;
  else if (name.size() >= 2 && (name[0] == 'p' || name[0] == 'P') && std::isdigit(static_cast<unsigned char>(name[1]))) {
    std::string digits(name.substr(1));
    char* end = nullptr;
    double p = std::strtod(digits.c_str(), &end);
    if (*end || p < 0 || p > 100) return std::nullopt;
    // At most two decimals, as AWS takes them (p99.99).
    size_t dot = digits.find('.');
    if (dot != std::string::npos && digits.size() - dot - 1 > 2) return std::nullopt;
    s.kind = K::kPercentile;
    s.percentile = p;
  } else {
    return std::nullopt;
  }
  return s;
}

namespace {
// Nearest rank over the values: the smallest value with at least p% of the samples at or below it.
double Percentile(const std::map<double, double>& values, double total, double p) {
  if (p <= 0) return values.begin()->first;
  double rank = std::ceil(p / 100.0 * total);
  double seen = 0;
  for (const auto& [v, n] : values) {
    seen += n;
    if (seen >= rank) return v;
  }
  return values.rbegin()->first;
}
}  // namespace

std::optional<double> Compute(const Statistic& statistic, const Sample& sample) {
  if (sample.empty()) return std::nullopt;
  using K = Statistic::Kind;
  switch (statistic.kind) {
    case K::kSampleCount: return sample.count;
    case K::kAverage: return sample.sum / sample.count;
    case K::kSum: return sample.sum;
    case K::kMinimum: return sample.min;
    case K::kMaximum: return sample.max;
    case K::kPercentile:
      if (sample.has_set || sample.values.empty()) return std::nullopt;
      return Percentile(sample.values, sample.count, statistic.percentile);
  }
  return std::nullopt;
}

}  // namespace wharf::metrics
