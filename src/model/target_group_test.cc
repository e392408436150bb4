// The target group record's typed view and the one way its targets change.
#include "model/target_group.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace wharf::model {
namespace {

namespace json = boost::json;

json::object Group(int delay_seconds) {
  return json::object{
      {"targetGroup", json::object{{"TargetGroupArn", "arn:tg"}, {"TargetGroupName", "tg"}, {"Port", 8080},
                                   {"TargetType", "ip"}}},
      {"attributes", json::object{{"deregistration_delay.timeout_seconds", std::to_string(delay_seconds)}}},
      {"targets", json::array()}};
}

TEST(TargetGroupRecordTest, ReadsTheShapeWithAwsDefaults) {
  json::object record = Group(20);
  TargetGroupRecord tg(record);
  EXPECT_EQ(tg.arn(), "arn:tg");
  EXPECT_EQ(tg.port(), 8080);
  EXPECT_EQ(tg.protocol(), "HTTP");  // not stored: AWS's default
  EXPECT_EQ(tg.deregistration_delay_ms(), 20000);
  json::object bare{{"targetGroup", json::object{}}};
  EXPECT_EQ(TargetGroupRecord(bare).deregistration_delay_ms(), 300000);
  EXPECT_EQ(TargetGroupRecord(bare).target_type(), "instance");
}

TEST(TargetGroupRecordTest, DeregisteredTargetsDrainThenAreForgotten) {
  json::object record = Group(10);
  EXPECT_TRUE(RegisterTarget(record, {"10.0.0.5", 8080, "us-east-1a", std::nullopt}));
  EXPECT_FALSE(RegisterTarget(record, {"10.0.0.5", 8080, "", std::nullopt}));  // the same, its zone kept
  EXPECT_TRUE(RegisterTarget(record, {"10.0.0.6", 8080, "", std::nullopt}));
  EXPECT_EQ(DeregisterTarget(record, "10.0.0.5", std::nullopt, 1000), 1);
  EXPECT_EQ(DeregisterTarget(record, "10.0.0.7", std::nullopt, 1000), 0);  // not registered
  EXPECT_EQ(DeregisterTarget(record, "10.0.0.5", 8080, 5000), 1);  // already draining: deadline kept

  auto targets = TargetGroupRecord(record).targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].availability_zone, "us-east-1a");
  ASSERT_TRUE(targets[0].drain_deadline_ms.has_value());
  EXPECT_EQ(*targets[0].drain_deadline_ms, 11000);
  EXPECT_FALSE(targets[1].draining());

  EXPECT_EQ(TargetGroupRecord(record).targets(10999).size(), 2u);
  EXPECT_EQ(TargetGroupRecord(record).targets(11000).size(), 1u);  // drained by then
  EXPECT_FALSE(ForgetDrainedTargets(record, 10999));
  EXPECT_TRUE(ForgetDrainedTargets(record, 11000));
  ASSERT_EQ(TargetGroupRecord(record).targets().size(), 1u);
  EXPECT_EQ(TargetGroupRecord(record).targets()[0].id, "10.0.0.6");
}

TEST(TargetGroupRecordTest, RegisteringADrainingTargetTakesItBack) {
  json::object record = Group(300);
  RegisterTarget(record, {"10.0.0.5", 80, "", std::nullopt});
  DeregisterTarget(record, "10.0.0.5", 80, 0);
  ASSERT_TRUE(TargetGroupRecord(record).targets()[0].draining());
  EXPECT_TRUE(RegisterTarget(record, {"10.0.0.5", 80, "", std::nullopt}));
  EXPECT_FALSE(TargetGroupRecord(record).targets()[0].draining());
}

}  // namespace
}  // namespace wharf::model
