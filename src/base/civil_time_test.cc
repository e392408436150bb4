#include "base/civil_time.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(CivilTime, DaysFromCivilCountsFromTheEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);     // after a leap day of a year divisible by 400
  EXPECT_EQ(DaysFromCivil(2024, 5, 1), 19844);     // 2024-05-01T00:00:00Z is 1714521600
  EXPECT_EQ(DaysFromCivil(2100, 3, 1) - DaysFromCivil(2100, 2, 28), 1);  // 2100 has no leap day
}

TEST(CivilTime, CivilFromDaysUndoesDaysFromCivil) {
  for (int64_t days = -800000; days <= 800000; days += 97) {
    CivilDate c = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), days) << days;
  }
  CivilDate leap = CivilFromDays(DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(leap.year, 2024);
  EXPECT_EQ(leap.month, 2u);
  EXPECT_EQ(leap.day, 29u);
}

}  // namespace
}  // namespace wharf
