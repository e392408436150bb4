// The IAM handlers on a MemoryStore: relations kept on both sides, DeleteConflict, paging, and
// the CredentialStore following key changes at once.
#include "api/iam/iam.h"

#include <gtest/gtest.h>

#include "api/iam/policy_document.h"
#include "model/json.h"
#include "store/memory_store.h"
#include "tests/support/resource_tag_check.h"

namespace wharf::api::iam {
namespace {

namespace json = boost::json;

constexpr char kTrust[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]})";

class IamTest : public ::testing::Test {
 protected:
  IamTest() {
    auto made = MakeIamEndpoint({store_, clock_, random_, "000000000000", &credentials_});
    EXPECT_TRUE(made.ok());
    endpoint_ = std::move(made).value();
  }

  Outcome Call(const std::string& op, json::object in, const RequestContext& ctx = {}) {
    return endpoint_.operations.at(op)(ctx, in);
  }
  json::object Ok(const std::string& op, json::object in) {
    Outcome out = Call(op, std::move(in));
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }
  AwsError Fails(const std::string& op, json::object in) {
    Outcome out = Call(op, std::move(in));
    EXPECT_FALSE(out.ok()) << op;
    return out.ok() ? AwsError{} : out.error();
  }

  store::MemoryStore store_;
  SystemClock clock_;
  FastRandom random_;
  CredentialStore credentials_{store_, random_};
  ServiceEndpoint endpoint_;
};

TEST_F(IamTest, RoleDeleteConflictsUntilDetached) {
  Ok("CreateRole", {{"RoleName", "exec"}, {"AssumeRolePolicyDocument", kTrust}});
  const char* arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
  Ok("AttachRolePolicy", {{"RoleName", "exec"}, {"PolicyArn", arn}});
  json::object policy = Ok("GetPolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(wharf::GetInt(wharf::GetObject(policy, "Policy"), "AttachmentCount"), 1);
  AwsError err = Fails("DeleteRole", {{"RoleName", "EXEC"}});
  EXPECT_EQ(err.code, "DeleteConflict");
  EXPECT_EQ(err.http_status, 409);
  EXPECT_EQ(err.message, "Cannot delete entity, must detach all policies first.");
  Ok("DetachRolePolicy", {{"RoleName", "exec"}, {"PolicyArn", arn}});
  Ok("DeleteRole", {{"RoleName", "exec"}});
  err = Fails("GetRole", {{"RoleName", "exec"}});
  EXPECT_EQ(err.code, "NoSuchEntity");
  EXPECT_EQ(err.http_status, 404);
  EXPECT_EQ(err.message, "The role with name exec cannot be found.");
}

TEST_F(IamTest, AccessKeysSignAsTheirUserAndStopAtOnce) {
  Ok("CreateUser", {{"UserName", "ci"}, {"Path", "/build/"}});
  json::object key = wharf::GetObject(Ok("CreateAccessKey", {{"UserName", "ci"}}), "AccessKey");
  std::string id = wharf::GetString(key, "AccessKeyId");
  ASSERT_EQ(id.size(), 20u);
  auto owner = credentials_.Lookup(id);
  ASSERT_TRUE(owner.has_value());
  EXPECT_FALSE(owner->root);
  EXPECT_EQ(owner->user_name, "ci");
  EXPECT_EQ(owner->user_path, "/build/");
  EXPECT_EQ(credentials_.SecretFor(id), wharf::GetString(key, "SecretAccessKey"));
  Ok("UpdateAccessKey", {{"UserName", "ci"}, {"AccessKeyId", id}, {"Status", "Inactive"}});
  EXPECT_FALSE(credentials_.SecretFor(id).has_value());
  Ok("UpdateAccessKey", {{"UserName", "ci"}, {"AccessKeyId", id}, {"Status", "Active"}});
  EXPECT_TRUE(credentials_.SecretFor(id).has_value());
  Ok("CreateAccessKey", {{"UserName", "ci"}});
  EXPECT_EQ(Fails("CreateAccessKey", {{"UserName", "ci"}}).code, "LimitExceeded");
  EXPECT_EQ(Fails("DeleteUser", {{"UserName", "ci"}}).message, "Cannot delete entity, must delete access keys first.");
  Ok("DeleteAccessKey", {{"UserName", "ci"}, {"AccessKeyId", id}});
  EXPECT_FALSE(credentials_.SecretFor(id).has_value());
}

TEST_F(IamTest, RenamedUserKeepsItsKeysAndGroups) {
  Ok("CreateUser", {{"UserName", "old"}});
  Ok("CreateGroup", {{"GroupName", "g"}});
  Ok("AddUserToGroup", {{"GroupName", "g"}, {"UserName", "old"}});
  std::string id = wharf::GetString(wharf::GetObject(Ok("CreateAccessKey", {{"UserName", "old"}}), "AccessKey"), "AccessKeyId");
  ASSERT_TRUE(credentials_.Lookup(id).has_value());
  Ok("UpdateUser", {{"UserName", "old"}, {"NewUserName", "new"}});
  auto owner = credentials_.Lookup(id);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->user_name, "new");
  json::object group = Ok("GetGroup", {{"GroupName", "g"}});
  ASSERT_EQ(wharf::GetArray(group, "Users").size(), 1u);
  EXPECT_EQ(wharf::GetString(wharf::GetArray(group, "Users")[0].as_object(), "UserName"), "new");
}

TEST_F(IamTest, ListsPageWithMarker) {
  for (int i = 0; i < 5; ++i) Ok("CreateUser", {{"UserName", "u" + std::to_string(i)}});
  json::object page = Ok("ListUsers", {{"MaxItems", 2}});
  EXPECT_EQ(wharf::GetArray(page, "Users").size(), 2u);
  EXPECT_EQ(wharf::GetBool(page, "IsTruncated"), true);
  json::object last = Ok("ListUsers", {{"MaxItems", 10}, {"Marker", wharf::GetString(page, "Marker")}});
  EXPECT_EQ(wharf::GetArray(last, "Users").size(), 3u);
  EXPECT_EQ(wharf::GetBool(last, "IsTruncated"), false);
  EXPECT_FALSE(last.contains("Marker"));
}

TEST_F(IamTest, PolicyVersionsAreCappedAtFive) {
  const char* doc = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})";
  json::object policy = wharf::GetObject(Ok("CreatePolicy", {{"PolicyName", "p"}, {"PolicyDocument", doc}}), "Policy");
  std::string arn = wharf::GetString(policy, "Arn");
  EXPECT_EQ(arn, "arn:aws:iam::000000000000:policy/p");
  for (int i = 0; i < 4; ++i) Ok("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", doc}});
  AwsError err = Fails("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", doc}});
  EXPECT_EQ(err.code, "LimitExceeded");
  EXPECT_EQ(Fails("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}}).code, "DeleteConflict");
}

// The documents IAM's calls store go through the policy language's parser (src/iam, whose own
// tests hold the full list of IAM's messages): the kind of document decides what is refused.
TEST(PolicyDocumentTest, AwsMessages) {
  auto message = [](PolicyKind kind, std::string_view text) { return ValidatePolicyDocument(kind, text).message(); };
  EXPECT_TRUE(ValidatePolicyDocument(PolicyKind::kTrust, kTrust).ok());
  EXPECT_EQ(message(PolicyKind::kIdentity, "{"), "Syntax errors in policy.");
  EXPECT_EQ(message(PolicyKind::kIdentity, "[]"), "Syntax errors in policy.");
  EXPECT_EQ(message(PolicyKind::kIdentity, R"({"Statement":{"Effect":"Allow","Action":"*"}})"),
            "Policy statement must contain resources.");
  EXPECT_EQ(message(PolicyKind::kIdentity,
                    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}})"),
            "Policy document should not specify a principal.");
  // A managed policy must say 2012-10-17; an inline one may be older.
  const char* old_version = R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})";
  EXPECT_TRUE(ValidatePolicyDocument(PolicyKind::kIdentity, old_version).ok());
  EXPECT_EQ(message(PolicyKind::kManaged, old_version), "Policy document must be version 2012-10-17 or greater.");
}

// aws:ResourceTag/<key> and iam:ResourceTag/<key> read a customer managed policy's and an
// instance profile's tags (as they read roles' and users'): tagged team=a is allowed, untagged
// is refused.
TEST_F(IamTest, ResourceTagConditionsReadPolicyAndInstanceProfileTags) {
  const char* doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
  json::array team_a{json::object{{"Key", "team"}, {"Value", "a"}}};
  Ok("CreatePolicy", {{"PolicyName", "tagged"}, {"PolicyDocument", doc}, {"Tags", team_a}});
  Ok("CreatePolicy", {{"PolicyName", "plain"}, {"PolicyDocument", doc}});
  Ok("CreateInstanceProfile", {{"InstanceProfileName", "tagged"}, {"Path", "/ops/"}, {"Tags", team_a}});
  Ok("CreateInstanceProfile", {{"InstanceProfileName", "plain"}});
  testing::ResourceTagCheck check(store_);
  for (const char* key : {"aws:ResourceTag/team", "iam:ResourceTag/team"}) {
    ASSERT_TRUE(check.AllowWhenTagged("iam:*", key, "a"));
    EXPECT_TRUE(check.Allowed(endpoint_, "iam:GetPolicy", "arn:aws:iam::000000000000:policy/tagged")) << key;
    EXPECT_FALSE(check.Allowed(endpoint_, "iam:GetPolicy", "arn:aws:iam::000000000000:policy/plain")) << key;
    EXPECT_TRUE(check.Allowed(endpoint_, "iam:GetInstanceProfile",
                              "arn:aws:iam::000000000000:instance-profile/ops/tagged")) << key;
    EXPECT_FALSE(check.Allowed(endpoint_, "iam:GetInstanceProfile",
                               "arn:aws:iam::000000000000:instance-profile/plain")) << key;
  }
  // An AWS managed policy of the same name as a tagged customer one has no tags.
  EXPECT_FALSE(check.Allowed(endpoint_, "iam:GetPolicy", "arn:aws:iam::aws:policy/tagged"));
}

}  // namespace
}  // namespace wharf::api::iam
