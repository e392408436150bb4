// What a password policy asks of a password, and the policy IAM answers.
#include "model/password_policy.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

TEST(PasswordPolicyTest, TheDefaultAsksEightCharactersOfThreeKinds) {
  PasswordPolicy p;
  EXPECT_EQ(PasswordViolation(p, "Ab1!"), "Password should have a minimum length of 8");
  EXPECT_TRUE(PasswordViolation(p, "alllowercase").has_value());
  EXPECT_TRUE(PasswordViolation(p, "lower-only").has_value());  // lowercase and a symbol: two kinds
  EXPECT_FALSE(PasswordViolation(p, "lower-and-1").has_value());
  EXPECT_FALSE(PasswordViolation(p, "Upper-lower").has_value());
}

TEST(PasswordPolicyTest, AnAccountsPolicyIsCheckedRuleByRule) {
  PasswordPolicy p = ParsePasswordPolicy(boost::json::object{{"MinimumPasswordLength", 10},
                                                             {"RequireSymbols", true},
                                                             {"RequireUppercaseCharacters", true}});
  const std::string refused = "Password does not conform to the account password policy.";
  EXPECT_EQ(PasswordViolation(p, "Short-1"), refused);
  EXPECT_EQ(PasswordViolation(p, "nouppercase-here"), refused);
  EXPECT_EQ(PasswordViolation(p, "NoSymbolsHereAtAll"), refused);
  EXPECT_FALSE(PasswordViolation(p, "Has-Both-Things").has_value());
  // Only the listed symbols count as symbols.
  EXPECT_EQ(PasswordViolation(p, "Tilde~Only~Here"), refused);
}

TEST(PasswordPolicyTest, TheShapeHasIamsDefaultsAndLeavesOutWhatWasNotSet) {
  boost::json::object shape = PasswordPolicyShape(ParsePasswordPolicy({}));
  EXPECT_EQ(shape.at("MinimumPasswordLength").as_int64(), 6);
  EXPECT_FALSE(shape.at("ExpirePasswords").as_bool());
  EXPECT_FALSE(shape.contains("MaxPasswordAge"));
  EXPECT_FALSE(shape.contains("PasswordReusePrevention"));
  shape = PasswordPolicyShape(ParsePasswordPolicy({{"MaxPasswordAge", 90}, {"HardExpiry", true}}));
  EXPECT_TRUE(shape.at("ExpirePasswords").as_bool());
  EXPECT_EQ(shape.at("MaxPasswordAge").as_int64(), 90);
  EXPECT_TRUE(shape.at("HardExpiry").as_bool());
}

}  // namespace
}  // namespace wharf::model
