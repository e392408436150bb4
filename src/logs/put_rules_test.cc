#include "logs/put_rules.h"

#include <gtest/gtest.h>

namespace wharf::logs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;

TEST(PutRulesTest, AcceptsAnOrderedBatch) {
  auto v = CheckBatch({{kNow - 2, "a"}, {kNow - 1, "b"}, {kNow - 1, "c"}}, kNow, INT64_MIN);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->accepted_begin, 0u);
  EXPECT_EQ(v->accepted_end, 3u);
  EXPECT_FALSE(v->too_new_start || v->too_old_end || v->expired_end);
}

TEST(PutRulesTest, RefusesOutOfOrderEvents) {
  auto v = CheckBatch({{kNow, "a"}, {kNow - 1, "b"}}, kNow, INT64_MIN);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "Log events in a single PutLogEvents request must be in chronological order.");
}

TEST(PutRulesTest, RefusesBatchesOver24Hours) {
  EXPECT_TRUE(CheckBatch({{kNow - kDay, "a"}, {kNow, "b"}}, kNow, INT64_MIN).ok());
  auto v = CheckBatch({{kNow - kDay - 1, "a"}, {kNow, "b"}}, kNow, INT64_MIN);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("cannot span more than 24 hours"), std::string::npos);
}

TEST(PutRulesTest, CountsAndBytesLimits) {
  std::vector<InputEvent> many(10001, InputEvent{kNow, "x"});
  EXPECT_FALSE(CheckBatch(many, kNow, INT64_MIN).ok());
  many.resize(10000);
  EXPECT_TRUE(CheckBatch(many, kNow, INT64_MIN).ok());
  // 1,048,576 bytes counting 26 per event: exactly at the limit is fine, one more is not.
  std::string big(kMaxBatchBytes - 2 * kEventOverhead - 1, 'x');
  EXPECT_TRUE(CheckBatch({{kNow, big}, {kNow, "y"}}, kNow, INT64_MIN).ok());
  auto v = CheckBatch({{kNow, big}, {kNow, "yz"}}, kNow, INT64_MIN);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "Upload too large: 1048577 bytes exceeds limit of 1048576");
}

TEST(PutRulesTest, RejectsTooOldExpiredAndTooNewByIndex) {
  auto v = CheckBatch({{kNow - 15 * kDay, "too old"}, {kNow - 15 * kDay + kHour, "too old"}}, kNow, INT64_MIN);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->too_old_end, 1u);
  EXPECT_EQ(v->accepted_begin, 2u);
  EXPECT_EQ(v->accepted_end, 2u);
  v = CheckBatch({{kNow - 7 * kDay - 10 * kHour, "expired"}, {kNow - 7 * kDay - 1, "expired"}, {kNow - 7 * kDay + 1, "kept"}},
                 kNow, kNow - 7 * kDay);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->expired_end, 1u);
  EXPECT_FALSE(v->too_old_end);
  EXPECT_EQ(v->accepted_begin, 2u);
  EXPECT_EQ(v->accepted_end, 3u);
  v = CheckBatch({{kNow, "kept"}, {kNow + 2 * kHour, "kept"}, {kNow + 2 * kHour + 1, "too new"}}, kNow, INT64_MIN);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->too_new_start, 2u);
  EXPECT_EQ(v->accepted_begin, 0u);
  EXPECT_EQ(v->accepted_end, 2u);
}

TEST(PutRulesTest, TokensRoundTrip) {
  EventToken t{true, Position{kNow, 3, 4096}};
  std::string text = EncodeToken(t);
  EXPECT_EQ(text.substr(0, 2), "f/");
  auto back = ParseEventToken(text);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->forward);
  EXPECT_EQ(back->position, t.position);
  auto b = ParseEventToken(EncodeToken({false, Before(Position{kNow, 1, 0})}));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->forward);
  EXPECT_LT(b->position, (Position{kNow, 1, 0}));
  EXPECT_FALSE(ParseEventToken("f/123"));
  EXPECT_FALSE(ParseEventToken("x/" + std::string(60, '0')));
}

}  // namespace
}  // namespace wharf::logs
