#include "registry/lifecycle.h"

#include <gtest/gtest.h>

#include <ostream>

namespace wharf::registry {

// Readable failures for EXPECT_EQ on expiry lists.
void PrintTo(const Expiry& e, std::ostream* os) {
  *os << "{" << e.digest << " by rule " << e.rule_priority << "}";
}

namespace {

constexpr int64_t kHourMs = 60 * 60 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kNow = 1'700'000'000'000;  // simulated "now"

LifecycleImage Pushed(std::string digest, std::vector<std::string> tags, int64_t ago_ms) {
  return {std::move(digest), std::move(tags), kNow - ago_ms};
}

std::vector<Expiry> Apply(std::string_view policy_text, const std::vector<LifecycleImage>& images) {
  auto policy = ParseLifecyclePolicy(policy_text);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  if (!policy.ok()) return {};
  return EvaluateLifecyclePolicy(*policy, images, kNow);
}

// The policy of the seed project (shared/seeds/000): "keep the image deployed with the tag
// latest and keep only the last 2 images", in the form the seed's description names.
constexpr std::string_view kSeedPolicy = R"({
  "rules": [
    {
      "rulePriority": 1,
      "description": "Keep image deployed with tag latest",
      "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["latest"],
        "countType": "imageCountMoreThan",
        "countNumber": 1
      },
      "action": {
        "type": "expire"
      }
    },
    {
      "rulePriority": 2,
      "description": "Keep last 2 any images",
      "selection": {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 2
      },
      "action": {
        "type": "expire"
      }
    }
  ]
})";

TEST(LifecycleSeed, ParsesIntoItsRules) {
  auto policy = ParseLifecyclePolicy(kSeedPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  ASSERT_EQ(policy->rules.size(), 2u);
  const LifecycleRule& latest = policy->rules[0];
  EXPECT_EQ(latest.priority, 1);
  EXPECT_EQ(latest.description, "Keep image deployed with tag latest");
  EXPECT_EQ(latest.tag_status, LifecycleRule::TagStatus::kTagged);
  EXPECT_EQ(latest.tag_prefixes, std::vector<std::string>{"latest"});
  EXPECT_TRUE(latest.tag_patterns.empty());
  EXPECT_EQ(latest.count_type, LifecycleRule::CountType::kImageCountMoreThan);
  EXPECT_EQ(latest.count_number, 1);
  EXPECT_EQ(policy->rules[1].tag_status, LifecycleRule::TagStatus::kAny);
  EXPECT_EQ(policy->rules[1].count_number, 2);
}

TEST(LifecycleSeed, FourPushesLeaveTheLatestAndThePreviousImage) {
  // Four CI pushes; `latest` moved with each push and now sits on the newest.
  std::vector<LifecycleImage> repo = {
      Pushed("sha256:v1", {"v1"}, 4 * kHourMs),
      Pushed("sha256:v2", {"v2"}, 3 * kHourMs),
      Pushed("sha256:v3", {"v3"}, 2 * kHourMs),
      Pushed("sha256:v4", {"v4", "latest"}, 1 * kHourMs),
  };
  std::vector<Expiry> want = {{"sha256:v1", 2}, {"sha256:v2", 2}};
  EXPECT_EQ(Apply(kSeedPolicy, repo), want);
}

TEST(LifecycleSeed, AnOldLatestSurvivesNextToTheLastTwo) {
  // `latest` still names the deployed first push: rule 1 identifies it, so rule 2 cannot
  // expire it even though it is past the last two.
  std::vector<LifecycleImage> repo = {
      Pushed("sha256:v1", {"v1", "latest"}, 4 * kHourMs),
      Pushed("sha256:v2", {"v2"}, 3 * kHourMs),
      Pushed("sha256:v3", {"v3"}, 2 * kHourMs),
      Pushed("sha256:v4", {"v4"}, 1 * kHourMs),
  };
  std::vector<Expiry> want = {{"sha256:v2", 2}};
  EXPECT_EQ(Apply(kSeedPolicy, repo), want);
}

// "Examples of lifecycle policies in Amazon ECR", each with the documented outcome.

TEST(LifecycleDocs, FilteringOnImageAgeWithATagPattern) {
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1,
      "description": "Expire images older than 14 days",
      "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"],
                    "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("old-prod", {"prod-1"}, 20 * kDayMs),
      Pushed("new-prod", {"prod-2"}, 10 * kDayMs),
      Pushed("old-dev", {"dev-1"}, 30 * kDayMs),
      Pushed("old-untagged", {}, 30 * kDayMs),
  };
  std::vector<Expiry> want = {{"old-prod", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleDocs, FilteringOnImageAgeOfUntaggedImages) {
  // The earlier edition of the same example.
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1,
      "description": "Expire images older than 14 days",
      "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                    "countUnit": "days", "countNumber": 14},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("old", {}, 15 * kDayMs),
      Pushed("young", {}, 13 * kDayMs),
      Pushed("old-tagged", {"v1"}, 30 * kDayMs),
  };
  std::vector<Expiry> want = {{"old", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleDocs, FilteringOnImageCount) {
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1,
      "description": "Keep only one untagged image, expire all others",
      "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("u1", {}, 3 * kDayMs),
      Pushed("u2", {}, 2 * kDayMs),
      Pushed("u3", {}, 1 * kDayMs),
      Pushed("t1", {"v1"}, 4 * kDayMs),
  };
  std::vector<Expiry> want = {{"u1", 1}, {"u2", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

std::vector<LifecycleImage> BetaProdRepository() {
  return {
      Pushed("A", {"beta-1", "prod-1"}, 10 * kDayMs),
      Pushed("B", {"beta-2", "prod-2"}, 9 * kDayMs),
      Pushed("C", {"beta-3"}, 8 * kDayMs),
  };
}

std::string TwoCountRules(std::string_view list, std::string_view first, std::string_view second) {
  auto rule = [&](int priority, std::string_view value) {
    return R"({"rulePriority": )" + std::to_string(priority) + R"(, "description": "Rule )" +
           std::to_string(priority) + R"(", "selection": {"tagStatus": "tagged", ")" +
           std::string(list) + R"(": [")" + std::string(value) +
           R"("], "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}})";
  };
  return R"({"rules": [)" + rule(1, first) + ", " + rule(2, second) + "]}";
}

TEST(LifecycleDocs, MultipleRulesExampleA) {
  // Rule 2 would mark A and B, but A is Rule 1's and B was identified by Rule 1.
  std::vector<Expiry> want = {{"A", 1}};
  EXPECT_EQ(Apply(TwoCountRules("tagPrefixList", "prod", "beta"), BetaProdRepository()), want);
  // The current edition writes the same example with tag patterns.
  EXPECT_EQ(Apply(TwoCountRules("tagPatternList", "prod*", "beta*"), BetaProdRepository()), want);
}

TEST(LifecycleDocs, MultipleRulesExampleB) {
  // Rule 1 sees all three images and marks A and B; Rule 2 sees none left to mark.
  std::vector<Expiry> want = {{"A", 1}, {"B", 1}};
  EXPECT_EQ(Apply(TwoCountRules("tagPrefixList", "beta", "prod"), BetaProdRepository()), want);
  EXPECT_EQ(Apply(TwoCountRules("tagPatternList", "beta*", "prod*"), BetaProdRepository()), want);
}

TEST(LifecycleDocs, MultipleTagsInASingleRuleExampleA) {
  // Images must match all listed prefixes: only C and F do, and only C is over five days.
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1, "description": "Rule 1",
      "selection": {"tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"],
                    "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days"},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("A", {"alpha-1"}, 12 * kDayMs),
      Pushed("B", {"beta-1"}, 11 * kDayMs),
      Pushed("C", {"alpha-2", "beta-2"}, 10 * kDayMs),
      Pushed("D", {"alpha-3"}, 4 * kDayMs),
      Pushed("E", {"beta-3"}, 3 * kDayMs),
      Pushed("F", {"alpha-4", "beta-4"}, 2 * kDayMs),
  };
  std::vector<Expiry> want = {{"C", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleDocs, MultipleTagsInASingleRuleExampleB) {
  // Tags are not exclusive: an extra gamma tag does not stop a match.
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1, "description": "Rule 1",
      "selection": {"tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"],
                    "countType": "imageCountMoreThan", "countNumber": 1},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("A", {"alpha-1", "beta-1", "gamma-1"}, 10 * kDayMs),
      Pushed("B", {"alpha-2", "beta-2"}, 9 * kDayMs),
      Pushed("C", {"alpha-3", "beta-3", "gamma-2"}, 8 * kDayMs),
  };
  std::vector<Expiry> want = {{"A", 1}, {"B", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleDocs, AllImagesExampleA) {
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1, "description": "Rule 1",
      "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("A", {"alpha-1"}, 4 * kDayMs),
      Pushed("B", {"beta-1"}, 3 * kDayMs),
      Pushed("C", {}, 2 * kDayMs),
      Pushed("D", {"alpha-2"}, 1 * kDayMs),
  };
  std::vector<Expiry> want = {{"A", 1}, {"B", 1}, {"C", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleDocs, AllImagesExampleBCombinesEveryRuleType) {
  constexpr std::string_view policy = R"({"rules": [
      {"rulePriority": 1, "description": "Rule 1",
       "selection": {"tagStatus": "tagged", "tagPrefixList": ["alpha"],
                     "countType": "imageCountMoreThan", "countNumber": 1},
       "action": {"type": "expire"}},
      {"rulePriority": 2, "description": "Rule 2",
       "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                     "countUnit": "days", "countNumber": 1},
       "action": {"type": "expire"}},
      {"rulePriority": 3, "description": "Rule 3",
       "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
       "action": {"type": "expire"}}]})";
  // D and E were both pushed "1 day ago"; the documented outcome (Rule 3 keeps E and
  // expires D) needs E to be the newer, and E under a day old so Rule 2 leaves it.
  std::vector<LifecycleImage> repo = {
      Pushed("A", {"alpha-1", "beta-1"}, 4 * kDayMs),
      Pushed("B", {}, 3 * kDayMs),
      Pushed("C", {"alpha-2"}, 2 * kDayMs),
      Pushed("D", {"git hash"}, 24 * kHourMs),
      Pushed("E", {}, 23 * kHourMs),
  };
  std::vector<Expiry> want = {{"A", 1}, {"B", 2}, {"D", 3}};
  EXPECT_EQ(Apply(policy, repo), want);
}

// Behaviour the examples imply but do not show.

TEST(LifecycleEvaluate, SinceImagePushedExpiresOnlyPastTheFullAge) {
  constexpr std::string_view policy = R"({"rules": [{"rulePriority": 1,
      "selection": {"tagStatus": "any", "countType": "sinceImagePushed",
                    "countUnit": "days", "countNumber": 2},
      "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("exactly-two-days", {}, 2 * kDayMs),
      Pushed("a-moment-older", {"x"}, 2 * kDayMs + 1),
      Pushed("from-the-future", {}, -kDayMs),
  };
  std::vector<Expiry> want = {{"a-moment-older", 1}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleEvaluate, RulesApplyInPriorityOrderWhateverTheirTextOrder) {
  // Written backwards: the untagged rule (priority 1) still claims its images first.
  constexpr std::string_view policy = R"({"rules": [
      {"rulePriority": 9, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                         "countNumber": 1}, "action": {"type": "expire"}},
      {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                         "countNumber": 5}, "action": {"type": "expire"}}]})";
  std::vector<LifecycleImage> repo = {
      Pushed("u-old", {}, 3 * kDayMs),
      Pushed("t-old", {"v1"}, 2 * kDayMs),
      Pushed("t-new", {"v2"}, 1 * kDayMs),
  };
  std::vector<Expiry> want = {{"t-old", 9}};
  EXPECT_EQ(Apply(policy, repo), want);
}

TEST(LifecycleEvaluate, AnEmptyRepositoryExpiresNothing) {
  EXPECT_TRUE(Apply(kSeedPolicy, {}).empty());
}

TEST(LifecycleEvaluate, TagPatternsMatchWholeTags) {
  EXPECT_TRUE(TagMatchesPattern("prod", "prod*"));
  EXPECT_TRUE(TagMatchesPattern("prod1", "prod*"));
  EXPECT_FALSE(TagMatchesPattern("preprod", "prod*"));
  EXPECT_TRUE(TagMatchesPattern("latest", "latest"));
  EXPECT_FALSE(TagMatchesPattern("latest-1", "latest"));
  EXPECT_TRUE(TagMatchesPattern("anything", "*"));
  EXPECT_TRUE(TagMatchesPattern("my-test-1-2-3", "*test*1*2*3"));
  EXPECT_TRUE(TagMatchesPattern("test-1-2-3-rc", "test*1*2*3*"));
  EXPECT_FALSE(TagMatchesPattern("test-1-3-2", "test*1*2*3"));
  EXPECT_TRUE(TagMatchesPattern("aaab", "*a*b"));
}

// Validation: the message is ECR's whole InvalidParameterException text.

std::string Failure(std::string_view detail) {
  return "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
         "'Lifecycle policy validation failure: " +
         std::string(detail) + "'";
}

std::string Refusal(std::string_view text) {
  auto policy = ParseLifecyclePolicy(text);
  if (policy.ok()) return "accepted";
  EXPECT_TRUE(policy.status().IsInvalidArgument()) << policy.status().ToString();
  return policy.status().message();
}

// A one-rule policy around the given selection and action.
std::string OneRule(std::string_view selection, std::string_view action = R"({"type": "expire"})") {
  return R"({"rules": [{"rulePriority": 1, "selection": )" + std::string(selection) +
         R"(, "action": )" + std::string(action) + "}]}";
}

constexpr std::string_view kKeepOne = R"("countType": "imageCountMoreThan", "countNumber": 1)";

std::string Selection(std::string_view fields) {
  return "{" + std::string(fields) + ", " + std::string(kKeepOne) + "}";
}

TEST(LifecycleValidation, RefusesTextThatIsNotAPolicyObject) {
  EXPECT_EQ(Refusal("not json"), Failure("Could not map policyString into LifecyclePolicy."));
  EXPECT_EQ(Refusal(R"([{"rulePriority": 1}])"),
            Failure("Could not map policyString into LifecyclePolicy."));
  EXPECT_EQ(Refusal(R"({"no_rules": "test"})"),
            Failure(R"(object has missing required properties (["rules"]))"));
  EXPECT_EQ(Refusal(R"({"rules": {"rulePriority": 1}})"),
            Failure(R"(object has missing required properties (["rules"]))"));
  EXPECT_EQ(
      Refusal(R"({"rules": []})"),
      Failure("array is too short: must have at least 1 elements but instance has 0 elements"));
  EXPECT_EQ(
      Refusal(R"({"rules": ["not_dict"]})"),
      Failure(
          R"(instance type (string) does not match any allowed primitive type (allowed: ["object"]))"));
}

TEST(LifecycleValidation, RefusesMissingAndUnknownRuleMembers) {
  EXPECT_EQ(Refusal(R"({"rules": [{"selection": {}, "action": {}}]})"),
            Failure(R"(object has missing required properties (["rulePriority"]))"));
  EXPECT_EQ(Refusal(R"({"rules": [{"rulePriority": 1}]})"),
            Failure(R"(object has missing required properties (["action","selection"]))"));
  EXPECT_EQ(
      Refusal(R"({"rules": [{"rulePriority": 1, "selection": )" +
              Selection(R"("tagStatus": "any")") +
              R"(, "action": {"type": "expire"}, "unknown": 123}]})"),
      Failure(
          R"(object instance has properties which are not allowed by the schema: (["unknown"]))"));
  EXPECT_EQ(
      Refusal(OneRule(Selection(R"("tagStatus": "any", "extra": 1)"))),
      Failure(
          R"(object instance has properties which are not allowed by the schema: (["extra"]))"));
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "any"})")),
            Failure(R"(object has missing required properties (["countNumber","countType"]))"));
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "any")"), "{}")),
            Failure(R"(object has missing required properties (["type"]))"));
}

TEST(LifecycleValidation, RefusesValuesOutsideTheSchema) {
  EXPECT_EQ(
      Refusal(OneRule(Selection(R"("tagStatus": "unknown")"))),
      Failure(
          R"(instance value (unknown) not found in enum :(possible values: ["any","tagged","untagged"]))"));
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "any")"), R"({"type": "keep"})")),
            Failure(R"(instance value (keep) not found in enum :(possible values: ["expire"]))"));
  EXPECT_EQ(Refusal(OneRule(
                R"({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0})")),
            Failure("numeric instance is lower than the required minimum (minimum: 1, found: 0)"));
  EXPECT_EQ(Refusal(OneRule(
                R"({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": -1})")),
            Failure("numeric instance is lower than the required minimum (minimum: 1, found: -1)"));
  EXPECT_EQ(
      Refusal(OneRule(
          R"({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": "3"})")),
      Failure(
          R"(instance type (string) does not match any allowed primitive type (allowed: ["integer"]))"));
  EXPECT_EQ(Refusal(R"({"rules": [{"rulePriority": 0, "selection": )" +
                    Selection(R"("tagStatus": "any")") + R"(, "action": {"type": "expire"}}]})"),
            Failure("numeric instance is lower than the required minimum (minimum: 1, found: 0)"));
}

TEST(LifecycleValidation, CountUnitGoesWithSinceImagePushedOnly) {
  constexpr std::string_view kNoSchema =
      "instance failed to match exactly one schema (matched 0 out of 2)";
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "any", "countType": "unknown", "countNumber": 30})")),
            Failure(kNoSchema));
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                "countUnit": "days", "countNumber": 5})")),
            Failure(kNoSchema));
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "untagged", "countType": "sinceImagePushed",
                                "countNumber": 5})")),
            Failure(kNoSchema));
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                "countUnit": null, "countNumber": 5})")),
            Failure(kNoSchema));
  EXPECT_EQ(Refusal(OneRule(R"({"tagStatus": "untagged", "countType": "sinceImagePushed",
                                "countUnit": "hours", "countNumber": 5})")),
            Failure(R"(instance value (hours) not found in enum :(possible values: ["days"]))"));
}

TEST(LifecycleValidation, TagListsBelongToTaggedRulesOnly) {
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "tagged")"))),
            Failure("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."));
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "tagged", "tagPrefixList": [])"))),
            Failure("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."));
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "tagged", "tagPrefixList": ["v"],
                                          "tagPatternList": ["v*"])"))),
            Failure("Cannot specify both tagPrefixList and tagPatternList in the same rule."));
  EXPECT_EQ(
      Refusal(OneRule(Selection(R"("tagStatus": "any", "tagPrefixList": ["v"])"))),
      Failure("tagPrefixList and tagPatternList can only be specified when tagStatus=TAGGED."));
  EXPECT_EQ(
      Refusal(OneRule(Selection(R"("tagStatus": "untagged", "tagPatternList": [])"))),
      Failure("tagPrefixList and tagPatternList can only be specified when tagStatus=TAGGED."));
  EXPECT_EQ(
      Refusal(OneRule(Selection(R"("tagStatus": "tagged", "tagPrefixList": ["v", 1])"))),
      Failure(
          R"(instance type (integer) does not match any allowed primitive type (allowed: ["string"]))"));
}

TEST(LifecycleValidation, APatternHasAtMostFourWildcards) {
  // The documented valid and invalid lists.
  EXPECT_EQ(Refusal(OneRule(Selection(R"("tagStatus": "tagged",
                                          "tagPatternList": ["*test*1*2*3", "test*1*2*3*"])"))),
            "accepted");
  EXPECT_EQ(Refusal(OneRule(
                Selection(R"("tagStatus": "tagged", "tagPatternList": ["test*1*2*3*4*5*6"])"))),
            Failure("tagPatternList entry 'test*1*2*3*4*5*6' has more than 4 wildcards (*)."));
}

std::string Rules(std::initializer_list<std::pair<int, std::string_view>> rules) {
  std::string out = R"({"rules": [)";
  for (const auto& [priority, status] : rules) {
    if (out.back() != '[') out += ", ";
    out += R"({"rulePriority": )" + std::to_string(priority) + R"(, "selection": {"tagStatus": ")" +
           std::string(status) + "\"" + (status == "tagged" ? R"(, "tagPrefixList": ["v"])" : "") +
           ", " + std::string(kKeepOne) + R"(}, "action": {"type": "expire"}})";
  }
  return out + "]}";
}

TEST(LifecycleValidation, RulesTogether) {
  EXPECT_EQ(Refusal(Rules({{1, "tagged"}, {5, "untagged"}, {9, "any"}})), "accepted");
  EXPECT_EQ(Refusal(Rules({{1, "untagged"}, {2, "untagged"}})),
            Failure("Only one rule can select Untagged images per storage class."));
  EXPECT_EQ(Refusal(Rules({{1, "any"}, {2, "untagged"}})),
            Failure("Rule for tagStatus=ANY must have the lowest priority per storage class"));
  EXPECT_EQ(Refusal(Rules({{1, "any"}, {2, "any"}})),
            Failure("Rule for tagStatus=ANY must have the lowest priority per storage class"));
  EXPECT_EQ(Refusal(Rules({{3, "tagged"}, {3, "untagged"}})),
            Failure("Rule priorities must be unique; rulePriority 3 is used more than once."));
}

}  // namespace
}  // namespace wharf::registry
