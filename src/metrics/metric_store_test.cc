#include "metrics/metric_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "metrics/alarm_rule.h"
#include "metrics/metric_query.h"
#include "tests/support/temp_dir.h"

namespace wharf::metrics {
namespace {

constexpr int64_t kT0 = 1'800'000'000 / 3600 * 3600;  // an hour boundary

Datum Value(const MetricId& id, int64_t t, double v, int resolution = 60, std::string unit = "Count") {
  Datum d;
  d.id = id;
  d.timestamp = t;
  d.resolution = resolution;
  d.unit = std::move(unit);
  d.sample.AddValue(v, 1);
  return d;
}

MetricId Latency() { return MakeMetricId("MyApp", "Latency", {{"Service", "web"}, {"Env", "prod"}}); }

TEST(SampleTest, StatisticsAndPercentiles) {
  Sample s;
  for (int i = 1; i <= 100; ++i) s.AddValue(i, 1);
  auto stat = [&](std::string_view name) { return *Compute(*ParseStatistic(name), s); };
  EXPECT_EQ(stat("SampleCount"), 100);
  EXPECT_EQ(stat("Sum"), 5050);
  EXPECT_EQ(stat("Average"), 50.5);
  EXPECT_EQ(stat("Minimum"), 1);
  EXPECT_EQ(stat("Maximum"), 100);
  EXPECT_EQ(stat("p50"), 50);
  EXPECT_EQ(stat("p99"), 99);
  EXPECT_EQ(stat("p99.5"), 100);
  EXPECT_EQ(stat("p100"), 100);
  EXPECT_FALSE(ParseStatistic("p101"));
  EXPECT_FALSE(ParseStatistic("p99.999"));
  EXPECT_FALSE(ParseStatistic("Median"));
  // A statistic set has no distribution: no percentile.
  s.AddSet(2, 10, 4, 6);
  EXPECT_FALSE(Compute(*ParseStatistic("p50"), s));
  EXPECT_EQ(*Compute(*ParseStatistic("SampleCount"), s), 102);
}

TEST(MetricStoreTest, DimensionsAreASetAndPeriodsMerge) {
  auto store = MetricStore::Open("").value();
  ASSERT_TRUE(store->Put({Value(Latency(), kT0 + 5, 10), Value(Latency(), kT0 + 65, 20), Value(Latency(), kT0 + 130, 30)}).ok());
  // The same dimensions in another order are the same metric.
  MetricId reordered = MakeMetricId("MyApp", "Latency", {{"Env", "prod"}, {"Service", "web"}});
  auto periods = store->Read(reordered, std::nullopt, kT0, kT0 + 300, 120);
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].start, kT0);
  EXPECT_EQ(periods[0].sample.count, 2);
  EXPECT_EQ(periods[0].sample.sum, 30);
  EXPECT_EQ(periods[1].start, kT0 + 120);
  EXPECT_EQ(periods[1].sample.max, 30);
  EXPECT_TRUE(store->Read(reordered, std::string("Seconds"), kT0, kT0 + 300, 60).empty());
  EXPECT_TRUE(store->Read(MakeMetricId("MyApp", "Latency", {{"Env", "prod"}}), std::nullopt, kT0, kT0 + 300, 60).empty());
  ASSERT_EQ(store->List().size(), 1u);
  EXPECT_EQ(store->List()[0].last_timestamp, kT0 + 120);
}

TEST(MetricStoreTest, HighResolutionKeepsSecondsUntilRolledUp) {
  auto store = MetricStore::Open("").value();
  ASSERT_TRUE(store->Put({Value(Latency(), kT0 + 1, 1, 1), Value(Latency(), kT0 + 2, 2, 1)}).ok());
  EXPECT_EQ(store->Read(Latency(), std::nullopt, kT0, kT0 + 60, 1).size(), 2u);
  // Older than 3 hours: one-minute buckets; older than 15 days: five; past 455 days: gone.
  ASSERT_TRUE(store->Compact(kT0 + 4 * 3600).ok());
  auto periods = store->Read(Latency(), std::nullopt, kT0, kT0 + 60, 1);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].sample.count, 2);
  ASSERT_TRUE(store->Compact(kT0 + 456LL * 86400).ok());
  EXPECT_TRUE(store->List().empty());
}

TEST(MetricStoreTest, JournalSurvivesReopenAndTornTail) {
  testing::TempDir dir;
  {
    auto store = MetricStore::Open(dir.path().string()).value();
    ASSERT_TRUE(store->Put({Value(Latency(), kT0, 7)}).ok());
    ASSERT_TRUE(store->Put({Value(Latency(), kT0 + 60, 8)}).ok());
  }
  {
    // A torn write: half a record at the end.
    std::ofstream journal(dir.path().string() + "/journal", std::ios::app | std::ios::binary);
    journal.write("\x40\x00\x00\x00\x01\x02", 6);
  }
  {
    auto store = MetricStore::Open(dir.path().string()).value();
    auto periods = store->Read(Latency(), std::nullopt, kT0, kT0 + 120, 60);
    ASSERT_EQ(periods.size(), 2u);
    EXPECT_EQ(periods[1].sample.sum, 8);
    ASSERT_TRUE(store->Compact(kT0 + 120).ok());
    ASSERT_TRUE(store->Put({Value(Latency(), kT0 + 120, 9)}).ok());
  }
  auto store = MetricStore::Open(dir.path().string()).value();
  EXPECT_EQ(store->Read(Latency(), std::nullopt, kT0, kT0 + 180, 60).size(), 3u);
}

TEST(MetricQueryTest, StatsAndMath) {
  auto store = MetricStore::Open("").value();
  MetricId a = MakeMetricId("App", "A", {}), b = MakeMetricId("App", "B", {});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->Put({Value(a, kT0 + 60 * i, 10 * (i + 1)), Value(b, kT0 + 60 * i, 1)}).ok());
  }
  auto sum = *ParseStatistic("Sum");
  std::vector<Query> queries = {
      {"m1", MetricStat{a, 60, sum, std::nullopt}, "", "", false, 0},
      {"m2", MetricStat{b, 60, sum, std::nullopt}, "", "", false, 0},
      {"ratio", std::nullopt, "(m1 + m2) / 2", "", true, 0},
      {"total", std::nullopt, "SUM(METRICS(\"m\"))", "Total", true, 0},
      {"peak", std::nullopt, "m1 * 0 + MAX(m1)", "", true, 0},
  };
  auto results = RunQueries(*store, queries, kT0, kT0 + 180);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_EQ((*results)[2].series.values, (std::vector<double>{5.5, 10.5, 15.5}));
  EXPECT_EQ((*results)[3].label, "Total");
  EXPECT_EQ((*results)[3].series.values, (std::vector<double>{11, 21, 31}));
  EXPECT_EQ((*results)[4].series.values, (std::vector<double>{30, 30, 30}));
  for (std::string bad : {"m1 +", "nope * 2", "FOO(m1)", "((m1)", "[m1, 2]"}) {
    queries = {{"m1", MetricStat{a, 60, sum, std::nullopt}, "", "", false, 0}, {"e", std::nullopt, bad, "", true, 0}};
    EXPECT_FALSE(RunQueries(*store, queries, kT0, kT0 + 180).ok()) << bad;
  }
}

TEST(AlarmRuleTest, MOutOfNAndMissingData) {
  AlarmRule rule;
  rule.period = 60;
  rule.evaluation_periods = 3;
  rule.datapoints_to_alarm = 2;
  rule.threshold = 50;
  auto series = [](std::vector<std::pair<int64_t, double>> points) {
    TimeSeries s;
    for (auto [t, v] : points) {
      s.timestamps.push_back(kT0 + t);
      s.values.push_back(v);
    }
    return s;
  };
  const int64_t end = kT0 + 180;
  EXPECT_EQ(EvaluateAlarm(rule, series({{0, 60}, {60, 10}, {120, 70}}), end, "OK").state, kAlarm);
  auto one = EvaluateAlarm(rule, series({{0, 60}, {60, 10}, {120, 10}}), end, "ALARM");
  EXPECT_EQ(one.state, kOk);
  EXPECT_NE(one.reason.find("Threshold Crossed"), std::string::npos);
  // Points outside the range do not count.
  EXPECT_EQ(EvaluateAlarm(rule, series({{-60, 99}, {0, 99}}), end, "OK").state, kOk);
  EXPECT_EQ(EvaluateAlarm(rule, series({}), end, "OK").state, kInsufficientData);
  rule.missing = MissingData::kBreaching;
  EXPECT_EQ(EvaluateAlarm(rule, series({{0, 10}}), end, "OK").state, kAlarm);
  rule.missing = MissingData::kNotBreaching;
  EXPECT_EQ(EvaluateAlarm(rule, series({}), end, "ALARM").state, kOk);
  rule.missing = MissingData::kIgnore;
  EXPECT_EQ(EvaluateAlarm(rule, series({}), end, "ALARM").state, kAlarm);
  rule.comparison = Comparison::kLess;
  EXPECT_EQ(EvaluateAlarm(rule, series({{0, 1}, {60, 2}}), end, "OK").state, kAlarm);
}

}  // namespace
}  // namespace wharf::metrics
