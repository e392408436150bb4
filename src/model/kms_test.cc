// The KMS key state machine.
#include "model/kms.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

KmsKey Key(std::string_view state, std::string_view manager = "CUSTOMER") {
  boost::json::object metadata{{"KeyId", "k1"},
                               {"Arn", "arn:aws:kms:us-east-1:000000000000:key/k1"},
                               {"KeyState", state},
                               {"Enabled", state == "Enabled"},
                               {"KeyManager", manager}};
  return KmsKey::FromRecord(boost::json::object{{"KeyMetadata", metadata}}, 1).value();
}

TEST(KmsKeyState, OnlyAnEnabledKeyEncryptsAndDecrypts) {
  EXPECT_FALSE(CheckUsable(Key("Enabled")));
  auto disabled = CheckUsable(Key("Disabled"));
  ASSERT_TRUE(disabled);
  EXPECT_EQ(disabled->kind, KmsRefusal::Kind::kDisabled);
  EXPECT_EQ(disabled->message, "arn:aws:kms:us-east-1:000000000000:key/k1 is disabled.");
  auto pending = CheckUsable(Key("PendingDeletion"));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->kind, KmsRefusal::Kind::kInvalidState);
  EXPECT_EQ(pending->message, "arn:aws:kms:us-east-1:000000000000:key/k1 is pending deletion.");
}

TEST(KmsKeyState, EnableAndDisableAreRefusedWhilePendingDeletion) {
  EXPECT_FALSE(CheckEnable(Key("Disabled")));
  EXPECT_FALSE(CheckDisable(Key("Enabled")));
  EXPECT_FALSE(CheckEnable(Key("Enabled")));  // already so: no error, as AWS
  EXPECT_EQ(CheckEnable(Key("PendingDeletion"))->kind, KmsRefusal::Kind::kInvalidState);
  EXPECT_EQ(CheckDisable(Key("PendingDeletion"))->kind, KmsRefusal::Kind::kInvalidState);
}

TEST(KmsKeyState, DeletionWindowIsSevenToThirtyDaysAndCancelLeavesItDisabled) {
  KmsKey key = Key("Enabled");
  EXPECT_EQ(CheckScheduleDeletion(key, 6)->kind, KmsRefusal::Kind::kInvalidArgument);
  EXPECT_EQ(CheckScheduleDeletion(key, 31)->kind, KmsRefusal::Kind::kInvalidArgument);
  EXPECT_EQ(CheckCancelDeletion(key)->message, "arn:aws:kms:us-east-1:000000000000:key/k1 is not pending deletion.");
  ASSERT_FALSE(CheckScheduleDeletion(key, 7));
  ScheduleDeletion(key, 7, 1000.0);
  EXPECT_EQ(key.state(), KeyState::kPendingDeletion);
  EXPECT_FALSE(key.metadata().at("Enabled").as_bool());
  EXPECT_DOUBLE_EQ(*key.deletion_date(), 1000.0 + 7 * 86400.0);
  EXPECT_FALSE(key.Deleted(1000.0 + 7 * 86400.0 - 1));
  EXPECT_TRUE(key.Deleted(1000.0 + 7 * 86400.0));
  EXPECT_EQ(CheckScheduleDeletion(key, 7)->kind, KmsRefusal::Kind::kInvalidState);
  ASSERT_FALSE(CheckCancelDeletion(key));
  CancelDeletion(key);
  EXPECT_EQ(key.state(), KeyState::kDisabled);
  EXPECT_FALSE(key.deletion_date());
  EXPECT_FALSE(key.metadata().contains("DeletionDate"));
  EXPECT_FALSE(key.metadata().contains("PendingDeletionWindowInDays"));
}

TEST(KmsKeyState, AwsManagedKeysAreNotChangedByUsers) {
  EXPECT_FALSE(CheckCustomerManaged(Key("Enabled"), "DisableKey"));
  auto refused = CheckCustomerManaged(Key("Enabled", "AWS"), "DisableKey");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, KmsRefusal::Kind::kUnsupported);
}

TEST(KmsKeyState, MaterialVersionsAreTheMaterialList) {
  KmsKey key = Key("Enabled");
  EXPECT_EQ(key.current_version(), 0u);
  EXPECT_EQ(key.wrapped_material(0), "");
  key.record["Material"] = boost::json::array{"v0", "v1"};
  EXPECT_EQ(key.current_version(), 1u);
  EXPECT_EQ(key.wrapped_material(0), "v0");
  EXPECT_EQ(key.wrapped_material(2), "");
}

}  // namespace
}  // namespace wharf::model
