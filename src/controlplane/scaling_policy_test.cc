#include "controlplane/scaling_policy.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "model/json.h"

namespace wharf::controlplane {
namespace {

boost::json::object Json(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(ScalingPolicyTest, TargetTrackingAlarmsFollowAwsRules) {
  auto policy = Json(R"({"PolicyARN":"arn:p","ResourceId":"service/default/web",
    "TargetTrackingScalingPolicyConfiguration":{"TargetValue":50,
      "PredefinedMetricSpecification":{"PredefinedMetricType":"ALBRequestCountPerTarget",
        "ResourceLabel":"app/lb/1/targetgroup/tg/2"}}})");
  auto alarms = TargetTrackingAlarms(policy, "u-1", 60);
  ASSERT_TRUE(alarms.ok()) << alarms.status().ToString();
  ASSERT_EQ(alarms->size(), 2u);
  const auto& high = (*alarms)[0];
  const auto& low = (*alarms)[1];
  EXPECT_EQ(GetString(high, "AlarmName"), "TargetTracking-service/default/web-AlarmHigh-u-1");
  EXPECT_EQ(GetString(low, "AlarmName"), "TargetTracking-service/default/web-AlarmLow-u-1");
  EXPECT_EQ(high.at("Threshold").to_number<double>(), 50);
  EXPECT_EQ(low.at("Threshold").to_number<double>(), 45);
  EXPECT_EQ(GetInt(high, "DatapointsToAlarm"), 3);
  EXPECT_EQ(GetInt(low, "EvaluationPeriods"), 15);
  EXPECT_EQ(GetString(high, "Statistic"), "Sum");
  EXPECT_EQ(GetString(GetArray(high, "Dimensions")[0].as_object(), "Value"), "targetgroup/tg/2");

  auto cpu = Json(R"({"PolicyARN":"arn:p","ResourceId":"service/prod/api",
    "TargetTrackingScalingPolicyConfiguration":{"TargetValue":75,"DisableScaleIn":true,
      "PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}}})");
  auto one = TargetTrackingAlarms(cpu, "u", 60);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);  // no AlarmLow without scale-in
  EXPECT_EQ(GetString((*one)[0], "MetricName"), "CPUUtilization");
  EXPECT_EQ(GetArray((*one)[0], "Dimensions").size(), 2u);

  auto bad = Json(R"({"ResourceId":"service/a/b","TargetTrackingScalingPolicyConfiguration":{"TargetValue":5,
    "PredefinedMetricSpecification":{"PredefinedMetricType":"ALBRequestCountPerTarget","ResourceLabel":"x"}}})");
  EXPECT_FALSE(TargetTrackingAlarms(bad, "u", 60).ok());
}

TEST(ScalingPolicyTest, CustomizedMetricsBecomeTheAlarmsMetric) {
  auto single = Json(R"({"PolicyARN":"arn:p","ResourceId":"service/a/b",
    "TargetTrackingScalingPolicyConfiguration":{"TargetValue":10,"CustomizedMetricSpecification":{
      "Namespace":"Shop","MetricName":"Backlog","Statistic":"Maximum",
      "Dimensions":[{"Name":"Queue","Value":"orders"}]}}})");
  auto alarms = TargetTrackingAlarms(single, "u", 5);
  ASSERT_TRUE(alarms.ok()) << alarms.status().ToString();
  EXPECT_EQ(GetString((*alarms)[0], "Namespace"), "Shop");
  EXPECT_EQ(GetString((*alarms)[0], "Statistic"), "Maximum");
  EXPECT_EQ(GetInt((*alarms)[0], "Period"), 5);
  auto math = Json(R"({"PolicyARN":"arn:p","ResourceId":"service/a/b",
    "TargetTrackingScalingPolicyConfiguration":{"TargetValue":10,"CustomizedMetricSpecification":{"Metrics":[
      {"Id":"m1","MetricStat":{"Metric":{"Namespace":"Shop","MetricName":"Backlog"},"Stat":"Sum"},"ReturnData":false},
      {"Id":"e1","Expression":"m1 / 2","ReturnData":true}]}}})");
  auto with_math = TargetTrackingAlarms(math, "u", 60);
  ASSERT_TRUE(with_math.ok()) << with_math.status().ToString();
  const auto& queries = GetArray((*with_math)[0], "Metrics");
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(GetInt(GetObject(queries[0].as_object(), "MetricStat"), "Period"), 60);
  EXPECT_FALSE(Has((*with_math)[0], "MetricName"));
}

TEST(ScalingPolicyTest, CapacityByTargetAndSteps) {
  EXPECT_EQ(TargetTrackingCapacity(1, 120, 50), 3);
  EXPECT_EQ(TargetTrackingCapacity(3, 1, 50), 1);
  EXPECT_EQ(TargetTrackingCapacity(4, 100, 50), 8);
  auto steps = Json(R"({"AdjustmentType":"ChangeInCapacity","StepAdjustments":[
    {"MetricIntervalLowerBound":0,"MetricIntervalUpperBound":10,"ScalingAdjustment":1},
    {"MetricIntervalLowerBound":10,"ScalingAdjustment":3},
    {"MetricIntervalUpperBound":0,"ScalingAdjustment":-1}]})");
  EXPECT_EQ(StepCapacity(steps, 2, 0), 3);
  EXPECT_EQ(StepCapacity(steps, 2, 10), 5);
  EXPECT_EQ(StepCapacity(steps, 2, -4), 1);
  auto percent = Json(R"({"AdjustmentType":"PercentChangeInCapacity","MinAdjustmentMagnitude":2,
    "StepAdjustments":[{"MetricIntervalLowerBound":0,"ScalingAdjustment":10}]})");
  EXPECT_EQ(StepCapacity(percent, 4, 1), 6);  // 0.4 rounds to 1, raised to the magnitude 2
  auto exact = Json(R"({"AdjustmentType":"ExactCapacity","StepAdjustments":[{"MetricIntervalLowerBound":5,"ScalingAdjustment":7}]})");
  EXPECT_EQ(StepCapacity(exact, 1, 6), 7);
  EXPECT_EQ(StepCapacity(exact, 1, 1), std::nullopt);
}

}  // namespace
}  // namespace wharf::controlplane
