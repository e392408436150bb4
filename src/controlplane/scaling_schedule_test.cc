#include "controlplane/scaling_schedule.h"

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {

// 2026-12-07 (a Monday) 00:00:00 UTC.
constexpr int64_t kMonday = 1796601600;

TEST(ScalingScheduleTest, AtRunsOnceInItsZone) {
  auto s = ParseSchedule("at(2026-12-07T10:30:00)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday, kMonday), kMonday + 10 * 3600 + 30 * 60);
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday + 11 * 3600, kMonday), std::nullopt);
  auto paris = TimeZone::Load("Europe/Paris");
  ASSERT_TRUE(paris.ok()) << paris.status().ToString();
  // Paris is UTC+1 in December, UTC+2 in July.
  EXPECT_EQ(NextRun(*s, *paris, kMonday, kMonday), kMonday + 9 * 3600 + 30 * 60);
  auto july = ParseSchedule("at(2027-07-01T12:00:00)");
  ASSERT_TRUE(july.ok());
  EXPECT_EQ(*NextRun(*july, *paris, kMonday, kMonday) % 86400, 10 * 3600);
}

TEST(ScalingScheduleTest, RateCountsFromItsOrigin) {
  auto s = ParseSchedule("rate(5 minutes)");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday, kMonday), kMonday + 300);
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday + 300, kMonday), kMonday + 600);
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday - 50, kMonday), kMonday);
  EXPECT_FALSE(ParseSchedule("rate(1 minutes)").ok());
  EXPECT_FALSE(ParseSchedule("rate(0 hours)").ok());
  EXPECT_TRUE(ParseSchedule("rate(1 day)").ok());
}

TEST(ScalingScheduleTest, CronWeekdayMornings) {
  auto s = ParseSchedule("cron(0 9 ? * MON-FRI *)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), kMonday, kMonday), kMonday + 9 * 3600);
  // Friday 09:00 is followed by Monday 09:00.
  int64_t friday_nine = kMonday + 4 * 86400 + 9 * 3600;
  EXPECT_EQ(NextRun(*s, TimeZone::Utc(), friday_nine, kMonday), friday_nine + 3 * 86400);
  auto steps = ParseSchedule("cron(1,5/20 * * * ? 2026)");
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_EQ(steps->minutes, (std::set<int>{1, 5, 25, 45}));
  EXPECT_EQ(NextRun(*steps, TimeZone::Utc(), kMonday + 3600 * 24 * 30, kMonday), std::nullopt);  // 2027: no year
}

TEST(ScalingScheduleTest, RefusesWhatItCannotRun) {
  EXPECT_FALSE(ParseSchedule("cron(0 9 * * * *)").ok());     // both day fields
  EXPECT_FALSE(ParseSchedule("cron(0 9 L * ? *)").ok());     // L
  EXPECT_FALSE(ParseSchedule("cron(0 9 ? * 2#1 *)").ok());   // #
  EXPECT_FALSE(ParseSchedule("cron(0 9 ? *)").ok());
  EXPECT_FALSE(ParseSchedule("cron(60 9 ? * * *)").ok());
  EXPECT_FALSE(ParseSchedule("at(2026-13-01T00:00:00)").ok());
  EXPECT_FALSE(ParseSchedule("every 5 minutes").ok());
  EXPECT_FALSE(TimeZone::Load("Mars/Olympus").ok());
  EXPECT_FALSE(TimeZone::Load("../etc/passwd").ok());
}

}  // namespace
}  // namespace wharf::controlplane
