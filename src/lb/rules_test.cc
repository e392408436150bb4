#include "lb/rules.h"

#include <gtest/gtest.h>

namespace wharf::lb {
namespace {

TEST(LbRules, WildcardsAsAlbDefinesThem) {
  EXPECT_TRUE(WildcardMatch("/api/*", "/api/users/1", false));
  EXPECT_FALSE(WildcardMatch("/api/*", "/API/users", false));
  EXPECT_TRUE(WildcardMatch("*.example.com", "WWW.Example.com", true));
  EXPECT_TRUE(WildcardMatch("/img/?.png", "/img/a.png", false));
  EXPECT_FALSE(WildcardMatch("/img/?.png", "/img/ab.png", false));
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_FALSE(WildcardMatch("/a", "/ab", false));
}

Listener TwoServices() {
  Listener l;
  Rule users;
  users.priority = 10;
  users.conditions.push_back({"path-pattern", {"/users*", "/accounts/*"}, "", {}});
  Action forward;
  forward.type = "forward";
  users.actions.push_back(forward);
  Rule orders;
  orders.priority = 20;
  orders.conditions.push_back({"path-pattern", {"/orders*"}, "", {}});
  orders.conditions.push_back({"http-request-method", {"GET", "POST"}, "", {}});
  Rule fallback;
  fallback.is_default = true;
  l.rules = {users, orders, fallback};
  return l;
}

TEST(LbRules, FirstMatchingRuleInPriorityOrderElseDefault) {
  Listener l = TwoServices();
  RequestFacts r{"GET", "shop", "/users/7", "", {}, "127.0.0.1"};
  EXPECT_EQ(MatchRule(l, r)->priority, 10);
  r.path = "/orders/1";
  EXPECT_EQ(MatchRule(l, r)->priority, 20);
  r.method = "DELETE";  // both conditions must hold
  EXPECT_TRUE(MatchRule(l, r)->is_default);
}

TEST(LbRules, HeaderQueryAndSourceIp) {
  Condition header{"http-header", {"*Mobile*"}, "User-Agent", {}};
  RequestFacts r{"GET", "h", "/", "lang=en&beta=yes", {{"user-agent", "Foo Mobile Safari"}}, "10.1.2.3"};
  EXPECT_TRUE(ConditionHolds(header, r));
  Condition query{"query-string", {}, "", {{"beta", "y*"}}};
  EXPECT_TRUE(ConditionHolds(query, r));
  Condition any_key{"query-string", {}, "", {{"", "en"}}};
  EXPECT_TRUE(ConditionHolds(any_key, r));
  Condition ip{"source-ip", {"10.0.0.0/8"}, "", {}};
  EXPECT_TRUE(ConditionHolds(ip, r));
  r.source_ip = "192.168.1.1";
  EXPECT_FALSE(ConditionHolds(ip, r));
}

TEST(LbRules, RedirectPlaceholders) {
  EXPECT_EQ(ExpandRedirect("https://#{host}:443/new/#{path}?#{query}", "http", "example.com", "80", "/old/a", "x=1"),
            "https://example.com:443/new/old/a?x=1");
}

}  // namespace
}  // namespace wharf::lb
