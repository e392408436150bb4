// SigV4 verification, of the header form ("Authorization: AWS4-HMAC-SHA256 ...") and of the
// query-string form of presigned URLs (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature in the query; good for X-Amz-Expires
// seconds from X-Amz-Date, at most seven days, instead of the header form's 15 minutes
// either way).
//
// Pure: the request, a way to look secrets up, and the time are passed in. The failure
// kinds map onto each protocol's error codes in front_door.cc.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::sigv4 {

struct SignedRequest {
  std::string_view method;
  std::string_view target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string_view body;
};

struct Credential {
  std::string access_key_id;
  std::string date;     // YYYYMMDD
  std::string region;
  std::string service;
};

enum class AuthFailure {
  kMissing,       // no Authorization header
  kIncomplete,    // a malformed Authorization header or date
  kUnknownKey,    // the access key id is not ours
  kBadSignature,  // the signature does not match
  kExpired,       // outside the 15-minute window
  kBadScope,      // wrong region, service or terminator
};

struct AuthResult {
  std::optional<AuthFailure> failure;
  std::string message;
  Credential credential;  // filled when the header parsed
  // X-Amz-Security-Token, from the header or the presigned query: a temporary credential's
  // session token, for the caller to check against the key's.
  std::string security_token;
  bool presigned = false;
};

struct SigV4Options {
  std::string region;
  // The service the request is for, or empty to accept the one in the scope.
  std::string service;
  std::chrono::seconds max_skew{15 * 60};
  // Dev mode: any well-formed credentials pass, signature unchecked.
  bool accept_any_key = false;
};

using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Parses the credential scope only (to route Query-protocol requests by service).
std::optional<Credential> ParseCredential(std::string_view authorization);
// The same from a presigned URL's X-Amz-Credential (`target`: path and query).
std::optional<Credential> ParsePresignedCredential(std::string_view target);

AuthResult VerifySigV4(const SignedRequest& request, const SigV4Options& options,
                       const SecretLookup& secrets, std::chrono::system_clock::time_point now);

// Exposed for tests and for wharf's own clients (agents sign like any other client).
std::string CanonicalRequest(const SignedRequest& request, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);
std::string SigningKey(std::string_view secret, const Credential& credential);
std::string FormatAmzDate(std::chrono::system_clock::time_point t);  // 20240101T000000Z

// Signs `request` in place: adds x-amz-date, x-amz-content-sha256 and authorization.
void SignRequest(std::vector<std::pair<std::string, std::string>>& headers, std::string_view method,
                 std::string_view target, std::string_view body, const std::string& access_key_id,
                 const std::string& secret, const std::string& region, const std::string& service,
                 std::chrono::system_clock::time_point now);

}  // namespace wharf::sigv4
