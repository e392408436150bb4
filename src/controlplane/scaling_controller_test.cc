#include "controlplane/scaling_controller.h"

#include <gtest/gtest.h>

#include "controlplane/records.h"
#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;
namespace keys = model::keys;

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kResource = "service/prod/web";
constexpr std::string_view kDimension = "ecs:service:DesiredCount";
const std::string kPolicyArn = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:u:resource/ecs/service/prod/web:policyName/p";

class ScalingControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = metrics::MetricStore::Open("");
    ASSERT_TRUE(opened.ok());
    metrics_ = std::move(*opened);
    Put(keys::ServiceKey("prod", "web"),
        json::object{{"status", "ACTIVE"}, {"desiredCount", 1}, {"deployments", json::array{json::object{{"desiredCount", 1}}}}});
    Put(keys::ScalableTargetKey(kDimension, kResource),
        json::object{{"ServiceNamespace", "ecs"}, {"ResourceId", kResource}, {"ScalableDimension", kDimension},
                     {"MinCapacity", 1}, {"MaxCapacity", 4}});
  }

  void Put(const std::string& key, const json::object& record) {
    ASSERT_TRUE(store_.Commit({{}, {store::Op::Put(key, Serialize(record))}}).ok());
  }
  json::object Get(const std::string& key) {
    auto r = ReadRecord(store_, key);
    return r.ok() && *r ? (*r)->value : json::object{};
  }
  int64_t Desired() { return GetInt(Get(keys::ServiceKey("prod", "web")), "desiredCount").value_or(-1); }
  Status Round() { return RunScaling({store_, *metrics_, clock_, random_}); }
  std::vector<json::object> Activities() { return *LoadRecords(store_, keys::kScalingActivities); }

  store::MemoryStore store_;
  std::unique_ptr<metrics::MetricStore> metrics_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  FastRandom random_;
};

TEST_F(ScalingControllerTest, StepPolicyOnAnAlarmInAlarmScalesOnceInItsCooldown) {
  Put(keys::ScalingPolicyKey(kDimension, kResource, "p"),
      json::object{{"PolicyARN", kPolicyArn}, {"PolicyName", "p"}, {"ResourceId", kResource},
                   {"ScalableDimension", kDimension}, {"PolicyType", "StepScaling"},
                   {"StepScalingPolicyConfiguration",
                    json::object{{"AdjustmentType", "ChangeInCapacity"}, {"Cooldown", 60},
                                 {"StepAdjustments", json::array{json::object{{"MetricIntervalLowerBound", 0},
                                                                              {"ScalingAdjustment", 2}}}}}}});
  Put(keys::CloudWatchAlarmKey("a"),
      json::object{{"AlarmName", "a"}, {"StateValue", "ALARM"}, {"ActionsEnabled", true}, {"Namespace", "N"},
                   {"MetricName", "m"}, {"Statistic", "Average"}, {"Period", 60}, {"EvaluationPeriods", 1},
                   {"Threshold", 5}, {"ComparisonOperator", "GreaterThanThreshold"},
                   {"AlarmActions", json::array{kPolicyArn}}});
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Desired(), 3);
  EXPECT_EQ(GetInt(GetArray(Get(keys::ServiceKey("prod", "web")), "deployments")[0].as_object(), "desiredCount"), 3);
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Desired(), 3);  // in its cooldown
  clock_.Advance(std::chrono::seconds(61));
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Desired(), 4);  // clamped to MaxCapacity
  auto activities = Activities();
  ASSERT_EQ(activities.size(), 2u);
  EXPECT_EQ(GetString(activities[0], "Description"), "Setting desired count to 3.");
  EXPECT_EQ(GetString(activities[0], "Cause"), "monitor alarm a in state ALARM triggered policy p");
  EXPECT_EQ(GetString(activities[1], "StatusMessage"),
            "Successfully set desired count to 4. Change successfully fulfilled by ecs.");
}

TEST_F(ScalingControllerTest, DueScheduledActionSetsBoundsAndMovesTheCount) {
  Put(keys::ScheduledActionKey(kDimension, kResource, "grow"),
      json::object{{"ScheduledActionName", "grow"}, {"ResourceId", kResource}, {"ScalableDimension", kDimension},
                   {"Schedule", "rate(1 minute)"}, {"CreationTime", kNow - 30},
                   {"ScalableTargetAction", json::object{{"MinCapacity", 2}, {"MaxCapacity", 6}}}});
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Desired(), 1);  // not due for 30 s
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Desired(), 2);
  auto target = Get(keys::ScalableTargetKey(kDimension, kResource));
  EXPECT_EQ(GetInt(target, "MinCapacity"), 2);
  EXPECT_EQ(GetInt(target, "MaxCapacity"), 6);
  auto activities = Activities();
  ASSERT_EQ(activities.size(), 2u);
  EXPECT_EQ(GetString(activities[0], "Description"), "Setting min capacity to 2 and max capacity to 6");
  EXPECT_EQ(GetString(activities[0], "Cause"), "scheduled action name grow was triggered");
  EXPECT_EQ(GetString(activities[1], "Cause"), "minimum capacity was set to 2");
  ASSERT_TRUE(Round().ok());
  EXPECT_EQ(Activities().size(), 2u);  // ran once for that time
  clock_.Advance(std::chrono::hours(24 * 42 + 1));
  ASSERT_TRUE(ExpireScalingActivities(store_, clock_).ok());
  EXPECT_TRUE(Activities().empty());
}

}  // namespace
}  // namespace wharf::controlplane
