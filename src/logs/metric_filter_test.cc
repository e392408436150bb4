#include "logs/metric_filter.h"

#include <gtest/gtest.h>

namespace wharf::logs {
namespace {

FilterPattern P(std::string_view text) { return FilterPattern::Parse(text).value(); }

TEST(MetricFilterTest, TermsCountMatchingEventsAndDefaultTheRest) {
  MetricTransformation t{"Errors", "App", "1", 0.0, {}, "Count"};
  auto p = P("ERROR");
  auto hit = ExtractDatum(p, t, "ERROR disk full");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->value, 1);
  auto miss = ExtractDatum(p, t, "INFO fine");
  ASSERT_TRUE(miss);
  EXPECT_EQ(miss->value, 0);
  t.default_value.reset();
  EXPECT_FALSE(ExtractDatum(p, t, "INFO fine"));
}

TEST(MetricFilterTest, SpaceDelimitedFieldsGiveValueAndDimensions) {
  MetricTransformation t{"Bytes", "App", "$bytes", std::nullopt, {{"Status", "$status"}}, "Bytes"};
  auto p = P("[ip, user, ..., status = 2*, bytes]");
  auto d = ExtractDatum(p, t, "10.0.0.1 bob GET /x 200 1534");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, 1534);
  ASSERT_EQ(d->dimensions.size(), 1u);
  EXPECT_EQ(d->dimensions[0].second, "200");
  EXPECT_FALSE(ExtractDatum(p, t, "10.0.0.1 bob GET /x 500 1534"));
  EXPECT_FALSE(ExtractDatum(p, t, "10.0.0.1 bob GET /x 200 many"));  // not a number
  auto c = p.Capture("10.0.0.1 bob GET /x 200 1534");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Value("$user"), "bob");
  EXPECT_EQ(c->Value("$ip"), "10.0.0.1");
}

TEST(MetricFilterTest, JsonSelectorsGiveValueAndDimensions) {
  MetricTransformation t{"Latency", "App", "$.latency", std::nullopt, {{"Op", "$.req.op"}}, "Milliseconds"};
  auto p = P("{ $.latency > 0 }");
  auto d = ExtractDatum(p, t, R"({"latency": 12.5, "req": {"op": "get"}})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, 12.5);
  EXPECT_EQ(d->dimensions[0].second, "get");
  EXPECT_FALSE(ExtractDatum(p, t, R"({"latency": 3})"));  // no $.req.op
  auto c = P("{ $.a[1].b = 7 }").Capture(R"({"a": [{}, {"b": 7}]})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Value("$.a[1].b"), "7");
}

TEST(MetricFilterTest, CheckTransformationRefusesWhatAwsRefuses) {
  EXPECT_TRUE(CheckTransformation({"M", "N", "1", std::nullopt, {}, "None"}).ok());
  EXPECT_FALSE(CheckTransformation({"M", "N", "one", std::nullopt, {}, "None"}).ok());
  EXPECT_FALSE(CheckTransformation({"M", "N", "1", 0.0, {{"D", "$d"}}, "None"}).ok());
  EXPECT_FALSE(CheckTransformation({"M", "N", "1", std::nullopt, {{"D", "literal"}}, "None"}).ok());
  EXPECT_FALSE(CheckTransformation(
      {"M", "N", "1", std::nullopt, {{"A", "$a"}, {"B", "$b"}, {"C", "$c"}, {"D", "$d"}}, "None"}).ok());
}

}  // namespace
}  // namespace wharf::logs
