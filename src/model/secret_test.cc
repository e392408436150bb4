// Secrets Manager's staging labels and the stored secret record.
#include "model/secret.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

using Stages = std::vector<std::string>;

SecretVersion V(std::string id) {
  SecretVersion v;
  v.id = std::move(id);
  v.ciphertext = "c-" + v.id;
  return v;
}

Stages StagesOf(const Secret& s, std::string_view id) { return s.FindVersion(id)->stages; }

TEST(SecretStages, NewCurrentLeavesPreviousOnTheOldOne) {
  Secret s;
  AddVersion(s, V("v1"), {});
  EXPECT_EQ(StagesOf(s, "v1"), Stages{"AWSCURRENT"});
  AddVersion(s, V("v2"), {});
  EXPECT_EQ(StagesOf(s, "v1"), Stages{"AWSPREVIOUS"});
  EXPECT_EQ(StagesOf(s, "v2"), Stages{"AWSCURRENT"});
  AddVersion(s, V("v3"), {});
  EXPECT_TRUE(StagesOf(s, "v1").empty());  // deprecated
  EXPECT_EQ(StagesOf(s, "v2"), Stages{"AWSPREVIOUS"});
  EXPECT_EQ(s.FindStage("AWSCURRENT")->id, "v3");
}

TEST(SecretStages, CustomLabelsMoveWithoutTouchingCurrent) {
  Secret s;
  AddVersion(s, V("v1"), {});
  AddVersion(s, V("v2"), {"AWSPENDING"});
  EXPECT_EQ(StagesOf(s, "v1"), Stages{"AWSCURRENT"});
  EXPECT_EQ(StagesOf(s, "v2"), Stages{"AWSPENDING"});
  AddVersion(s, V("v3"), {"AWSPENDING"});
  EXPECT_TRUE(StagesOf(s, "v2").empty());
  EXPECT_EQ(StagesOf(s, "v3"), Stages{"AWSPENDING"});
}

TEST(SecretStages, MoveStageNeedsTheCurrentHolderNamed) {
  Secret s;
  AddVersion(s, V("v1"), {});
  AddVersion(s, V("v2"), {"AWSPENDING"});
  Status refused = MoveStage(s, "AWSCURRENT", "v2", "");
  EXPECT_TRUE(refused.IsInvalidArgument());
  EXPECT_NE(refused.message().find("currently attached to version v1"), std::string::npos);
  ASSERT_TRUE(MoveStage(s, "AWSCURRENT", "v2", "v1").ok());
  EXPECT_EQ(StagesOf(s, "v2"), (Stages{"AWSPENDING", "AWSCURRENT"}));
  EXPECT_EQ(StagesOf(s, "v1"), Stages{"AWSPREVIOUS"});
  EXPECT_TRUE(MoveStage(s, "AWSCURRENT", "", "v2").IsInvalidArgument());  // cannot be removed
  EXPECT_TRUE(MoveStage(s, "AWSPENDING", "", "v1").IsInvalidArgument());  // not there
  ASSERT_TRUE(MoveStage(s, "AWSPENDING", "", "v2").ok());
  EXPECT_EQ(StagesOf(s, "v2"), Stages{"AWSCURRENT"});
  EXPECT_TRUE(MoveStage(s, "X", "nope", "").IsNotFound());
}

TEST(SecretStages, OldestDeprecatedVersionsAreDroppedBeyondTheLimit) {
  Secret s;
  for (size_t i = 0; i < kMaxSecretVersions + 5; ++i) AddVersion(s, V("v" + std::to_string(i)), {});
  EXPECT_EQ(s.versions.size(), kMaxSecretVersions);
  EXPECT_EQ(s.versions.front().id, "v5");
  EXPECT_EQ(s.FindStage("AWSCURRENT")->id, "v104");
}

TEST(SecretRecord, RoundTripsThroughJson) {
  Secret s;
  s.arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
  s.name = "db";
  s.description = "the database";
  s.created = 10;
  s.last_changed = 20;
  s.deleted = 30;
  s.deletion_date = 40;
  s.tags.push_back(boost::json::object{{"Key", "team"}, {"Value", "blue"}});
  SecretVersion v = V("v1");
  v.binary = true;
  v.kms_key_arn = "arn:aws:kms:us-east-1:000000000000:key/k";
  AddVersion(s, v, {});
  auto back = Secret::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arn, s.arn);
  EXPECT_EQ(back->description, "the database");
  EXPECT_EQ(*back->deleted, 30);
  EXPECT_TRUE(back->Gone(40));
  EXPECT_FALSE(back->Gone(39));
  EXPECT_EQ(back->tags.size(), 1u);
  ASSERT_EQ(back->versions.size(), 1u);
  EXPECT_TRUE(back->versions[0].binary);
  EXPECT_EQ(back->versions[0].ciphertext, "c-v1");
  EXPECT_EQ(back->versions[0].stages, Stages{"AWSCURRENT"});
  EXPECT_FALSE(Secret::FromJson(boost::json::object{}).ok());
}

}  // namespace
}  // namespace wharf::model
