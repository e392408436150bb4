// The console's password sign-in: an IAM user's name and password (the user's login profile,
// iam CreateLoginProfile) exchanged for temporary credentials, which the browser then signs
// every API call with (SigV4, as any client). Not a way around the API: the answer is what
// sts:GetSessionToken would give that user (the user's own permissions, 12 hours), and
// without a password nothing is handed out.
//
//   POST /_wharf/signin   {"account": "<account id>", "userName": "...", "password": "..."}
//   200 {"accountId", "userName", "arn", "credentials": {"AccessKeyId", "SecretAccessKey",
//        "SessionToken", "Expiration" (epoch seconds)}}
//   401 {"code": "AuthenticationFailed", "message": "Your authentication information is
//        incorrect. Please try again."}: a wrong account, user or password, or a user
//        without a login profile (AWS's console says no more than that, by design)
//   403 {"code": "PasswordResetRequired", ...}: the profile asks for a new password
//   400 {"code": "ValidationError", ...}: not a JSON object of three strings
//
// Unsigned by nature (the password is the credential), so it is one of wharf's plain routes
// under /_wharf/ and not an AWS operation: AWS's own console sign-in
// (signin.aws.amazon.com) has no public API model either. Thread-safe; from any worker.
#pragma once

#include "api/sts.h"
#include "net/http_server.h"

namespace wharf::api {

// How long a console session lasts: GetSessionToken's default for an IAM user.
inline constexpr std::chrono::hours kConsoleSessionLifetime{12};

net::Response HandleSignin(const StsDeps& deps, const net::Request& req);

}  // namespace wharf::api
