#include "metrics/composite_rule.h"

#include <gtest/gtest.h>

#include <map>

namespace wharf::metrics {
namespace {

bool Eval(std::string_view text, const std::map<std::string, std::string>& states) {
  auto rule = CompositeRule::Parse(text);
  EXPECT_TRUE(rule.ok()) << text << ": " << rule.status().ToString();
  if (!rule.ok()) return false;
  return rule->Evaluate([&](const std::string& name) -> std::optional<std::string> {
    auto it = states.find(name);
    if (it == states.end()) return std::nullopt;
    return it->second;
  });
}

TEST(CompositeRule, PrecedenceIsNotThenAndThenOr) {
  std::map<std::string, std::string> s{{"a", "ALARM"}, {"b", "OK"}, {"c", "INSUFFICIENT_DATA"}};
  EXPECT_TRUE(Eval("ALARM(a) OR ALARM(b) AND ALARM(c)", s));
  EXPECT_FALSE(Eval("(ALARM(a) OR ALARM(b)) AND ALARM(c)", s));
  EXPECT_TRUE(Eval("NOT ALARM(b) AND INSUFFICIENT_DATA(c)", s));
  EXPECT_FALSE(Eval("NOT (ALARM(a) OR OK(b))", s));
  EXPECT_TRUE(Eval("TRUE", s));
  EXPECT_FALSE(Eval("FALSE OR NOT TRUE", s));
}

TEST(CompositeRule, NamesAreBareQuotedOrArns) {
  auto rule = CompositeRule::Parse(
      "ALARM(\"my alarm\") AND OK(arn:aws:cloudwatch:us-east-1:123456789012:alarm:db-high) OR ALARM( plain )");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(rule->alarms(), (std::set<std::string>{"my alarm", "db-high", "plain"}));
  EXPECT_TRUE(Eval("ALARM(\"my alarm\")", {{"my alarm", "ALARM"}}));
  EXPECT_FALSE(Eval("ALARM(missing)", {}));  // an alarm that does not exist is in no state
  EXPECT_TRUE(Eval("NOT OK(missing)", {}));
}

TEST(CompositeRule, RefusesWhatIsNotTheLanguage) {
  for (std::string_view bad : {"", "ALARM()", "ALARM(a", "alarm(a)", "ALARM(a) AND", "ALARM(a) XOR OK(b)",
                               "(ALARM(a)", "ALARM(a))", "WARN(a)", "ALARM(\"a)", "NOT", "ALARM(arn:aws:sns:x)"}) {
    EXPECT_FALSE(CompositeRule::Parse(bad).ok()) << bad;
  }
  std::string deep(200, '(');
  deep += "TRUE" + std::string(200, ')');
  auto refused = CompositeRule::Parse(deep);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("nested too deeply"), std::string::npos);
  EXPECT_FALSE(CompositeRule::Parse(std::string(kMaxRuleLength + 1, ' ')).ok());
}

}  // namespace
}  // namespace wharf::metrics
