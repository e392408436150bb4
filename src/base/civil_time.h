// Dates of the proleptic Gregorian calendar as days since 1970-01-01 and back, without the C
// library's time zone state (timegm and gmtime_r are not in every libc alike, and they take
// the date apart through struct tm). Howard Hinnant's days_from_civil / civil_from_days.
//
// Pure arithmetic; thread-safe.
#pragma once

#include <cstdint>

namespace wharf {

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 (negative before it) of year-month-day.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
// The date `days` after 1970-01-01.
CivilDate CivilFromDays(int64_t days);

}  // namespace wharf
