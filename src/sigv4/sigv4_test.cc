#include "sigv4/sigv4.h"

#include <gtest/gtest.h>

namespace wharf::sigv4 {
namespace {

using namespace std::chrono_literals;

// The "get-vanilla" case of AWS's published SigV4 test suite.
constexpr char kKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point At(int64_t epoch) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(epoch));
}
const auto kSigned = At(1440938160);  // 20150830T123600Z

SignedRequest Vanilla(std::vector<std::pair<std::string, std::string>>& headers) {
  headers = {{"host", "example.amazonaws.com"},
             {"x-amz-date", "20150830T123600Z"},
             {"authorization",
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}};
  return SignedRequest{"GET", "/", headers, ""};
}

SecretLookup Secrets() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == kKeyId) return std::string(kSecret);
    return std::nullopt;
  };
}

SigV4Options Options() { return SigV4Options{"us-east-1", "service", 15min, false}; }

TEST(SigV4, AcceptsAwsTestSuiteVector) {
  std::vector<std::pair<std::string, std::string>> headers;
  AuthResult r = VerifySigV4(Vanilla(headers), Options(), Secrets(), kSigned + 1min);
  EXPECT_FALSE(r.failure.has_value()) << r.message;
  EXPECT_EQ(r.credential.access_key_id, kKeyId);
}

// Each loop thread keeps the derived signing keys it made, by secret and scope: a key whose
// secret changed (a new access key under the same id after a restore, say) is never checked
// against the old secret's derived key.
TEST(SigV4, CachedSigningKeyFollowsTheSecret) {
  std::vector<std::pair<std::string, std::string>> headers;
  EXPECT_FALSE(VerifySigV4(Vanilla(headers), Options(), Secrets(), kSigned).failure.has_value());
  auto changed = [](std::string_view) -> std::optional<std::string> { return std::string("another-secret"); };
  EXPECT_EQ(VerifySigV4(Vanilla(headers), Options(), changed, kSigned).failure, AuthFailure::kBadSignature);
  EXPECT_FALSE(VerifySigV4(Vanilla(headers), Options(), Secrets(), kSigned).failure.has_value());

  Credential scope{kKeyId, "20150830", "us-east-1", "service"};
  std::string key = SigningKey(kSecret, scope);
  EXPECT_NE(SigningKey("another-secret", scope), key);
  scope.date = "20150831";
  EXPECT_NE(SigningKey(kSecret, scope), key);
  scope.date = "20150830";
  EXPECT_EQ(SigningKey(kSecret, scope), key);
}

TEST(SigV4, RefusesAlteredRequest) {
  std::vector<std::pair<std::string, std::string>> headers;
  SignedRequest req = Vanilla(headers);
  req.target = "/other";
  AuthResult r = VerifySigV4(req, Options(), Secrets(), kSigned);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(*r.failure, AuthFailure::kBadSignature);
}

TEST(SigV4, RefusesUnknownKeyAndMissingHeader) {
  std::vector<std::pair<std::string, std::string>> headers;
  SignedRequest req = Vanilla(headers);
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(VerifySigV4(req, Options(), none, kSigned).failure, AuthFailure::kUnknownKey);
  headers.pop_back();
  req = SignedRequest{"GET", "/", headers, ""};
  EXPECT_EQ(VerifySigV4(req, Options(), Secrets(), kSigned).failure, AuthFailure::kMissing);
}

TEST(SigV4, EnforcesFifteenMinuteSkewBothWays) {
  std::vector<std::pair<std::string, std::string>> headers;
  SignedRequest req = Vanilla(headers);
  AuthResult late = VerifySigV4(req, Options(), Secrets(), kSigned + 16min);
  EXPECT_EQ(late.failure, AuthFailure::kExpired);
  EXPECT_NE(late.message.find("Signature expired: 20150830T123600Z is now earlier than"), std::string::npos)
      << late.message;
  EXPECT_EQ(VerifySigV4(req, Options(), Secrets(), kSigned - 16min).failure, AuthFailure::kExpired);
  EXPECT_FALSE(VerifySigV4(req, Options(), Secrets(), kSigned + 14min).failure.has_value());
}

TEST(SigV4, ChecksScope) {
  std::vector<std::pair<std::string, std::string>> headers;
  SigV4Options wrong_region = Options();
  wrong_region.region = "eu-west-1";
  AuthResult r = VerifySigV4(Vanilla(headers), wrong_region, Secrets(), kSigned);
  EXPECT_EQ(r.failure, AuthFailure::kBadScope);
  EXPECT_EQ(r.message, "Credential should be scoped to a valid region, not 'us-east-1'.");
}

TEST(SigV4, MalformedHeaderIsIncomplete) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"host", "h"}, {"x-amz-date", "20150830T123600Z"},
      {"authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"}};
  AuthResult r = VerifySigV4(SignedRequest{"GET", "/", headers, ""}, Options(), Secrets(), kSigned);
  EXPECT_EQ(r.failure, AuthFailure::kIncomplete);
  EXPECT_NE(r.message.find("Authorization header requires 'Signature' parameter."), std::string::npos);
}

TEST(SigV4, SignRequestRoundTrips) {
  std::vector<std::pair<std::string, std::string>> headers = {{"host", "127.0.0.1:4566"},
                                                              {"x-amz-target", "Svc.Op"}};
  SignRequest(headers, "POST", "/", "{}", kKeyId, kSecret, "us-east-1", "service", kSigned);
  AuthResult r = VerifySigV4(SignedRequest{"POST", "/", headers, "{}"}, Options(), Secrets(), kSigned);
  EXPECT_FALSE(r.failure.has_value()) << r.message;
  // A different body under the same signature is refused.
  r = VerifySigV4(SignedRequest{"POST", "/", headers, "{\"a\":1}"}, Options(), Secrets(), kSigned);
  EXPECT_EQ(r.failure, AuthFailure::kBadSignature);
}

}  // namespace
}  // namespace wharf::sigv4
