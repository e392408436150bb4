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

TEST(BlueGreenTest, PauseHooksHoldTheirStageUntilResolvedOrTimedOut) {
  json::object service = Service({Deployment("ecs-svc/2", kGreen, "IN_PROGRESS"), Deployment("ecs-svc/1", kBlue, "COMPLETED")});
  service["deploymentConfiguration"].as_object()["lifecycleHooks"] = json::array{json::object{
      {"targetType", "PAUSE"}, {"lifecycleStages", json::array{"POST_SCALE_UP"}},
      {"timeoutConfiguration", json::object{{"timeoutInMinutes", 1}, {"action", "ROLLBACK"}}}}};
  json::object& green = service["deployments"].as_array()[0].as_object();
  green["_blueGreen"] = json::object{{"stage", "SCALE_UP"}, {"since", 0}};
  FastRandom random;
  EnterBlueGreenStage(random, service, "POST_SCALE_UP", 100, green);
  const json::array& hooks = GetArray(GetObject(green, "_blueGreen"), "hooks");
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(GetString(hooks[0].as_object(), "status"), "AWAITING_ACTION");
  bool rollback = false;
  BlueGreenView v = BlueGreenViewOf(service, 130, rollback);
  EXPECT_TRUE(v.active && v.held);
  EXPECT_EQ(v.stage, "POST_SCALE_UP");
  EXPECT_EQ(v.production_id, "ecs-svc/1");
  EXPECT_TRUE(v.hook_stages.count("POST_SCALE_UP"));
  EXPECT_FALSE(rollback);
  v = BlueGreenViewOf(service, 161, rollback);  // a minute after: the timeout's ROLLBACK
  EXPECT_FALSE(v.held);
  EXPECT_TRUE(rollback);
  TimeOutPauseHooks(161, green);
  EXPECT_EQ(GetString(GetArray(GetObject(green, "_blueGreen"), "hooks")[0].as_object(), "status"), "TIMED_OUT");
}

// A PAUSE hook without timeoutConfiguration waits AWS's default 1440 minutes, then rolls back.
TEST(BlueGreenTest, PauseHooksWithoutTimeoutRollBackAfterADay) {
  json::object service = Service({Deployment("ecs-svc/2", kGreen, "IN_PROGRESS"), Deployment("ecs-svc/1", kBlue, "COMPLETED")});
  service["deploymentConfiguration"].as_object()["lifecycleHooks"] =
      json::array{json::object{{"targetType", "PAUSE"}, {"lifecycleStages", json::array{"POST_SCALE_UP"}}}};
  json::object& green = service["deployments"].as_array()[0].as_object();
  green["_blueGreen"] = json::object{{"stage", "SCALE_UP"}, {"since", 0}};
  FastRandom random;
  EnterBlueGreenStage(random, service, "POST_SCALE_UP", 100, green);
  const json::object& hook = GetArray(GetObject(green, "_blueGreen"), "hooks")[0].as_object();
  EXPECT_EQ(GetString(hook, "timeoutAction"), "ROLLBACK");
  bool rollback = false;
  EXPECT_TRUE(BlueGreenViewOf(service, 100 + 1439 * 60, rollback).held);
  EXPECT_FALSE(rollback);
  EXPECT_FALSE(BlueGreenViewOf(service, 100 + 1440 * 60, rollback).held);
  EXPECT_TRUE(rollback);
}

TEST(BlueGreenTest, RollbackMakesBluePrimaryAgain) {
  json::object blue = Deployment("ecs-svc/1", kBlue, "COMPLETED");
  blue["taskDefinition"] = "td:1";
  json::object green = Deployment("ecs-svc/2", kGreen, "FAILED");
  green["_serviceDeployment"] = json::object{{"id", "sd"}, {"target", "2"}, {"sources", json::array{"1"}}};
  json::object service = Service({green, blue});
  service["serviceArn"] = "arn:aws:ecs:us-east-1:000000000000:service/default/web";
  service["desiredCount"] = 2;
  json::array deployments = GetArray(service, "deployments");
  ASSERT_TRUE(RepromoteBlue(10, blue, "Service deployment stopped", "asked", service, deployments));
  ASSERT_EQ(deployments.size(), 2u);
  const json::object& primary = deployments[0].as_object();
  EXPECT_EQ(GetString(primary, "id"), "ecs-svc/1");
  EXPECT_EQ(GetString(primary, "status"), "PRIMARY");
  EXPECT_EQ(GetString(primary, "rolloutState"), "IN_PROGRESS");
  EXPECT_EQ(GetString(GetObject(GetObject(primary, "_serviceDeployment"), "rollback"), "reason"), "asked");
  EXPECT_EQ(GetString(deployments[1].as_object(), "status"), "ACTIVE");
  EXPECT_EQ(GetString(service, "taskDefinition"), "td:1");
  // Blue gone: nothing to re-promote.
  json::array only_green{green};
  EXPECT_FALSE(RepromoteBlue(10, blue, "x", "y", service, only_green));
}

}  // namespace
}  // namespace wharf::controlplane
