// ParsePolicy against the messages IAM answers with MalformedPolicyDocument, per kind.
#include "iam/policy.h"

#include <gtest/gtest.h>

#include <string>

#include "iam/strict_json.h"

namespace wharf::iam {
namespace {

std::string ErrorOf(std::string_view doc, ParseOptions options = {}) {
  Result<Policy> p = ParsePolicy(doc, options);
  if (p.ok()) return "OK";
  EXPECT_TRUE(p.status().IsInvalidArgument());
  return p.status().message();
}

constexpr ParseOptions kTrust{PolicyKind::kTrust, false};
constexpr ParseOptions kResource{PolicyKind::kResource, false};
constexpr ParseOptions kManaged{PolicyKind::kIdentity, true};

constexpr char kSyntax[] = "Syntax errors in policy.";

TEST(PolicyParseTest, AcceptsAwsManagedPolicies) {
  // AmazonECSTaskExecutionRolePolicy, as AWS publishes it.
  Result<Policy> p = ParsePolicy(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Effect": "Allow",
      "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                 "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                 "logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "*"
    }]})", kManaged);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->statements.size(), 1u);
  const Statement& s = p->statements[0];
  EXPECT_TRUE(s.allow);
  ASSERT_EQ(s.actions.size(), 6u);
  EXPECT_EQ(s.actions[0].vendor, "ecr");
  EXPECT_EQ(s.actions[0].name.source, "getauthorizationtoken");  // compiled lowercased
  EXPECT_TRUE(s.resources[0].any);
}

TEST(PolicyParseTest, StatementMayBeOneObjectAndVersionMayBeOld) {
  Result<Policy> p = ParsePolicy(R"({"Version":"2008-10-17","Id":"x","Statement":
      {"Sid":"A1","Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->variables_enabled());
  EXPECT_TRUE(p->statements[0].not_action);
  EXPECT_TRUE(p->statements[0].not_resource);
  EXPECT_FALSE(p->statements[0].allow);
  EXPECT_EQ(p->id, "x");
}

TEST(PolicyParseTest, EcsTasksTrustPolicy) {
  Result<Policy> p = ParsePolicy(R"({"Version":"2012-10-17","Statement":[{"Sid":"",
      "Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]})",
                                 kTrust);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->statements[0].principals.service, std::vector<std::string>{"ecs-tasks.amazonaws.com"});
  EXPECT_FALSE(p->statements[0].has_resource);
}

TEST(PolicyParseTest, AccountIdPrincipalBecomesRootArn) {
  Result<Policy> p = ParsePolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/ci"]},"Action":"sts:AssumeRole"}]})",
                                 kTrust);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->statements[0].principals.aws,
            (std::vector<std::string>{"arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/ci"}));
}

TEST(PolicyParseTest, SyntaxErrors) {
  EXPECT_EQ(ErrorOf("not json"), kSyntax);
  EXPECT_EQ(ErrorOf(""), kSyntax);
  EXPECT_EQ(ErrorOf("[]"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17"})"), kSyntax);                    // no Statement
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":[]})"), kSyntax);     // empty
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Foo":1})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Permit","Action":"s3:*","Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Action":"s3:*","Resource":"*"}})"), kSyntax);  // no Effect
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":7,"Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":["s3:*",null],"Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*","Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Sid":1}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"StringEquals":{"aws:username":{"a":"b"}}}}})"), kSyntax);
  // Duplicate keys, at any level.
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}})"), kSyntax);
  // Trailing bytes.
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} x)"), kSyntax);
}

TEST(PolicyParseTest, UnknownConditionOperatorIsASyntaxError) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"StringEqualz":{"aws:username":"a"}}}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"NullIfExists":{"aws:username":"true"}}}})"), kSyntax);
  // IAM lets an unknown operator with nothing under it through.
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"StringEqualz":{}}}})"), "OK");
}

TEST(PolicyParseTest, HostileInputIsRefusedNotCrashed) {
  // Deep nesting inside a condition value.
  std::string deep = R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}}}}";
  EXPECT_EQ(ErrorOf(deep), kSyntax);
  // Huge input.
  std::string huge = R"({"Statement":{"Effect":"Allow","Resource":"*","Action":[)";
  for (int i = 0; i < 20000; ++i) huge += R"("s3:GetObject",)";
  huge += R"("s3:PutObject"]}})";
  EXPECT_EQ(ErrorOf(huge), kSyntax);
  // Invalid UTF-8: a raw byte, an overlong sequence, a surrogate, lone escapes.
  EXPECT_EQ(ErrorOf("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:\xff\",\"Resource\":\"*\"}}"), kSyntax);
  EXPECT_EQ(ErrorOf("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:\xc0\xaf\",\"Resource\":\"*\"}}"), kSyntax);
  EXPECT_EQ(ErrorOf("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:\xed\xa0\x80\",\"Resource\":\"*\"}}"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:\ud800","Resource":"*"}})"), kSyntax);
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:\udc00x","Resource":"*"}})"), kSyntax);
  // Valid non-ASCII is fine.
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/\u00e9t\ud83d\ude00/*"}})"), "OK");
  EXPECT_EQ(ErrorOf("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/\xc3\xa9\"}}"), "OK");
  // Many keys in one object (duplicate detection stays n log n).
  std::string keys = R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{)";
  for (int i = 0; i < 5000; ++i) keys += "\"k:" + std::to_string(i) + "\":\"v\",";
  keys += R"("k:0":"v"}}}})";
  EXPECT_EQ(ErrorOf(keys), kSyntax);
}

TEST(PolicyParseTest, IdentityPolicyMustNotNamePrincipal) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},
      "Action":"sts:AssumeRole","Resource":"*"}})"), "Policy document should not specify a principal.");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":"*",
      "Action":"s3:*","Resource":"*"}})"), "Policy document should not specify a principal.");
}

TEST(PolicyParseTest, TrustPolicyRules) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},
      "Action":"sts:AssumeRole","Resource":"*"}})", kTrust), "Has prohibited field Resource");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}})", kTrust),
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy "
            "has a statement with no principals!");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"amazonaws.com"},
      "Action":"sts:AssumeRole"}})", kTrust), "Invalid principal in policy: \"SERVICE\":\"amazonaws.com\"");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12345:role/x"},
      "Action":"sts:AssumeRole"}})", kTrust), "Invalid principal in policy: \"AWS\":\"arn:aws:iam::12345:role/x\"");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},
      "Action":"sts:AssumeRole"}})", kTrust), "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/*\"");
  // An unknown principal type is outside the grammar.
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"service":"ec2.amazonaws.com"},
      "Action":"sts:AssumeRole"}})", kTrust), kSyntax);
}

TEST(PolicyParseTest, ResourcePolicyNeedsPrincipal) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:BatchGetImage",
      "Resource":"*"}})", kResource), "Missing required field Principal");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage",
      "Resource":"*"}})", kResource), "OK");
}

TEST(PolicyParseTest, ManagedPoliciesNeedCurrentVersion) {
  const char* doc = R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})";
  EXPECT_EQ(ErrorOf(doc, kManaged), "Policy document must be version 2012-10-17 or greater.");
  EXPECT_EQ(ErrorOf(doc), "OK");  // an inline policy may omit it
}

TEST(PolicyParseTest, LegacyParsing) {
  // Effect is checked without case for syntax, then exactly.
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}})"),
            "The policy failed legacy parsing");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-13-01T00:00:00Z"}}}})"),
            "The policy failed legacy parsing");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::b"}})"),
            "The policy failed legacy parsing");
}

TEST(PolicyParseTest, StatementIds) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
      {"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]})"),
            "Statement IDs (SID) in a single policy must be unique.");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Sid":"my sid","Effect":"Allow","Action":"s3:*","Resource":"*"}})"),
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
            "expression [0-9A-Za-z]*");
  // Resource policies (bucket policies, repository policies) take any Sid.
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Sid":"allow pull","Effect":"Allow","Principal":"*",
      "Action":"ecr:BatchGetImage","Resource":"*"}})", kResource), "OK");
}

TEST(PolicyParseTest, ActionsAndResourcesRequired) {
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}})"),
            "Policy statement must contain actions.");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}})"),
            "Policy statement must contain actions.");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}})"),
            "Policy statement must contain resources.");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":[]}})"),
            "Policy statement must contain resources.");
}

TEST(PolicyParseTest, ResourceFormats) {
  auto with = [](std::string r) {
    return ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":")" + r + "\"}}");
  };
  EXPECT_EQ(with("vpc-123"), "Resource vpc-123 must be in ARN format or \"*\".");
  EXPECT_EQ(with("arn:aws1:s3:::b"), "Partition \"aws1\" is not valid for resource \"arn:aws1:s3:::b\".");
  EXPECT_EQ(with("arn:aws:iam:us-east-1:123456789012:user/x"),
            "IAM resource arn:aws:iam:us-east-1:123456789012:user/x cannot contain region information.");
  EXPECT_EQ(with("arn:aws:s3:us-east-1::b"), "Resource arn:aws:s3:us-east-1::b can not contain region information.");
  EXPECT_TRUE(with("arn:aws:iam::123456789012:thing/x")
                  .starts_with("IAM resource path must either be \"*\" or start with user/, federated-user/, role/"));
  EXPECT_EQ(with("arn:aws:ecs:us-east-1:123456789012:cluster/*"), "OK");
}

TEST(PolicyParseTest, ActionVendors) {
  auto with = [](std::string a) {
    return ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*","Action":")" + a + "\"}}");
  };
  EXPECT_EQ(with("CreateCluster"), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  EXPECT_EQ(with("ec2:ec2:CreateNetworkInterface"), "Actions/Condition can contain only one colon.");
  EXPECT_EQ(with("ec$:Describe*"), "Vendor ec$ is not valid");
  EXPECT_EQ(with("*"), "OK");
  EXPECT_EQ(with("*:*"), "OK");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*","Action":"s3:*",
      "Condition":{"StringEquals":{"username":"a"}}}})"),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
}

TEST(PolicyParseTest, ConditionValuesCompiled) {
  Result<Policy> p = ParsePolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
      "Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*",true,10]},
                   "NumericLessThan":{"s3:max-keys":10},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},
                   "DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const auto& c = p->statements[0].conditions;
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].set, SetOperator::kForAnyValue);
  EXPECT_TRUE(c[0].if_exists);
  EXPECT_EQ(c[0].key, "aws:tagkeys");
  EXPECT_EQ(c[0].values[1].text, "true");
  EXPECT_EQ(c[0].values[2].text, "10");
  EXPECT_EQ(c[1].values[0].number, 10.0);
  ASSERT_TRUE(c[2].values[0].cidr.has_value());
  EXPECT_EQ(c[2].values[0].cidr->prefix, 24);
  EXPECT_EQ(c[3].values[0].epoch_ms, int64_t{1767225600} * 1000);
}

TEST(PolicyParseTest, SizeCountsWithoutWhitespace) {
  EXPECT_EQ(PolicySize("{ \"a\" :\n\t\"b\" }"), 9u);
  EXPECT_EQ(PolicySize("\"\xc3\xa9\""), 3u);  // characters, not bytes
  EXPECT_EQ(PolicySizeError(PolicyQuota::kManaged), "Cannot exceed quota for PolicySize: 6144");
  EXPECT_EQ(PolicySizeError(PolicyQuota::kTrust), "Cannot exceed quota for ACLSizePerRole: 2048");
  EXPECT_EQ(PolicySizeError(PolicyQuota::kRoleInline, "app"),
            "Maximum policy size of 10240 bytes exceeded for role app");
  EXPECT_EQ(PolicySizeError(PolicyQuota::kUserInline, "ci"),
            "Maximum policy size of 2048 bytes exceeded for user ci");
  EXPECT_EQ(PolicySizeError(PolicyQuota::kGroupInline, "dev"),
            "Maximum policy size of 5120 bytes exceeded for group dev");
}

TEST(IamStrictJsonTest, Values) {
  auto v = ParseStrictJson(R"( {"a":[1,-2.5e3,true,false,null,"x\n\u0041"],"b":{}} )");
  ASSERT_TRUE(v.has_value());
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 6u);
  EXPECT_EQ(a->items[1].text, "-2.5e3");
  EXPECT_EQ(a->items[5].text, "x\nA");
  EXPECT_FALSE(ParseStrictJson("01").has_value());
  EXPECT_FALSE(ParseStrictJson("[1,]").has_value());
  EXPECT_FALSE(ParseStrictJson("{\"a\":1,}").has_value());
  EXPECT_FALSE(ParseStrictJson("\"tab\there\"").has_value());
}

}  // namespace
}  // namespace wharf::iam
