// The load balancer, listener, rule and repository records' typed views.
#include "model/listener.h"

#include <gtest/gtest.h>

#include "model/repository.h"

namespace wharf::model {
namespace {

namespace json = boost::json;

TEST(ListenerRecordTest, ReadsListenersRulesAndLoadBalancers) {
  json::object lb{{"loadBalancer", json::object{{"LoadBalancerArn", "arn:lb"}}},
                  {"attributes", json::object{{"idle_timeout.timeout_seconds", "15"}}}};
  EXPECT_EQ(LoadBalancerRecord(lb).arn(), "arn:lb");
  EXPECT_EQ(LoadBalancerRecord(lb).idle_timeout_seconds(), 15);
  json::object bare{{"loadBalancer", json::object{}}};
  EXPECT_EQ(LoadBalancerRecord(bare).idle_timeout_seconds(), 60);

  json::object listener{{"listener", json::object{{"ListenerArn", "arn:l"}, {"LoadBalancerArn", "arn:lb"},
                                                  {"Port", 8080},
                                                  {"DefaultActions", json::array{json::object{{"Type", "forward"}}}}}},
                        {"defaultRuleArn", "arn:default"}};
  ListenerRecord l(listener);
  EXPECT_EQ(l.port(), 8080);
  EXPECT_EQ(l.protocol(), "HTTP");
  EXPECT_EQ(l.default_actions().size(), 1u);
  EXPECT_EQ(l.default_rule_arn(), "arn:default");

  json::object rule{{"rule", json::object{{"RuleArn", "arn:r"}, {"Priority", "7"}, {"Conditions", json::array{1}}}},
                    {"listenerArn", "arn:l"}};
  RuleRecord r(rule);
  EXPECT_EQ(r.priority(), 7);
  EXPECT_EQ(r.listener_arn(), "arn:l");
  EXPECT_EQ(r.conditions().size(), 1u);
  EXPECT_TRUE(r.actions().empty());
}

TEST(RepositoryRecordTest, ReadsMutabilityAndItsExclusions) {
  json::object record{
      {"repository",
       json::object{{"repositoryName", "app"},
                    {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
                    {"imageTagMutabilityExclusionFilters",
                     json::array{json::object{{"filterType", "WILDCARD"}, {"filter", "latest*"}}}}}},
      {"policyText", "{}"}};
  RepositoryRecord repo(record);
  EXPECT_EQ(repo.name(), "app");
  EXPECT_EQ(repo.tag_mutability(), "IMMUTABLE_WITH_EXCLUSION");
  EXPECT_EQ(repo.tag_mutability_exclusions(), std::vector<std::string>{"latest*"});
  EXPECT_EQ(repo.policy_text(), "{}");
  json::object bare{{"repository", json::object{}}};
  EXPECT_EQ(RepositoryRecord(bare).tag_mutability(), "MUTABLE");
}

}  // namespace
}  // namespace wharf::model
