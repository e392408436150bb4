// The console's password sign-in: a login profile's password buys the user's session
// credentials, which then sign as the user; anything else gets AWS's one message.
#include "api/signin.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>

#include "api/credentials.h"
#include "model/iam.h"
#include "model/keys.h"
#include "store/memory_store.h"
#include "tests/support/signed_request.h"

namespace wharf::api {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr const char* kIncorrect = "Your authentication information is incorrect. Please try again.";

class SigninTest : public ::testing::Test {
 protected:
  SigninTest() {
    front_door_ = std::make_unique<FrontDoor>(
        FrontDoorOptions{"us-east-1", "000000000000", false, 0, 16, false, {}}, credentials_, clock_, random_);
    front_door_->AddService(MakeStsEndpoint(deps_).value());
    AddUser("alba", "correct horse", false);
  }

  void AddUser(const std::string& name, const std::string& password, bool reset) {
    json::object record{{"User", json::object{{"UserName", name},
                                              {"UserId", "AIDA" + name},
                                              {"Path", "/"},
                                              {"Arn", "arn:aws:iam::000000000000:user/" + name}}}};
    if (!password.empty()) {
      record[model::iam::kLoginProfile] =
          json::object{{"PasswordResetRequired", reset},
                       {model::iam::kPasswordSalt, "salt-" + name},
                       {model::iam::kPasswordHash, model::iam::LoginPasswordHash("salt-" + name, password)}};
    }
    std::string key = model::keys::IamUserKey(name);
    ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Put(key, json::serialize(record))}}).ok());
  }

  net::Response SignIn(const std::string& body) {
    net::Request req{http::verb::post, "/_wharf/signin", 11};
    req.body() = body;
    return HandleSignin(deps_, throttle_, req);
  }

  static std::string Body(const std::string& account, const std::string& user, const std::string& password) {
    return json::serialize(json::object{{"account", account}, {"userName", user}, {"password", password}});
  }

  // sts:GetCallerIdentity signed with the session; the Arn in its answer.
  std::string CallerArn(const json::object& c) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"content-type", "application/x-www-form-urlencoded"},
        {"x-amz-security-token", std::string(c.at("SessionToken").as_string())}};
    std::string out = testing::AnswerOf(*front_door_,
                                        testing::SignedPost("sts", std::move(headers),
                                                            "Action=GetCallerIdentity&Version=2011-06-15",
                                                            std::string(c.at("AccessKeyId").as_string()),
                                                            std::string(c.at("SecretAccessKey").as_string()),
                                                            clock_.Now()))
                          .body();
    size_t start = out.find("<Arn>");
    size_t end = out.find("</Arn>");
    return start == std::string::npos ? out : out.substr(start + 5, end - start - 5);
  }

  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::from_time_t(1'780'000'000)};
  FastRandom random_;
  CredentialStore credentials_{store_, random_};
  StsDeps deps_{store_, clock_, random_, "000000000000", nullptr};
  SigninThrottle throttle_;
  std::unique_ptr<FrontDoor> front_door_;
};

TEST_F(SigninTest, APasswordBuysTheUsersSessionCredentials) {
  net::Response res = SignIn(Body("000000000000", "alba", "correct horse"));
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res[http::field::cache_control], "no-store");
  json::object out = json::parse(res.body()).as_object();
  EXPECT_EQ(out.at("arn").as_string(), "arn:aws:iam::000000000000:user/alba");
  const json::object& c = out.at("credentials").as_object();
  EXPECT_EQ(std::string(c.at("AccessKeyId").as_string()).substr(0, 4), "ASIA");
  EXPECT_EQ(c.at("Expiration").to_number<int64_t>(), 1'780'000'000 + 12 * 3600);
  EXPECT_EQ(CallerArn(c), "arn:aws:iam::000000000000:user/alba");
}

TEST_F(SigninTest, EveryWrongAnswerGetsTheSameMessage) {
  AddUser("nopassword", "", false);
  for (const std::string& body : {Body("000000000000", "alba", "wrong horse"), Body("111111111111", "alba", "correct horse"),
                                  Body("000000000000", "nobody", "correct horse"),
                                  Body("000000000000", "nopassword", "")}) {
    net::Response res = SignIn(body);
    EXPECT_EQ(res.result_int(), 401) << body;
    EXPECT_EQ(json::parse(res.body()).as_object().at("message").as_string(), kIncorrect) << body;
  }
}

TEST_F(SigninTest, RefusesMalformedBodiesAndProfilesThatNeedANewPassword) {
  for (const std::string& body : {std::string("not json"), std::string("[]"), std::string(R"({"account": "000000000000"})"),
                                  std::string(R"({"account": 0, "userName": "alba", "password": "x"})")}) {
    EXPECT_EQ(SignIn(body).result_int(), 400) << body;
  }
  AddUser("reset", "new password please", true);
  net::Response res = SignIn(Body("000000000000", "reset", "new password please"));
  EXPECT_EQ(res.result_int(), 403);
  json::object out = json::parse(res.body()).as_object();
  EXPECT_EQ(out.at("code").as_string(), "PasswordResetRequired");
  // A session for the new password only: short, and it still signs as the user.
  const json::object& c = out.at("credentials").as_object();
  EXPECT_EQ(c.at("Expiration").to_number<int64_t>(), 1'780'000'000 + 15 * 60);
  EXPECT_EQ(CallerArn(c), "arn:aws:iam::000000000000:user/reset");
}

TEST_F(SigninTest, FiveFailuresInFiveMinutesMakeTheUserWait) {
  for (int i = 0; i < SigninThrottle::kMaxFailures; ++i) {
    EXPECT_EQ(SignIn(Body("000000000000", "alba", "wrong horse")).result_int(), 401);
  }
  net::Response res = SignIn(Body("000000000000", "alba", "correct horse"));
  EXPECT_EQ(res.result_int(), 429) << res.body();
  EXPECT_EQ(res[http::field::retry_after], "300");
  // Another user is not held up; the user may try again once the first failure is old enough.
  AddUser("other", "other horse", false);
  EXPECT_EQ(SignIn(Body("000000000000", "other", "other horse")).result_int(), 200);
  clock_.Advance(std::chrono::minutes(5) + std::chrono::seconds(1));
  EXPECT_EQ(SignIn(Body("000000000000", "alba", "correct horse")).result_int(), 200);
}

}  // namespace
}  // namespace wharf::api
