#include "controlplane/scaling_schedule.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "base/civil_time.h"

namespace wharf::controlplane {

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

uint32_t Be32(std::string_view s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

Status Invalid(std::string_view expression, std::string_view why) {
  return Status::InvalidArgument("Schedule expression " + std::string(expression) + " is invalid: " + std::string(why));
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

constexpr std::string_view kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One value of a cron field: a number or (months, days of week) a name.
bool CronValue(std::string_view s, int field, int& out) {
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (field == 3) {
    for (int i = 0; i < 12; ++i) {
      if (upper == kMonths[i]) {
        out = i + 1;
        return true;
      }
    }
  }
  if (field == 4) {
    for (int i = 0; i < 7; ++i) {
      if (upper == kDays[i]) {
        out = i + 1;
        return true;
      }
    }
  }
  return ParseInt(s, out);
}

// A cron field into the set of values it allows; "*" and "?" give every value.
Status CronField(std::string_view expression, std::string_view text, int field, int lo, int hi, std::set<int>& out,
                 bool& any) {
  static constexpr std::string_view kNames[] = {"minutes", "hours", "day-of-month", "month", "day-of-week", "year"};
  const std::string name(kNames[field]);
  any = text == "*" || text == "?";
  if (text.find_first_of("LW#") != std::string_view::npos) {
    return Invalid(expression, "the L, W and # forms of cron are not supported by wharf (" + name + ")");
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int step = 1;
    const bool stepped = part.find('/') != std::string_view::npos;
    if (size_t slash = part.find('/'); slash != std::string_view::npos) {
      if (!ParseInt(part.substr(slash + 1), step) || step < 1) return Invalid(expression, "bad step in " + name);
      part = part.substr(0, slash);
    }
    int from = lo, to = hi;
    if (part == "*" || part == "?") {
      // every value
    } else if (size_t dash = part.find('-'); dash != std::string_view::npos) {
      if (!CronValue(part.substr(0, dash), field, from) || !CronValue(part.substr(dash + 1), field, to)) {
        return Invalid(expression, "bad range in " + name);
      }
    } else {
      if (!CronValue(part, field, from)) return Invalid(expression, "bad value in " + name);
      to = stepped ? hi : from;  // "5/10": from 5 to the end, every 10
    }
    if (from < lo || to > hi || from > to) return Invalid(expression, name + " must be between " + std::to_string(lo) +
                                                                          " and " + std::to_string(hi));
    for (int v = from; v <= to; v += step) out.insert(v);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::OK();
}

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view name, const std::string& root) {
  if (name == "UTC" || name == "Etc/UTC" || name == "GMT" || name == "Etc/GMT") return Utc();
  if (name.empty() || name.size() > 64 || name.find("..") != std::string_view::npos || name.front() == '/') {
    return Status::InvalidArgument("Timezone " + std::string(name) + " is not a valid time zone.");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') {
      return Status::InvalidArgument("Timezone " + std::string(name) + " is not a valid time zone.");
    }
  }
  std::ifstream in(root + "/" + std::string(name), std::ios::binary);
  if (!in) return Status::InvalidArgument("Timezone " + std::string(name) + " is not a valid time zone.");
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto zone = Parse(bytes.str());
  if (!zone.ok()) return Status::InvalidArgument("Timezone " + std::string(name) + " is not a valid time zone.");
  return zone;
}

Result<TimeZone> TimeZone::Parse(std::string_view s) {
  // TZif: a v1 block (32-bit times), then for v2+ a second header and 64-bit block.
  auto header = [&](size_t at, uint32_t counts[6]) -> bool {
    if (s.size() < at + 44 || s.substr(at, 4) != "TZif") return false;
    for (int i = 0; i < 6; ++i) counts[i] = Be32(s, at + 20 + 4 * i);
    return true;
  };
  uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return Status::InvalidArgument("not a TZif file");
  size_t at = 44;
  const bool v2 = s[4] >= '2';
  if (v2) {
    at += static_cast<size_t>(c[3]) * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (!header(at, c)) return Status::InvalidArgument("bad TZif v2 header");
    at += 44;
  }
  const size_t tsize = v2 ? 8 : 4;
  const size_t need = static_cast<size_t>(c[3]) * (tsize + 1) + static_cast<size_t>(c[4]) * 6;
  if (c[4] == 0 || s.size() < at + need) return Status::InvalidArgument("truncated TZif file");
  TimeZone zone;
  std::vector<int64_t> times(c[3]);
  for (uint32_t i = 0; i < c[3]; ++i) {
    size_t p = at + i * tsize;
    times[i] = v2 ? static_cast<int64_t>((static_cast<uint64_t>(Be32(s, p)) << 32) | Be32(s, p + 4))
                  : static_cast<int32_t>(Be32(s, p));
  }
  const size_t idx_at = at + c[3] * tsize, types_at = idx_at + c[3];
  auto type_offset = [&](uint32_t type) { return static_cast<int64_t>(static_cast<int32_t>(Be32(s, types_at + type * 6))); };
  zone.initial_ = type_offset(0);
  for (uint32_t i = 0; i < c[3]; ++i) {
    uint32_t type = static_cast<unsigned char>(s[idx_at + i]);
    if (type >= c[4]) return Status::InvalidArgument("bad TZif type index");
    zone.transitions_.push_back(times[i]);
    zone.offsets_.push_back(type_offset(type));
  }
  return zone;
}

int64_t TimeZone::OffsetAt(int64_t utc) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  if (it == transitions_.begin()) return initial_;
  return offsets_[static_cast<size_t>(it - transitions_.begin() - 1)];
}

int64_t TimeZone::ToUtc(int64_t local) const {
  // Twice: the offset at the first guess may differ from the one at the answer (near a
  // transition). A wall-clock time skipped by a spring-forward lands just after it.
  int64_t guess = local - OffsetAt(local);
  return local - OffsetAt(guess);
}

Result<Schedule> ParseSchedule(std::string_view e) {
  Schedule s;
  auto inner = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (!e.starts_with(prefix) || !e.ends_with(")")) return std::nullopt;
    return e.substr(prefix.size(), e.size() - prefix.size() - 1);
  };
  if (auto body = inner("at(")) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    std::string text(*body);
    if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
        !ParseInt(text.substr(0, 4), y) || !ParseInt(text.substr(5, 2), mo) || !ParseInt(text.substr(8, 2), d) ||
        !ParseInt(text.substr(11, 2), h) || !ParseInt(text.substr(14, 2), mi) || !ParseInt(text.substr(17, 2), se) ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) {
      return Invalid(e, "at() takes yyyy-mm-ddThh:mm:ss");
    }
    s.kind = Schedule::Kind::kAt;
    s.at = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se;
    return s;
  }
  if (auto body = inner("rate(")) {
    std::string_view text = *body;
    size_t space = text.find(' ');
    int n = 0;
    if (space == std::string_view::npos || !ParseInt(text.substr(0, space), n) || n < 1) {
      return Invalid(e, "rate() takes a positive whole number and a unit");
    }
    std::string_view unit = text.substr(space + 1);
    int64_t seconds = 0;
    if (unit == "minute" || unit == "minutes") seconds = 60;
    if (unit == "hour" || unit == "hours") seconds = 3600;
    if (unit == "day" || unit == "days") seconds = 86400;
    if (seconds == 0) return Invalid(e, "the unit of rate() is minute(s), hour(s) or day(s)");
    if ((n == 1) != (unit == "minute" || unit == "hour" || unit == "day")) {
      return Invalid(e, "rate(1 unit) is singular, rate(N units) plural");
    }
    s.kind = Schedule::Kind::kRate;
    s.rate_seconds = seconds * n;
    return s;
  }
  if (auto body = inner("cron(")) {
    std::vector<std::string_view> fields;
    std::string_view text = *body;
    size_t start = 0;
    while (start < text.size()) {
      size_t space = text.find(' ', start);
      if (space != start) fields.push_back(text.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
    if (fields.size() != 6) return Invalid(e, "cron() takes six fields: minutes hours day-of-month month day-of-week year");
    s.kind = Schedule::Kind::kCron;
    bool any = false;
    RETURN_IF_ERROR(CronField(e, fields[0], 0, 0, 59, s.minutes, any));
    RETURN_IF_ERROR(CronField(e, fields[1], 1, 0, 23, s.hours, any));
    RETURN_IF_ERROR(CronField(e, fields[2], 2, 1, 31, s.days_of_month, s.any_day_of_month));
    RETURN_IF_ERROR(CronField(e, fields[3], 3, 1, 12, s.months, any));
    RETURN_IF_ERROR(CronField(e, fields[4], 4, 1, 7, s.days_of_week, s.any_day_of_week));
    RETURN_IF_ERROR(CronField(e, fields[5], 5, 1970, 2199, s.years, any));
    // EventBridge's rule: one of the two day fields is '?' (and only one).
    if ((fields[2] == "?") == (fields[4] == "?")) {
      return Invalid(e, "one (and only one) of day-of-month and day-of-week must be ?");
    }
    return s;
  }
  return Invalid(e, "it must be at(...), rate(...) or cron(...)");
}

std::optional<int64_t> NextRun(const Schedule& s, const TimeZone& zone, int64_t after, int64_t origin) {
  switch (s.kind) {
    case Schedule::Kind::kAt: {
      int64_t when = zone.ToUtc(s.at);
      return when > after ? std::optional<int64_t>(when) : std::nullopt;
    }
    case Schedule::Kind::kRate: {
      if (after < origin) return origin;
      return origin + (FloorDiv(after - origin, s.rate_seconds) + 1) * s.rate_seconds;
    }
    case Schedule::Kind::kCron: break;
  }
  // Day by day in the zone's wall clock, for up to five years ahead.
  const int64_t first_day = FloorDiv(after + zone.OffsetAt(after), 86400);
  for (int64_t day = first_day; day < first_day + 5 * 366; ++day) {
    CivilDate c = CivilFromDays(day);
    if (!s.years.count(static_cast<int>(c.year)) || !s.months.count(static_cast<int>(c.month))) continue;
    const int dow = static_cast<int>(((day % 7) + 11) % 7) + 1;  // 1970-01-01 was a Thursday (5)
    if (!s.any_day_of_month && !s.days_of_month.count(static_cast<int>(c.day))) continue;
    if (!s.any_day_of_week && !s.days_of_week.count(dow)) continue;
    for (int h : s.hours) {
      for (int m : s.minutes) {
        int64_t when = zone.ToUtc(day * 86400 + h * 3600 + m * 60);
        if (when > after) return when;
      }
    }
  }
  return std::nullopt;
}

}  // namespace wharf::controlplane
