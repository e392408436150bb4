// The console's password sign-in: an IAM user's name and password (the user's login profile,
// iam CreateLoginProfile) exchanged for temporary credentials, which the browser then signs
// every API call with (SigV4, as any client). Not a way around the API: the answer is what
// sts:GetSessionToken would give that user (the user's own permissions, 12 hours), and
// without a password nothing is handed out.
//
//   POST /_wharf/signin   {"account": "<account id or alias>", "userName": "...", "password": "..."}
//   200 {"accountId", "userName", "arn", "credentials": {"AccessKeyId", "SecretAccessKey",
//        "SessionToken", "Expiration" (epoch seconds)}}
//   401 {"code": "AuthenticationFailed", "message": "Your authentication information is
//        incorrect. Please try again."}: a wrong account, user or password, or a user
//        without a login profile (AWS's console says no more than that, by design)
//   403 {"code": "PasswordResetRequired", "message", "credentials"}: the profile asks for a new
//        password (PasswordResetRequired, or older than the policy's MaxPasswordAge). The
//        credentials last 15 minutes and may do nothing but iam:ChangePassword (and read the
//        password policy), within the user's own permissions, as AWS's console asks for a new
//        password before anything else; then the user signs in with the new one.
//   403 {"code": "PasswordExpired", ...}: expired under a HardExpiry policy: only an
//        administrator can set a new one
//   429 {"code": "Throttling", ...} + Retry-After: the user's sign-in failed 5 times within
//        5 minutes; it may try again when the first of those is 5 minutes old
//   400 {"code": "ValidationError", ...}: not a JSON object of three strings
//
// Unsigned by nature (the password is the credential), so it is one of wharf's plain routes
// under /_wharf/ and not an AWS operation: AWS's own console sign-in
// (signin.aws.amazon.com) has no public API model either. Thread-safe; from any worker.
#pragma once

#include <map>
#include <string>

#include "api/sts.h"
#include "base/mutex.h"
#include "net/http_server.h"

namespace wharf::api {

// How long a console session lasts: GetSessionToken's default for an IAM user.
inline constexpr std::chrono::hours kConsoleSessionLifetime{12};

// Failed sign-ins by user name, in this server's memory: a password cannot be guessed at the
// speed of the hashing. Thread-safe.
class SigninThrottle {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr std::chrono::minutes kWindow{5};
  // Seconds until `user` may try again; 0: now.
  int64_t RetryAfter(std::string_view user, std::chrono::system_clock::time_point now) EXCLUDES(mu_);
  void Failed(std::string_view user, std::chrono::system_clock::time_point now) EXCLUDES(mu_);
  void Succeeded(std::string_view user) EXCLUDES(mu_);

 private:
  struct Failures {
    int count = 0;
    std::chrono::system_clock::time_point first;
  };
  Mutex mu_;
  std::map<std::string, Failures, std::less<>> failures_ GUARDED_BY(mu_);
};

net::Response HandleSignin(const StsDeps& deps, SigninThrottle& throttle, const net::Request& req);

}  // namespace wharf::api
