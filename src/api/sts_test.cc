// Temporary credentials at the front door: a session key signs with its token until it
// expires, then gets each protocol's expired-token error; without its token it is unknown.
#include "api/sts.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <future>

#include "model/keys.h"
#include "store/memory_store.h"
#include "tests/support/signed_request.h"

namespace wharf::api {
namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

class StsTest : public ::testing::Test {
 protected:
  StsTest() {
    front_door_ = std::make_unique<FrontDoor>(
        FrontDoorOptions{"us-east-1", "000000000000", false, 0, 16, false, {}}, credentials_, clock_, random_);
    front_door_->AddService(MakeStsEndpoint({store_, clock_, random_, "000000000000", nullptr}).value());
    admin_ = credentials_.EnsureAdminKey().value();
  }

  // A Query request for STS signed now by `key`/`secret` (with `token` if not empty).
  net::Response Call(const std::string& action, const std::string& key, const std::string& secret,
                     const std::string& token = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"content-type", "application/x-www-form-urlencoded"}};
    if (!token.empty()) headers.emplace_back("x-amz-security-token", token);
    return testing::AnswerOf(*front_door_, testing::SignedPost("sts", std::move(headers),
                                                               "Action=" + action + "&Version=2011-06-15", key,
                                                               secret, clock_.Now()));
  }

  // The text of an XML element in `body`.
  static std::string Element(const std::string& body, const std::string& name) {
    size_t start = body.find("<" + name + ">");
    size_t end = body.find("</" + name + ">");
    if (start == std::string::npos || end == std::string::npos) return "";
    start += name.size() + 2;
    return body.substr(start, end - start);
  }

  store::MemoryStore store_;
  ManualClock clock_{std::chrono::system_clock::from_time_t(1'780'000'000)};
  FastRandom random_;
  CredentialStore credentials_{store_, random_};
  std::unique_ptr<FrontDoor> front_door_;
  AccessKey admin_;
};

TEST_F(StsTest, SessionSignsWithItsTokenUntilItExpires) {
  // The root's GetSessionToken lasts at most an hour.
  net::Response issued = Call("GetSessionToken", admin_.access_key_id, admin_.secret_access_key);
  ASSERT_EQ(issued.result_int(), 200) << issued.body();
  std::string id = Element(issued.body(), "AccessKeyId");
  std::string secret = Element(issued.body(), "SecretAccessKey");
  std::string token = Element(issued.body(), "SessionToken");
  ASSERT_EQ(id.substr(0, 4), "ASIA");

  net::Response who = Call("GetCallerIdentity", id, secret, token);
  EXPECT_EQ(who.result_int(), 200) << who.body();
  EXPECT_EQ(Element(who.body(), "Arn"), "arn:aws:iam::000000000000:root");

  net::Response no_token = Call("GetCallerIdentity", id, secret);
  EXPECT_EQ(no_token.result_int(), 403);
  EXPECT_EQ(Element(no_token.body(), "Code"), "InvalidClientTokenId");
  net::Response wrong_token = Call("GetCallerIdentity", id, secret, token + "x");
  EXPECT_EQ(Element(wrong_token.body(), "Code"), "InvalidClientTokenId");

  clock_.Advance(3599s);
  EXPECT_EQ(Call("GetCallerIdentity", id, secret, token).result_int(), 200);
  clock_.Advance(1s);
  net::Response expired = Call("GetCallerIdentity", id, secret, token);
  EXPECT_EQ(expired.result_int(), 403);
  EXPECT_EQ(Element(expired.body(), "Code"), "ExpiredToken");
  EXPECT_EQ(Element(expired.body(), "Message"), "The security token included in the request is expired");
}

TEST_F(StsTest, SessionCredentialsCannotMakeMoreSessions) {
  net::Response issued = Call("GetSessionToken", admin_.access_key_id, admin_.secret_access_key);
  net::Response again = Call("GetSessionToken", Element(issued.body(), "AccessKeyId"),
                             Element(issued.body(), "SecretAccessKey"), Element(issued.body(), "SessionToken"));
  EXPECT_EQ(again.result_int(), 403);
  EXPECT_EQ(Element(again.body(), "Code"), "AccessDenied");
}

// Expired sessions' records go (an hour after they expire), live ones stay.
TEST_F(StsTest, ExpiredSessionsAreDeleted) {
  auto put = [&](const std::string& id, int64_t expiration) {
    ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Put(model::keys::IamSessionKey(id),
                                                             "{\"expiration\":" + std::to_string(expiration) + "}")}})
                    .ok());
  };
  int64_t now = 1'780'000'000;
  put("ASIAOLD", now - 3601);
  put("ASIARECENT", now - 60);
  put("ASIALIVE", now + 3600);
  auto deleted = DeleteExpiredSessions(store_, clock_, std::chrono::hours(1));
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1);
  EXPECT_FALSE(store_.Get(model::keys::IamSessionKey("ASIAOLD"))->has_value());
  EXPECT_TRUE(store_.Get(model::keys::IamSessionKey("ASIARECENT"))->has_value());
  EXPECT_TRUE(store_.Get(model::keys::IamSessionKey("ASIALIVE"))->has_value());
}

}  // namespace
}  // namespace wharf::api
