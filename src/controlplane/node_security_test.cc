#include "controlplane/node_security.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "controlplane/lb_config.h"
#include "model/keys.h"
#include "model/security_group.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

json::object Task(const std::string& node, const std::string& ip, const std::vector<std::string>& groups,
                  const std::string& last = "RUNNING", const std::string& mode = "awsvpc") {
  json::array g;
  for (const auto& x : groups) g.push_back(json::value(x));
  return json::object{{"taskArn", "arn:aws:ecs:us-east-1:000000000000:task/default/" + ip},
                      {"desiredStatus", "RUNNING"},
                      {"lastStatus", last},
                      {"_wharf", json::object{{"node", node},
                                              {"networkMode", mode},
                                              {"eni", json::object{{"ip", ip}, {"gateway", "10.0.1.1"}}},
                                              {"securityGroups", std::move(g)}}}};
}

json::object Group(const std::string& id, const std::string& from_group) {
  json::array pairs{json::object{{"GroupId", from_group}}};
  return json::object{{"GroupId", id},
                      {"IpPermissions", json::array{json::object{{"IpProtocol", "tcp"},
                                                                 {"FromPort", 80},
                                                                 {"ToPort", 80},
                                                                 {"UserIdGroupPairs", std::move(pairs)}}}},
                      {"IpPermissionsEgress", json::array()}};
}

json::object LoadBalancer(const std::string& arn, const std::string& group) {
  return json::object{{"loadBalancer", json::object{{"LoadBalancerArn", arn},
                                                    {"SecurityGroups", json::array{json::value(group)}}}}};
}

TEST(ResolveNodeSecurityTest, RulesOfTheNodesGroupsAndMembersOfTheGroupsTheyName) {
  std::vector<json::object> tasks = {
      Task("i-a", "10.0.1.5", {"sg-web"}),
      Task("i-b", "10.0.1.6", {"sg-alb"}),                            // a member on another node
      Task("i-b", "10.0.1.7", {"sg-alb"}, "STOPPED"),                 // gone: not a member
      Task("i-b", "10.0.1.8", {"sg-alb"}, "RUNNING", "bridge"),       // no ENI: not a member
      Task("i-b", "10.0.1.9", {"sg-other"}),                          // another node's group only
  };
  std::vector<json::object> groups = {Group("sg-web", "sg-alb"), Group("sg-other", "sg-web")};
  std::string lb_arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/1";
  std::vector<json::object> lbs = {LoadBalancer(lb_arn, "sg-alb"), LoadBalancer("arn:other", "sg-nobody")};
  // Its interfaces' addresses are members too: a task's egress rule naming sg-alb reaches it.
  lbs[0]["interfaces"] = json::array{json::object{{"subnetId", "subnet-a"}, {"ip", "10.0.1.4"}}};

  model::NodeSecurity s = ResolveNodeSecurity("i-a", tasks, groups, lbs);
  ASSERT_EQ(s.groups.size(), 1u);  // sg-other's rules are i-b's business
  EXPECT_EQ(s.groups[0].group_id, "sg-web");
  ASSERT_EQ(s.members.size(), 1u);
  EXPECT_EQ(s.members.at("sg-alb").addresses, (std::vector<std::string>{"10.0.1.4", "10.0.1.6"}));
  EXPECT_EQ(s.members.at("sg-alb").marks, std::vector<uint32_t>{model::LoadBalancerMark(lb_arn)});

  EXPECT_TRUE(ResolveNodeSecurity("i-c", tasks, groups, lbs).empty());  // no ENIs there
}

// An interface endpoint's interfaces are members of its groups: a task's egress rule naming
// the endpoint's group admits its connections to the endpoint's addresses.
TEST(ResolveNodeSecurityTest, InterfaceEndpointsAreMembersOfTheirGroups) {
  std::vector<json::object> tasks = {Task("i-a", "10.0.1.5", {"sg-web"})};
  std::vector<json::object> groups = {Group("sg-web", "sg-vpce")};
  std::vector<json::object> endpoints = {
      json::parse(R"({"VpcEndpointType": "Interface", "Groups": [{"GroupId": "sg-vpce"}],
                      "_wharf": {"addresses": {"subnet-a": "10.0.1.9", "subnet-b": "10.0.2.9"}}})").as_object(),
      json::parse(R"({"VpcEndpointType": "Interface", "Groups": [{"GroupId": "sg-unnamed"}],
                      "_wharf": {"addresses": {"subnet-a": "10.0.1.10"}}})").as_object()};
  model::NodeSecurity s = ResolveNodeSecurity("i-a", tasks, groups, {}, endpoints);
  ASSERT_EQ(s.members.size(), 1u);
  EXPECT_EQ(s.members.at("sg-vpce").addresses, (std::vector<std::string>{"10.0.1.9", "10.0.2.9"}));
}

// The data plane marks a target group's connections with the mark of the load balancer that
// forwards to it: the same mark the nodes admit for that load balancer's groups.
TEST(ResolveNodeSecurityTest, TargetsCarryTheirLoadBalancersMark) {
  store::MemoryStore store;
  SystemClock clock;
  std::string lb_arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/alb/1";
  std::string tg_arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/2";
  auto put = [&](const std::string& key, const std::string& value) {
    ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(key, value)}}).ok());
  };
  put(model::keys::LoadBalancerKey("alb"), R"({"loadBalancer": {"LoadBalancerArn": ")" + lb_arn + R"("}, "attributes": {}})");
  put(model::keys::ListenerKey("alb", "l1"), R"({"listener": {"ListenerArn": "arn:l1", "LoadBalancerArn": ")" + lb_arn +
                                                 R"(", "Port": 8080, "DefaultActions": [{"Type": "forward", "TargetGroupArn": ")" +
                                                 tg_arn + R"("}]}})");
  put(model::keys::TargetGroupKey("web"), R"({"targetGroup": {"TargetGroupArn": ")" + tg_arn +
                                              R"(", "TargetGroupName": "web", "Port": 8080, "TargetType": "ip"},
                                              "attributes": {}, "targets": [{"Id": "10.0.1.5", "Port": 8080}]})");
  auto config = BuildLbConfig(store, clock, {});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const lb::TargetGroup& tg = (*config)->target_groups.at(tg_arn);
  ASSERT_EQ(tg.targets.size(), 1u);
  EXPECT_EQ(tg.targets[0].socket_mark, model::LoadBalancerMark(lb_arn));
}

}  // namespace
}  // namespace wharf::controlplane
