// valueFrom as ECS reads it, and a JSON secret's key as the ECS agent puts it in the environment.
#include "model/container_secret.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

constexpr std::string_view kSecret = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:db-AbCdEf";

TEST(SecretSourceTest, SecretArnAlone) {
  auto s = ParseSecretSource(kSecret, "us-east-1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->kind, SecretSource::Kind::kSecretsManager);
  EXPECT_EQ(s->region, "eu-west-1");
  EXPECT_EQ(s->id, kSecret);
  EXPECT_EQ(s->json_key, "");
  EXPECT_EQ(s->version_stage, "");
  EXPECT_EQ(s->version_id, "");
}

TEST(SecretSourceTest, SecretArnWithJsonKeyStageAndVersion) {
  auto s = ParseSecretSource(std::string(kSecret) + ":password::", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->id, kSecret);
  EXPECT_EQ(s->json_key, "password");
  EXPECT_EQ(s->version_stage, "");
  EXPECT_EQ(s->version_id, "");

  s = ParseSecretSource(std::string(kSecret) + "::AWSPREVIOUS:", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->json_key, "");
  EXPECT_EQ(s->version_stage, "AWSPREVIOUS");

  s = ParseSecretSource(std::string(kSecret) + ":user::0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->json_key, "user");
  EXPECT_EQ(s->version_id, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
}

TEST(SecretSourceTest, SecretArnWithTheWrongNumberOfFieldsIsRefusedInTheAgentsWords) {
  for (std::string bad : {std::string(kSecret) + ":password", std::string(kSecret) + ":password:",
                          std::string(kSecret) + ":a:b:c:d", std::string("arn:aws:secretsmanager:eu-west-1:0:db")}) {
    auto s = ParseSecretSource(bad, "us-east-1");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().message(),
              "unable to retrieve secret from asm: trying to retrieve secret with value " + bad +
                  " resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. "
                  "Specify a valid ARN and try again.");
  }
}

TEST(SecretSourceTest, ParameterNamesAreTheTasksRegionsAndArnsTheirOwn) {
  auto s = ParseSecretSource("/prod/db/password", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SecretSource::Kind::kParameter);
  EXPECT_EQ(s->region, "us-east-1");
  EXPECT_EQ(s->id, "/prod/db/password");

  s = ParseSecretSource("plain", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->id, "plain");

  s = ParseSecretSource("arn:aws:ssm:ap-south-1:000000000000:parameter/prod/db/password", "us-east-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SecretSource::Kind::kParameter);
  EXPECT_EQ(s->region, "ap-south-1");
  EXPECT_EQ(s->id, "arn:aws:ssm:ap-south-1:000000000000:parameter/prod/db/password");
}

TEST(SecretJsonValueTest, StringsAsTheyAre) {
  auto v = SecretJsonValue(R"({"username":"app","password":"p@ss: w\"rd"})", "password");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "p@ss: w\"rd");
}

TEST(SecretJsonValueTest, OtherValuesAsGoPrintsThem) {
  const char* doc = R"({"port":5432,"big":12345678,"ratio":0.5,"tiny":0.00001,"neg":-3,"on":true,"none":null,
                        "list":[1,"a",false],"nested":{"b":2,"a":"x"},"huge":1e21})";
  EXPECT_EQ(*SecretJsonValue(doc, "port"), "5432");
  EXPECT_EQ(*SecretJsonValue(doc, "big"), "1.2345678e+07");  // encoding/json makes every number a float64
  EXPECT_EQ(*SecretJsonValue(doc, "ratio"), "0.5");
  EXPECT_EQ(*SecretJsonValue(doc, "tiny"), "1e-05");
  EXPECT_EQ(*SecretJsonValue(doc, "neg"), "-3");
  EXPECT_EQ(*SecretJsonValue(doc, "on"), "true");
  EXPECT_EQ(*SecretJsonValue(doc, "none"), "<nil>");
  EXPECT_EQ(*SecretJsonValue(doc, "list"), "[1 a false]");
  EXPECT_EQ(*SecretJsonValue(doc, "nested"), "map[a:x b:2]");
  EXPECT_EQ(*SecretJsonValue(doc, "huge"), "1e+21");
}

TEST(SecretJsonValueTest, AMissingKeyOrAValueThatIsNotJsonIsRefused) {
  auto v = SecretJsonValue(R"({"username":"app"})", "connectionString");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "unable to retrieve secret from asm: retrieved secret from Secrets Manager did not "
                                  "contain json key connectionString");
  EXPECT_FALSE(SecretJsonValue("hunter2", "password").ok());
  EXPECT_FALSE(SecretJsonValue("[1,2]", "password").ok());
}

}  // namespace
}  // namespace wharf::model
