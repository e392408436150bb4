// Composite alarm rules (PutCompositeAlarm's AlarmRule, metrics/composite_rule.h): any text
// parses or is refused, and what parses evaluates under any children's states.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "metrics/composite_rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto rule = wharf::metrics::CompositeRule::Parse(text);
  if (!rule.ok()) return 0;
  for (int seed = 0; seed < 3; ++seed) {
    rule->Evaluate([seed](const std::string& name) -> std::optional<std::string> {
      size_t h = std::hash<std::string>{}(name) + static_cast<size_t>(seed);
      switch (h % 4) {
        case 0: return "ALARM";
        case 1: return "OK";
        case 2: return "INSUFFICIENT_DATA";
        default: return std::nullopt;
      }
    });
  }
  return 0;
}
