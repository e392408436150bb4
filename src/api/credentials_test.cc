// The CredentialStore's cache of keys follows the store: a change committed by anyone (another
// server of an etcd cluster writes the same records) drops the entries it touches, so the
// next lookup reads the key, session, user or role again.
#include "api/credentials.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::api {
namespace {

namespace json = boost::json;

class CredentialStoreTest : public ::testing::Test {
 protected:
  CredentialStoreTest() { EXPECT_TRUE(credentials_.Start().ok()); }

  void Put(const std::string& key, const json::object& record) {
    ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Put(key, json::serialize(record))}}).ok());
  }
  void PutKey(std::string_view status) {
    Put(model::keys::AccessKeyKey("AKIAUSER"), {{"accessKeyId", "AKIAUSER"},
                                                 {"secretAccessKey", "secret"},
                                                 {"userName", "ci"},
                                                 {"status", status}});
  }
  void PutUser(std::string_view path) {
    Put(model::keys::IamUserKey("ci"), {{"User", json::object{{"UserName", "ci"}, {"UserId", "AIDACI"}, {"Path", path}}}});
  }

  store::MemoryStore store_;
  FastRandom random_;
  CredentialStore credentials_{store_, random_};
};

TEST_F(CredentialStoreTest, AKeyChangedInTheStoreIsReadAgain) {
  PutUser("/");
  PutKey("Active");
  ASSERT_TRUE(credentials_.Lookup("AKIAUSER").has_value());
  EXPECT_TRUE(credentials_.Lookup("AKIAUSER")->active);

  PutKey("Inactive");  // UpdateAccessKey on another server: no Forget here
  ASSERT_TRUE(credentials_.Lookup("AKIAUSER").has_value());
  EXPECT_FALSE(credentials_.Lookup("AKIAUSER")->active);

  ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Delete(model::keys::AccessKeyKey("AKIAUSER"))}}).ok());
  EXPECT_FALSE(credentials_.Lookup("AKIAUSER").has_value());
}

TEST_F(CredentialStoreTest, AUserChangedInTheStoreIsReadAgain) {
  PutUser("/");
  PutKey("Active");
  EXPECT_EQ(credentials_.Lookup("AKIAUSER")->user_path, "/");
  PutUser("/team/");  // UpdateUser NewPath
  EXPECT_EQ(credentials_.Lookup("AKIAUSER")->user_path, "/team/");
  ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Delete(model::keys::IamUserKey("ci"))}}).ok());
  EXPECT_FALSE(credentials_.Lookup("AKIAUSER").has_value());  // DeleteUser: its key signs no more
}

TEST_F(CredentialStoreTest, ARoleDeletedEndsItsSessions) {
  Put(model::keys::IamRoleKey("app"), {{"Role", json::object{{"RoleName", "app"}, {"RoleId", "AROAAPP"}, {"Path", "/"}}}});
  Put(model::keys::IamSessionKey("ASIASESSION"), {{"secretAccessKey", "s"},
                                                  {"sessionToken", "token"},
                                                  {"expiration", 4102444800},
                                                  {"roleName", "app"},
                                                  {"roleId", "AROAAPP"},
                                                  {"sessionName", "task"}});
  ASSERT_TRUE(credentials_.Lookup("ASIASESSION").has_value());
  EXPECT_EQ(credentials_.Lookup("ASIASESSION")->role_id, "AROAAPP");
  ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Delete(model::keys::IamRoleKey("app"))}}).ok());
  EXPECT_FALSE(credentials_.Lookup("ASIASESSION").has_value());
}

}  // namespace
}  // namespace wharf::api
