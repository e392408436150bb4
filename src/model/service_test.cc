// The service controller's typed part of a service record.
#include "model/service.h"

#include <gtest/gtest.h>

#include "model/json.h"

namespace wharf::model {
namespace {

namespace json = boost::json;

TEST(ServiceControllerStateTest, RoundTripsAndKeepsTheNewestFailures) {
  ServiceControllerState s;
  s.retiring = {{"t1", "ecs-svc/1"}};
  s.failures_counted = {"a", "b", "c"};
  s.steady = true;
  s.last_completed = json::object{{"id", "ecs-svc/9"}};
  s.throttle_deployment = "ecs-svc/2";
  s.throttle_failures = 4;
  s.throttle_launch_after = 1700000005.5;
  json::object service{{"serviceName", "web"}};
  s.WriteTo(service, 2);

  ServiceControllerState back = ServiceControllerState::Of(service);
  EXPECT_EQ(back.retiring, s.retiring);
  EXPECT_EQ(back.failures_counted, (std::vector<std::string>{"b", "c"}));  // the oldest forgotten
  EXPECT_TRUE(back.steady);
  EXPECT_EQ(GetString(back.last_completed, "id"), "ecs-svc/9");
  EXPECT_EQ(back.throttle_deployment, "ecs-svc/2");
  EXPECT_EQ(back.throttle_failures, 4);
  EXPECT_DOUBLE_EQ(back.throttle_launch_after, 1700000005.5);
  // DescribeServices never shows it.
  EXPECT_FALSE(PresentService(service, false).contains("_wharf"));
}

TEST(ServiceControllerStateTest, AMissingOrMistypedPartReadsAsDefaults) {
  json::object service{{"_wharf", json::object{{"retiring", json::object{{"t1", 5}}}, {"steady", "yes"},
                                               {"throttle", json::object{{"launchAfter", "soon"}}}}}};
  ServiceControllerState s = ServiceControllerState::Of(service);
  EXPECT_TRUE(s.retiring.empty());
  EXPECT_FALSE(s.steady);
  EXPECT_EQ(s.throttle_launch_after, 0);
  EXPECT_TRUE(ServiceControllerState::Of(json::object{}).failures_counted.empty());
}

}  // namespace
}  // namespace wharf::model
