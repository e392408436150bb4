#include "controlplane/blue_green.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

constexpr char kBlue[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/1";
constexpr char kGreen[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/green/2";
constexpr char kProd[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/5/7/11";
constexpr char kTest[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/5/7/12";

json::object Deployment(const std::string& id, const std::string& tg, const std::string& rollout) {
  return json::object{{"id", id},
                      {"rolloutState", rollout},
                      {"_loadBalancers", json::array{json::object{{"targetGroupArn", tg}}}}};
}

json::object Service(json::array deployments) {
  json::object advanced{{"alternateTargetGroupArn", kGreen}, {"productionListenerRule", kProd},
                        {"testListenerRule", kTest}, {"roleArn", "arn:aws:iam::000000000000:role/r"}};
  return json::object{
      {"deploymentConfiguration", json::object{{"strategy", "BLUE_GREEN"}, {"bakeTimeInMinutes", 0}}},
      {"loadBalancers", json::array{json::object{{"targetGroupArn", kBlue}, {"advancedConfiguration", advanced}}}},
      {"deployments", std::move(deployments)}};
}

TEST(BlueGreenTest, GreenGoesToTheGroupProductionDoesNotUseAndRolesSwap) {
  json::object service = Service({Deployment("ecs-svc/1", kBlue, "COMPLETED")});
  EXPECT_EQ(GetString(NewDeploymentLoadBalancers(service)[0].as_object(), "targetGroupArn"), kGreen);
  service = Service({Deployment("ecs-svc/2", kGreen, "COMPLETED")});
  EXPECT_EQ(GetString(NewDeploymentLoadBalancers(service)[0].as_object(), "targetGroupArn"), kBlue);
  json::object rolling = service;
  rolling["deploymentConfiguration"] = json::object{{"strategy", "ROLLING"}};
  EXPECT_EQ(GetString(NewDeploymentLoadBalancers(rolling)[0].as_object(), "targetGroupArn"), kBlue);
}

TEST(BlueGreenTest, RoutesFollowTheStages) {
  json::object green = Deployment("ecs-svc/2", kGreen, "IN_PROGRESS");
  green["_blueGreen"] = json::object{{"stage", "POST_SCALE_UP"}};
  json::object service = Service({green, Deployment("ecs-svc/1", kBlue, "COMPLETED")});
  auto routes = BlueGreenRoutes(service);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].rule_arn, kProd);
  EXPECT_EQ(routes[0].to, kBlue);
  EXPECT_EQ(routes[1].to, kBlue);
  service["deployments"].as_array()[0].as_object()["_blueGreen"] = json::object{{"stage", "POST_TEST_TRAFFIC_SHIFT"}};
  routes = BlueGreenRoutes(service);
  EXPECT_EQ(routes[0].to, kBlue);   // production
  EXPECT_EQ(routes[1].to, kGreen);  // test
  service["deployments"].as_array()[0].as_object()["_blueGreen"] = json::object{{"stage", "BAKE_TIME"}};
  EXPECT_EQ(BlueGreenRoutes(service)[0].to, kGreen);
  EXPECT_EQ(TrafficDeploymentId(service, false), "ecs-svc/2");
  // A newer deployment before green shifted: production stays on blue, not on the older green.
  json::object newer = Deployment("ecs-svc/3", kBlue, "IN_PROGRESS");
  newer["_blueGreen"] = json::object{{"stage", "SCALE_UP"}};
  json::object replaced = service;
  replaced["deployments"].as_array()[0].as_object()["_blueGreen"] = json::object{{"stage", "SCALE_UP"}};
  replaced["deployments"].as_array().insert(replaced["deployments"].as_array().begin(), newer);
  EXPECT_EQ(TrafficDeploymentId(replaced, false), "ecs-svc/1");
  // A failed green sends everything back to blue.
  service["deployments"].as_array()[0].as_object()["rolloutState"] = "FAILED";
  EXPECT_EQ(BlueGreenRoutes(service)[0].to, kBlue);
}

TEST(BlueGreenTest, RouteRuleRewritesWeightsOnlyWhenTheyDiffer) {
  json::object record{{"rule", json::object{{"RuleArn", kProd},
                                            {"Actions", json::array{json::object{{"Type", "forward"},
                                                                                 {"TargetGroupArn", kBlue}}}}}}};
  RuleRoute route{kProd, kBlue, {kBlue, kGreen}};
  EXPECT_FALSE(RouteRule(record, route));  // a plain forward to blue already sends it all there
  route.to = kGreen;
  EXPECT_TRUE(RouteRule(record, route));
  const json::object& action = GetArray(GetObject(record, "rule"), "Actions")[0].as_object();
  EXPECT_FALSE(action.contains("TargetGroupArn"));
  const json::array& groups = GetArray(GetObject(action, "ForwardConfig"), "TargetGroups");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(GetInt(groups[0].as_object(), "Weight"), 0);
  EXPECT_EQ(GetInt(groups[1].as_object(), "Weight"), 100);
  EXPECT_FALSE(RouteRule(record, route));
}

TEST(BlueGreenTest, RuleKeysAndHooks) {
  EXPECT_EQ(RuleKeyOfArn(kProd), model::keys::RuleKey("lb", "7", "11"));
  EXPECT_EQ(RuleKeyOfArn("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/lb/5/7"), "");
  EXPECT_EQ(RuleKeyOfArn("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/5/7"), "");
  json::object service = Service({});
  service["deploymentConfiguration"].as_object()["lifecycleHooks"] = json::array{
      json::object{{"targetType", "PAUSE"}, {"lifecycleStages", json::array{"PRE_PRODUCTION_TRAFFIC_SHIFT"}}}};
  EXPECT_EQ(PauseHooksAt(service, "POST_TEST_TRAFFIC_SHIFT").size(), 1u);
  EXPECT_TRUE(PauseHooksAt(service, "SCALE_UP").empty());
  EXPECT_EQ(NextBlueGreenStage(""), "PRE_SCALE_UP");
  EXPECT_EQ(NextBlueGreenStage("CLEAN_UP"), "");
}

}  // namespace
}  // namespace wharf::controlplane
