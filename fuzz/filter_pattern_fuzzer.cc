// libFuzzer target: CloudWatch Logs filter patterns and the events they are matched against
// (FilterLogEvents' filterPattern, PutMetricFilter's pattern and metric transformation,
// TestMetricFilter's messages, PutLogEvents' messages: all from clients). The bytes up to
// the first newline are the pattern, the next line the metric value reference, the rest one
// message. Checks: no crash, no sanitizer report, Capture agrees with Matches, and parsing
// is a pure function. Build and run with `fuzz/run.sh filter`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "logs/filter_pattern.h"
#include "logs/metric_filter.h"

namespace logs = wharf::logs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view pattern_text = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t nl2 = rest.find('\n');
  std::string_view value = rest.substr(0, nl2);
  std::string_view message = nl2 == std::string_view::npos ? std::string_view() : rest.substr(nl2 + 1);
  auto pattern = logs::FilterPattern::Parse(pattern_text);
  if (pattern.ok() != logs::FilterPattern::Parse(pattern_text).ok()) std::abort();
  if (!pattern.ok()) return 0;
  bool matches = pattern->Matches(message);
  auto captures = pattern->Capture(message);
  if (matches != captures.has_value()) std::abort();
  if (captures) (void)captures->Value(value);
  logs::MetricTransformation t{"M", "N", std::string(value), 0.0, {}, "None"};
  if (logs::CheckTransformation(t).ok()) (void)logs::ExtractDatum(*pattern, t, message);
  return 0;
}
