// The Schedule of an Application Auto Scaling scheduled action, and when it next runs. Pure
// but TimeZone::Load, which reads the system's zoneinfo (Debian's tzdata, "fat" files that
// list every transition to 2037).
//
// Expressions, as PutScheduledAction takes them (times in the action's Timezone, UTC when
// none):
//   at(yyyy-mm-ddThh:mm:ss)                  once
//   rate(N minute|minutes|hour|hours|day|days)  every N units from StartTime (else from when
//                                             the action was made)
//   cron(minutes hours day-of-month month day-of-week year)  EventBridge's six fields: *, ?,
//                                             lists, ranges, steps, JAN-DEC, SUN-SAT (1-7,
//                                             1 is Sunday); L, W and # are refused.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::controlplane {

// A zone's UTC offsets over time (IANA names; "UTC" and "Etc/UTC" need no file).
class TimeZone {
 public:
  static TimeZone Utc() { return TimeZone(); }
  // InvalidArgument when `name` is no zone. `root` is the zoneinfo directory.
  static Result<TimeZone> Load(std::string_view name, const std::string& root = "/usr/share/zoneinfo");
  // From a TZif file's bytes.
  static Result<TimeZone> Parse(std::string_view tzif);

  int64_t OffsetAt(int64_t utc) const;        // seconds east of UTC
  int64_t ToUtc(int64_t local) const;         // a wall-clock time (as if UTC) to UTC

 private:
  std::vector<int64_t> transitions_;  // UTC instants, ascending
  std::vector<int64_t> offsets_;      // the offset from each transition on
  int64_t initial_ = 0;               // before the first
};

struct Schedule {
  enum class Kind { kAt, kRate, kCron };
  Kind kind = Kind::kAt;
  int64_t at = 0;            // kAt: wall-clock seconds (as if UTC)
  int64_t rate_seconds = 0;  // kRate
  // kCron: the allowed values of each field.
  std::set<int> minutes, hours, days_of_month, months, days_of_week, years;  // dow 1..7, 1 = Sunday
  bool any_day_of_month = true, any_day_of_week = true;
};

// InvalidArgument, in Application Auto Scaling's words, for an expression it refuses.
Result<Schedule> ParseSchedule(std::string_view expression);

// The first run strictly after `after` (UTC seconds), or nullopt when there is none. `origin`
// is where a rate counts from (UTC seconds).
std::optional<int64_t> NextRun(const Schedule& schedule, const TimeZone& zone, int64_t after, int64_t origin);

}  // namespace wharf::controlplane
