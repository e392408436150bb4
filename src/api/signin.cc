#include "api/signin.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/crypto.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api {
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kIncorrect = "Your authentication information is incorrect. Please try again.";

net::Response Answer(http::status status, const json::object& body) {
  net::Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  // Credentials in the body: never kept by a cache.
  res.set(http::field::cache_control, "no-store");
  res.body() = json::serialize(body) + "\n";
  return res;
}

net::Response Refuse(http::status status, std::string_view code, std::string_view message) {
  return Answer(status, {{"code", code}, {"message", message}});
}

}  // namespace

net::Response HandleSignin(const StsDeps& deps, const net::Request& req) {
  json::error_code ec;
  json::value body = json::parse(req.body(), ec);
  const json::object* in = ec ? nullptr : body.if_object();
  auto field = [&](std::string_view name) -> const json::string* {
    const json::value* v = in ? in->if_contains(name) : nullptr;
    return v ? v->if_string() : nullptr;
  };
  const json::string* account = field("account");
  const json::string* user_name = field("userName");
  const json::string* password = field("password");
  if (!account || !user_name || !password) {
    return Refuse(http::status::bad_request, "ValidationError",
                  "Expected a JSON object with account, userName and password.");
  }
  if (*account != deps.account_id || user_name->empty() || user_name->size() > 64) {
    return Refuse(http::status::unauthorized, "AuthenticationFailed", kIncorrect);
  }
  auto got = deps.store.Get(model::keys::IamUserKey(*user_name));
  if (!got.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", got.status().message());
  auto record = got->has_value() ? wharf::ParseObject((*got)->value) : Result<json::object>(Status::NotFound(""));
  if (!record.ok()) {
    // A user that does not exist costs the same hashing as a wrong password: the time of
    // an answer does not tell which user names exist.
    (void)model::iam::LoginPasswordHash("no such user", *password);
    return Refuse(http::status::unauthorized, "AuthenticationFailed", kIncorrect);
  }
  const json::object& user = wharf::GetObject(*record, "User");
  const json::object& profile = wharf::GetObject(*record, model::iam::kLoginProfile);
  std::string salt = wharf::GetString(profile, model::iam::kPasswordSalt);
  std::string expected = wharf::GetString(profile, model::iam::kPasswordHash);
  std::string hash = model::iam::LoginPasswordHash(salt, *password);
  if (expected.empty() || !ConstantTimeEquals(hash, expected)) {
    return Refuse(http::status::unauthorized, "AuthenticationFailed", kIncorrect);
  }
  if (wharf::GetBool(profile, "PasswordResetRequired").value_or(false)) {
    // AWS's console asks for a new password here (iam:ChangePassword), which wharf does not
    // serve: the administrator clears the flag or sets a new password.
    return Refuse(http::status::forbidden, "PasswordResetRequired",
                  "You must change your password to sign in. wharf has no password change page: an "
                  "administrator can run aws iam update-login-profile --user-name " +
                      wharf::GetString(user, "UserName") + " --no-password-reset-required.");
  }
  std::string name = wharf::GetString(user, "UserName");
  std::string arn = wharf::GetString(user, "Arn");
  auto session = SessionForUser(deps, name, wharf::GetString(user, "UserId"), arn,
                                std::chrono::duration_cast<std::chrono::seconds>(kConsoleSessionLifetime));
  if (!session.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", session.status().message());
  int64_t expiration =
      std::chrono::duration_cast<std::chrono::seconds>(session->expiration.time_since_epoch()).count();
  return Answer(http::status::ok, {{"accountId", deps.account_id},
                                   {"userName", name},
                                   {"arn", arn},
                                   {"credentials", json::object{{"AccessKeyId", session->access_key_id},
                                                                {"SecretAccessKey", session->secret_access_key},
                                                                {"SessionToken", session->session_token},
                                                                {"Expiration", expiration}}}});
}

}  // namespace wharf::api
