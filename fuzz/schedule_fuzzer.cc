// libFuzzer target: arbitrary bytes as an Application Auto Scaling Schedule expression
// (what PutScheduledAction takes from any client) or, when the first byte is 'T', as a TZif
// file (controlplane/scaling_schedule.h). Checks: no crash, no sanitizer report; an
// expression that parses yields next run times that are strictly after the time asked about
// and, called again from that run, strictly later still. Build and run with
// `fuzz/run.sh schedule`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "controlplane/scaling_schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using wharf::controlplane::TimeZone;
  if (!bytes.empty() && bytes[0] == 'T') {
    auto zone = TimeZone::Parse(bytes.substr(1));
    if (zone.ok()) {
      (void)zone->OffsetAt(1765000000);
      (void)zone->ToUtc(1765000000);
    }
    return 0;
  }
  auto schedule = wharf::controlplane::ParseSchedule(bytes);
  if (!schedule.ok()) return 0;
  const TimeZone utc = TimeZone::Utc();
  const int64_t after = 1765000000;  // December 2025
  auto next = wharf::controlplane::NextRun(*schedule, utc, after, after - 7);
  if (next) {
    if (*next <= after) std::abort();
    auto again = wharf::controlplane::NextRun(*schedule, utc, *next, after - 7);
    if (again && *again <= *next) std::abort();
  }
  return 0;
}
