// KMS and Secrets Manager handlers on a MemoryStore: encryption with context, key states,
// aliases and AWS managed keys, and secrets sealed so the store never holds a value.
#include "api/kms/kms.h"

#include <gtest/gtest.h>

#include "api/secretsmanager/secretsmanager.h"
#include "base/crypto.h"
#include "kms/aes_gcm.h"
#include "model/json.h"
#include "store/memory_store.h"

namespace wharf::api::kms {
namespace {

namespace json = boost::json;

class KmsTest : public ::testing::Test {
 protected:
  KmsTest() {
    kms_ = std::make_unique<KmsDeps>(
        KmsDeps{store_, clock_, random_, "us-east-1", "000000000000", root_key_});
    secrets_deps_ = std::make_unique<secretsmanager::SecretsDeps>(
        secretsmanager::SecretsDeps{store_, clock_, random_, "us-east-1", "000000000000", *kms_});
    kms_endpoint_ = MakeKmsEndpoint(*kms_).value();
    secrets_endpoint_ = secretsmanager::MakeSecretsManagerEndpoint(*secrets_deps_).value();
  }

  Outcome Call(ServiceEndpoint& e, const std::string& op, json::object in) {
    return e.operations.at(op)(RequestContext{}, in);
  }
  json::object Kms(const std::string& op, json::object in) {
    Outcome out = Call(kms_endpoint_, op, std::move(in));
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }
  AwsError KmsFails(const std::string& op, json::object in) {
    Outcome out = Call(kms_endpoint_, op, std::move(in));
    EXPECT_FALSE(out.ok()) << op;
    return out.ok() ? AwsError{} : out.error();
  }
  json::object Sm(const std::string& op, json::object in) {
    Outcome out = Call(secrets_endpoint_, op, std::move(in));
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }
  AwsError SmFails(const std::string& op, json::object in) {
    Outcome out = Call(secrets_endpoint_, op, std::move(in));
    EXPECT_FALSE(out.ok()) << op;
    return out.ok() ? AwsError{} : out.error();
  }
  std::string NewKey() { return GetString(GetObject(Kms("CreateKey", {}), "KeyMetadata"), "KeyId"); }

  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
  SecureRandom random_;
  wharf::kms::RootKey root_key_{wharf::kms::RandomBytes(random_, 32)};
  std::unique_ptr<KmsDeps> kms_;
  std::unique_ptr<secretsmanager::SecretsDeps> secrets_deps_;
  ServiceEndpoint kms_endpoint_;
  ServiceEndpoint secrets_endpoint_;
};

TEST_F(KmsTest, EncryptDecryptWithContextAndNoKeyId) {
  std::string key = NewKey();
  json::object enc = Kms("Encrypt", {{"KeyId", key},
                                     {"Plaintext", Base64Encode("hello")},
                                     {"EncryptionContext", json::object{{"app", "web"}}}});
  EXPECT_EQ(GetString(enc, "KeyId"), "arn:aws:kms:us-east-1:000000000000:key/" + key);
  std::string blob = GetString(enc, "CiphertextBlob");
  json::object dec = Kms("Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", json::object{{"app", "web"}}}});
  EXPECT_EQ(Base64Decode(GetString(dec, "Plaintext")), "hello");
  EXPECT_EQ(KmsFails("Decrypt", {{"CiphertextBlob", blob}}).code, "InvalidCiphertextException");
  EXPECT_EQ(KmsFails("Decrypt", {{"CiphertextBlob", Base64Encode("garbage")}}).code, "InvalidCiphertextException");
  std::string other = NewKey();
  EXPECT_EQ(KmsFails("Decrypt", {{"CiphertextBlob", blob},
                                 {"KeyId", other},
                                 {"EncryptionContext", json::object{{"app", "web"}}}})
                .code,
            "IncorrectKeyException");
  json::object re = Kms("ReEncrypt", {{"CiphertextBlob", blob},
                                      {"SourceEncryptionContext", json::object{{"app", "web"}}},
                                      {"DestinationKeyId", other}});
  json::object dec2 = Kms("Decrypt", {{"CiphertextBlob", GetString(re, "CiphertextBlob")}});
  EXPECT_EQ(Base64Decode(GetString(dec2, "Plaintext")), "hello");
  EXPECT_EQ(GetString(dec2, "KeyId"), "arn:aws:kms:us-east-1:000000000000:key/" + other);
}

TEST_F(KmsTest, OnDemandRotationKeepsOldCiphertextsReadable) {
  std::string key = NewKey();
  std::string old_blob = GetString(Kms("Encrypt", {{"KeyId", key}, {"Plaintext", Base64Encode("v0")}}), "CiphertextBlob");
  Kms("RotateKeyOnDemand", {{"KeyId", key}});
  std::string new_blob = GetString(Kms("Encrypt", {{"KeyId", key}, {"Plaintext", Base64Encode("v1")}}), "CiphertextBlob");
  auto version_of = [](const std::string& b64) {
    std::string bytes = *Base64Decode(b64);
    return static_cast<unsigned char>(bytes[5 + 36 + 3]);
  };
  EXPECT_EQ(version_of(old_blob), 0);
  EXPECT_EQ(version_of(new_blob), 1);
  EXPECT_EQ(Base64Decode(GetString(Kms("Decrypt", {{"CiphertextBlob", old_blob}}), "Plaintext")), "v0");
  EXPECT_EQ(Base64Decode(GetString(Kms("Decrypt", {{"CiphertextBlob", new_blob}}), "Plaintext")), "v1");
  json::object rotations = Kms("ListKeyRotations", {{"KeyId", key}});
  ASSERT_EQ(GetArray(rotations, "Rotations").size(), 1u);
  EXPECT_EQ(GetString(GetArray(rotations, "Rotations")[0].as_object(), "RotationType"), "ON_DEMAND");
}

TEST_F(KmsTest, AutomaticRotationMakesNewMaterialOnScheduleAndKeepsOldCiphertextsReadable) {
  std::string key = NewKey();
  auto version_of = [](const std::string& b64) {
    std::string bytes = *Base64Decode(b64);
    return static_cast<unsigned char>(bytes[5 + 36 + 3]);
  };
  auto encrypt = [&](const std::string& text) {
    return GetString(Kms("Encrypt", {{"KeyId", key}, {"Plaintext", Base64Encode(text)}}), "CiphertextBlob");
  };
  const double enabled_at = 1'700'000'000 + 86400.0;
  clock_.Advance(std::chrono::hours(24));
  Kms("EnableKeyRotation", {{"KeyId", key}, {"RotationPeriodInDays", 90}});
  json::object status = Kms("GetKeyRotationStatus", {{"KeyId", key}});
  EXPECT_TRUE(GetBool(status, "KeyRotationEnabled").value_or(false));
  EXPECT_EQ(GetInt(status, "RotationPeriodInDays").value_or(0), 90);
  EXPECT_DOUBLE_EQ(status.at("NextRotationDate").to_number<double>(), enabled_at + 90 * 86400.0);
  std::string v0 = encrypt("before");
  EXPECT_EQ(version_of(v0), 0);

  // An on-demand rotation leaves the schedule alone; 91 days on, the automatic one is made.
  clock_.Advance(std::chrono::hours(24 * 10));
  Kms("RotateKeyOnDemand", {{"KeyId", key}});
  EXPECT_DOUBLE_EQ(Kms("GetKeyRotationStatus", {{"KeyId", key}}).at("NextRotationDate").to_number<double>(),
                   enabled_at + 90 * 86400.0);
  clock_.Advance(std::chrono::hours(24 * 81));
  std::string v2 = encrypt("after");
  EXPECT_EQ(version_of(v2), 2);
  EXPECT_EQ(Base64Decode(GetString(Kms("Decrypt", {{"CiphertextBlob", v0}}), "Plaintext")), "before");
  EXPECT_EQ(Base64Decode(GetString(Kms("Decrypt", {{"CiphertextBlob", v2}}), "Plaintext")), "after");
  EXPECT_DOUBLE_EQ(Kms("GetKeyRotationStatus", {{"KeyId", key}}).at("NextRotationDate").to_number<double>(),
                   enabled_at + 180 * 86400.0);

  json::array rotations = GetArray(Kms("ListKeyRotations", {{"KeyId", key}}), "Rotations");
  ASSERT_EQ(rotations.size(), 2u);
  EXPECT_EQ(GetString(rotations[0].as_object(), "RotationType"), "ON_DEMAND");
  EXPECT_EQ(GetString(rotations[1].as_object(), "RotationType"), "AUTOMATIC");
  EXPECT_DOUBLE_EQ(rotations[1].as_object().at("RotationDate").to_number<double>(), enabled_at + 90 * 86400.0);
  EXPECT_EQ(GetString(rotations[1].as_object(), "KeyMaterialState"), "CURRENT");
  EXPECT_EQ(GetString(rotations[0].as_object(), "KeyMaterialState"), "NON_CURRENT");
  EXPECT_EQ(GetString(rotations[1].as_object(), "KeyMaterialId").size(), 64u);
  EXPECT_EQ(GetString(GetObject(Kms("DescribeKey", {{"KeyId", key}}), "KeyMetadata"), "CurrentKeyMaterialId"),
            GetString(rotations[1].as_object(), "KeyMaterialId"));
  json::array all = GetArray(Kms("ListKeyRotations", {{"KeyId", key}, {"IncludeKeyMaterial", "ALL_KEY_MATERIAL"}}),
                             "Rotations");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0].as_object().contains("RotationType"));  // the first material

  // A disabled key does not rotate; nor does one whose rotation is off.
  Kms("DisableKey", {{"KeyId", key}});
  clock_.Advance(std::chrono::hours(24 * 100));
  Kms("EnableKey", {{"KeyId", key}});
  Kms("DisableKeyRotation", {{"KeyId", key}});
  clock_.Advance(std::chrono::hours(24 * 400));
  EXPECT_EQ(version_of(encrypt("off")), 2);
  EXPECT_EQ(KmsFails("DisableKeyRotation", {{"KeyId", key}, {"RotationPeriodInDays", 90}}).code, "ValidationException");
}

TEST_F(KmsTest, PolicyLockoutSafetyCheck) {
  RequestContext ctx;
  ctx.account_id = "000000000000";
  ctx.principal_arn = "arn:aws:iam::000000000000:root";
  auto root = std::make_shared<KeyOwner>();
  root->root = true;
  ctx.key_owner = root;
  auto call = [&](const std::string& op, json::object in) { return kms_endpoint_.operations.at(op)(ctx, in); };
  const std::string only_a_role =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/app"},)"
      R"("Action":"kms:*","Resource":"*"}]})";
  const std::string the_account =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},)"
      R"("Action":"kms:*","Resource":"*"}]})";
  Outcome refused = call("CreateKey", {{"Policy", only_a_role}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "MalformedPolicyDocumentException");
  EXPECT_NE(refused.error().message.find("will not allow you to update the key policy"), std::string::npos);
  Outcome made = call("CreateKey", {{"Policy", the_account}});
  ASSERT_TRUE(made.ok());
  std::string key = GetString(GetObject(made.output(), "KeyMetadata"), "KeyId");
  Outcome put = call("PutKeyPolicy", {{"KeyId", key}, {"PolicyName", "default"}, {"Policy", only_a_role}});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "MalformedPolicyDocumentException");
  EXPECT_TRUE(call("PutKeyPolicy", {{"KeyId", key}, {"PolicyName", "default"}, {"Policy", only_a_role},
                                    {"BypassPolicyLockoutSafetyCheck", true}}).ok());
  EXPECT_TRUE(call("CreateKey", {{"Policy", only_a_role}, {"BypassPolicyLockoutSafetyCheck", true}}).ok());
}

TEST_F(KmsTest, OnDemandRotationsAreLimitedTo25) {
  std::string key = NewKey();
  for (int i = 0; i < 25; ++i) Kms("RotateKeyOnDemand", {{"KeyId", key}});
  EXPECT_EQ(KmsFails("RotateKeyOnDemand", {{"KeyId", key}}).code, "LimitExceededException");
  json::object page = Kms("ListKeyRotations", {{"KeyId", key}, {"Limit", 10}});
  EXPECT_EQ(GetArray(page, "Rotations").size(), 10u);
  EXPECT_TRUE(GetBool(page, "Truncated").value_or(false));
}

TEST_F(KmsTest, DisabledAndPendingDeletionKeysRefuse) {
  std::string key = NewKey();
  std::string blob = GetString(Kms("Encrypt", {{"KeyId", key}, {"Plaintext", Base64Encode("x")}}), "CiphertextBlob");
  Kms("DisableKey", {{"KeyId", key}});
  AwsError err = KmsFails("Decrypt", {{"CiphertextBlob", blob}});
  EXPECT_EQ(err.code, "DisabledException");
  EXPECT_EQ(err.message, "arn:aws:kms:us-east-1:000000000000:key/" + key + " is disabled.");
  Kms("EnableKey", {{"KeyId", key}});
  Kms("Decrypt", {{"CiphertextBlob", blob}});
  json::object scheduled = Kms("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(GetString(scheduled, "KeyState"), "PendingDeletion");
  EXPECT_EQ(KmsFails("Encrypt", {{"KeyId", key}, {"Plaintext", Base64Encode("x")}}).code, "KMSInvalidStateException");
  EXPECT_EQ(KmsFails("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 3}}).code, "ValidationException");
  Kms("CancelKeyDeletion", {{"KeyId", key}});
  EXPECT_EQ(GetString(GetObject(Kms("DescribeKey", {{"KeyId", key}}), "KeyMetadata"), "KeyState"), "Disabled");
  Kms("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 7}});
  clock_.Advance(std::chrono::hours(24 * 7));
  EXPECT_EQ(KmsFails("DescribeKey", {{"KeyId", key}}).code, "NotFoundException");
  EXPECT_EQ(GetArray(Kms("ListKeys", {}), "Keys").size(), 0u);
}

TEST_F(KmsTest, AliasesAndManagedKeys) {
  std::string key = NewKey();
  Kms("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key}});
  EXPECT_EQ(KmsFails("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key}}).code, "AlreadyExistsException");
  EXPECT_EQ(GetString(GetObject(Kms("DescribeKey", {{"KeyId", "alias/app"}}), "KeyMetadata"), "KeyId"), key);
  EXPECT_EQ(KmsFails("DescribeKey", {{"KeyId", "alias/none"}}).message,
            "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.");
  json::object managed = GetObject(Kms("DescribeKey", {{"KeyId", "alias/aws/secretsmanager"}}), "KeyMetadata");
  EXPECT_EQ(GetString(managed, "KeyManager"), "AWS");
  EXPECT_EQ(GetString(GetObject(Kms("DescribeKey", {{"KeyId", "alias/aws/secretsmanager"}}), "KeyMetadata"), "KeyId"),
            GetString(managed, "KeyId"));
  EXPECT_EQ(KmsFails("DisableKey", {{"KeyId", "alias/aws/secretsmanager"}}).code, "UnsupportedOperationException");
  EXPECT_EQ(GetArray(Kms("ListAliases", {}), "Aliases").size(), 2u);
  Kms("DeleteAlias", {{"AliasName", "alias/app"}});
  EXPECT_EQ(KmsFails("DeleteAlias", {{"AliasName", "alias/app"}}).code, "NotFoundException");
}

TEST_F(KmsTest, UnsupportedKeySpecsAndDataKeys) {
  EXPECT_EQ(KmsFails("CreateKey", {{"KeySpec", "RSA_2048"}, {"KeyUsage", "ENCRYPT_DECRYPT"}}).code,
            "UnsupportedOperationException");
  EXPECT_EQ(KmsFails("CreateKey", {{"KeySpec", "ECC_NIST_P256"}}).code, "ValidationException");
  EXPECT_EQ(KmsFails("CreateKey", {{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "KEY_AGREEMENT"}}).code,
            "UnsupportedOperationException");
  std::string key = NewKey();
  json::object dk = Kms("GenerateDataKey", {{"KeyId", key}, {"KeySpec", "AES_256"}});
  EXPECT_EQ(Base64Decode(GetString(dk, "Plaintext"))->size(), 32u);
  json::object dec = Kms("Decrypt", {{"CiphertextBlob", GetString(dk, "CiphertextBlob")}});
  EXPECT_EQ(GetString(dec, "Plaintext"), GetString(dk, "Plaintext"));
  EXPECT_EQ(KmsFails("GenerateDataKey", {{"KeyId", key}}).code, "ValidationException");
  EXPECT_EQ(Base64Decode(GetString(Kms("GenerateRandom", {{"NumberOfBytes", 17}}), "Plaintext"))->size(), 17u);
}

TEST_F(KmsTest, SecretValuesAreSealedInTheStore) {
  json::object made = Sm("CreateSecret", {{"Name", "prod/db"}, {"SecretString", "hunter2-very-secret"}});
  std::string arn = GetString(made, "ARN");
  EXPECT_TRUE(arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-"));
  EXPECT_EQ(arn.size(), std::string("arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-").size() + 6);
  auto page = store_.List("", "", 0).value();
  for (const auto& kv : page.items) EXPECT_EQ(kv.value.find("hunter2"), std::string::npos) << kv.key;
  EXPECT_EQ(GetString(Sm("GetSecretValue", {{"SecretId", arn}}), "SecretString"), "hunter2-very-secret");
  EXPECT_EQ(GetString(Sm("GetSecretValue", {{"SecretId", "prod/db"}}), "SecretString"), "hunter2-very-secret");
  Sm("PutSecretValue", {{"SecretId", "prod/db"}, {"SecretString", "v2"}, {"ClientRequestToken", "tok-2-000000000000000000000000000000"}});
  EXPECT_EQ(GetString(Sm("GetSecretValue", {{"SecretId", "prod/db"}}), "SecretString"), "v2");
  EXPECT_EQ(GetString(Sm("GetSecretValue", {{"SecretId", "prod/db"}, {"VersionStage", "AWSPREVIOUS"}}), "SecretString"),
            "hunter2-very-secret");
  // The managed key disabled is not possible; a customer key disabled makes reads fail.
  std::string key = NewKey();
  Sm("CreateSecret", {{"Name", "k"}, {"SecretString", "v"}, {"KmsKeyId", key}});
  Kms("DisableKey", {{"KeyId", key}});
  EXPECT_EQ(SmFails("GetSecretValue", {{"SecretId", "k"}}).code, "DecryptionFailure");
  EXPECT_EQ(SmFails("PutSecretValue", {{"SecretId", "k"}, {"SecretString", "w"}}).code, "EncryptionFailure");
}

TEST_F(KmsTest, SecretDeletionWindowAndRestore) {
  Sm("CreateSecret", {{"Name", "s"}, {"SecretString", "v"}});
  EXPECT_EQ(SmFails("CreateSecret", {{"Name", "s"}, {"SecretString", "v"}}).code, "ResourceExistsException");
  EXPECT_EQ(SmFails("DeleteSecret", {{"SecretId", "s"}, {"RecoveryWindowInDays", 3}}).code, "InvalidParameterException");
  Sm("DeleteSecret", {{"SecretId", "s"}, {"RecoveryWindowInDays", 7}});
  AwsError err = SmFails("GetSecretValue", {{"SecretId", "s"}});
  EXPECT_EQ(err.code, "InvalidRequestException");
  EXPECT_EQ(GetArray(Sm("ListSecrets", {}), "SecretList").size(), 0u);
  EXPECT_EQ(GetArray(Sm("ListSecrets", {{"IncludePlannedDeletion", true}}), "SecretList").size(), 1u);
  Sm("RestoreSecret", {{"SecretId", "s"}});
  EXPECT_EQ(GetString(Sm("GetSecretValue", {{"SecretId", "s"}}), "SecretString"), "v");
  Sm("DeleteSecret", {{"SecretId", "s"}, {"RecoveryWindowInDays", 7}});
  clock_.Advance(std::chrono::hours(24 * 7));
  err = SmFails("DescribeSecret", {{"SecretId", "s"}});
  EXPECT_EQ(err.code, "ResourceNotFoundException");
  EXPECT_EQ(err.message, "Secrets Manager can't find the specified secret.");
  Sm("CreateSecret", {{"Name", "s"}, {"SecretString", "again"}});
  Sm("DeleteSecret", {{"SecretId", "s"}, {"ForceDeleteWithoutRecovery", true}});
  EXPECT_EQ(SmFails("DescribeSecret", {{"SecretId", "s"}}).code, "ResourceNotFoundException");
  EXPECT_EQ(SmFails("RotateSecret", {{"SecretId", "s"}}).code, "InvalidRequestException");
}

}  // namespace
}  // namespace wharf::api::kms
