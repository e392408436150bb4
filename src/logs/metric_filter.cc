#include "logs/metric_filter.h"

#include <charconv>
#include <cmath>

namespace wharf::logs {

namespace {

bool IsReference(std::string_view s) { return s.size() > 1 && s.front() == '$'; }

std::optional<double> Number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.starts_with("+")) s.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

Status CheckTransformation(const MetricTransformation& t) {
  if (!IsReference(t.metric_value) && !Number(t.metric_value)) {
    return Status::InvalidArgument("Invalid metric value: '" + t.metric_value +
                                   "'. The metric value must be a number or a field reference ($name or $.path).");
  }
  if (t.dimensions.size() > 3) {
    return Status::InvalidArgument("A metric transformation can have at most 3 dimensions.");
  }
  if (!t.dimensions.empty() && t.default_value) {
    return Status::InvalidArgument("A metric transformation with dimensions cannot have a default value.");
  }
  for (const auto& [name, value] : t.dimensions) {
    if (!IsReference(value)) {
      return Status::InvalidArgument("Invalid dimension value for '" + name +
                                     "': dimension values must be field references ($name or $.path).");
    }
  }
  return Status::OK();
}

std::optional<FilterDatum> ExtractDatum(const FilterPattern& pattern, const MetricTransformation& t,
                                        std::string_view message) {
  auto captures = pattern.Capture(message);
  if (!captures) {
    if (!t.default_value) return std::nullopt;
    return FilterDatum{*t.default_value, {}};
  }
  FilterDatum d;
  if (IsReference(t.metric_value)) {
    auto text = captures->Value(t.metric_value);
    auto n = text ? Number(*text) : std::nullopt;
    if (!n) return std::nullopt;
    d.value = *n;
  } else {
    d.value = Number(t.metric_value).value_or(0);
  }
  for (const auto& [name, ref] : t.dimensions) {
    auto value = captures->Value(ref);
    if (!value || value->empty()) return std::nullopt;
    d.dimensions.emplace_back(name, std::move(*value));
  }
  return d;
}

}  // namespace wharf::logs
