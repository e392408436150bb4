#include "api/signin.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "api/iam/iam.h"
#include "base/crypto.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api {
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kIncorrect = "Your authentication information is incorrect. Please try again.";
// What a session for a new password may do, within the user's own permissions.
constexpr std::string_view kNewPasswordOnly =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Action":["iam:ChangePassword","iam:GetAccountPasswordPolicy"],"Resource":"*"}]})";
constexpr std::chrono::minutes kNewPasswordSessionLifetime{15};

json::object CredentialsShape(const ServiceSession& session) {
  int64_t expiration =
      std::chrono::duration_cast<std::chrono::seconds>(session.expiration.time_since_epoch()).count();
  return {{"AccessKeyId", session.access_key_id},
          {"SecretAccessKey", session.secret_access_key},
          {"SessionToken", session.session_token},
          {"Expiration", expiration}};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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

int64_t SigninThrottle::RetryAfter(std::string_view user, std::chrono::system_clock::time_point now) {
  MutexLock lock(mu_);
  auto it = failures_.find(Lower(user));
  if (it == failures_.end() || it->second.count < kMaxFailures) return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.first + kWindow - now).count();
  return left > 0 ? left : 0;
}

void SigninThrottle::Failed(std::string_view user, std::chrono::system_clock::time_point now) {
  MutexLock lock(mu_);
  // Many names tried once each must not grow the map without end: the stale go first.
  if (failures_.size() > 10000) std::erase_if(failures_, [&](const auto& f) { return f.second.first + kWindow < now; });
  Failures& f = failures_[Lower(user)];
  if (f.count == 0 || f.first + kWindow < now) f = Failures{0, now};
  ++f.count;
}

void SigninThrottle::Succeeded(std::string_view user) {
  MutexLock lock(mu_);
  failures_.erase(Lower(user));
}

net::Response HandleSignin(const StsDeps& deps, SigninThrottle& throttle, const net::Request& req) {
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
  auto now = deps.clock.Now();
  if (int64_t wait = throttle.RetryAfter(*user_name, now); wait > 0) {
    net::Response res = Refuse(http::status::too_many_requests, "Throttling",
                               "Too many failed sign-in attempts for this user. Try again in " +
                                   std::to_string(wait) + " seconds.");
    res.set(http::field::retry_after, std::to_string(wait));
    return res;
  }
  auto alias = iam::AccountAlias(deps.store);
  if (!alias.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", alias.status().message());
  bool our_account = *account == deps.account_id || (!alias->empty() && *account == *alias);
  auto failed = [&] {
    throttle.Failed(*user_name, now);
    return Refuse(http::status::unauthorized, "AuthenticationFailed", kIncorrect);
  };
  if (!our_account || user_name->empty() || user_name->size() > 64) return failed();
  auto got = deps.store.Get(model::keys::IamUserKey(*user_name));
  if (!got.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", got.status().message());
  auto record = got->has_value() ? wharf::ParseObject((*got)->value) : Result<json::object>(Status::NotFound(""));
  if (!record.ok()) {
    // A user that does not exist costs the same hashing as a wrong password: the time of
    // an answer does not tell which user names exist.
    (void)model::iam::LoginPasswordHash("no such user", *password);
    return failed();
  }
  const json::object& user = wharf::GetObject(*record, "User");
  const json::object& profile = wharf::GetObject(*record, model::iam::kLoginProfile);
  std::string salt = wharf::GetString(profile, model::iam::kPasswordSalt);
  std::string expected = wharf::GetString(profile, model::iam::kPasswordHash);
  std::string hash = model::iam::LoginPasswordHash(salt, *password);
  if (expected.empty() || !ConstantTimeEquals(hash, expected)) return failed();
  throttle.Succeeded(*user_name);
  std::string name = wharf::GetString(user, "UserName");
  std::string arn = wharf::GetString(user, "Arn");
  std::string user_id = wharf::GetString(user, "UserId");
  auto policy = iam::AccountPasswordPolicy(deps.store);
  if (!policy.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", policy.status().message());
  double seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  bool expired = iam::PasswordExpired(*policy, profile, seconds);
  if (expired && policy->hard_expiry) {
    return Refuse(http::status::forbidden, "PasswordExpired",
                  "Your password has expired. The account's password policy lets only an administrator set a "
                  "new one (aws iam update-login-profile --user-name " + name + " --password ...).");
  }
  if (expired || wharf::GetBool(profile, "PasswordResetRequired").value_or(false)) {
    auto session = SessionForUser(deps, name, user_id, arn, kNewPasswordSessionLifetime, kNewPasswordOnly);
    if (!session.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", session.status().message());
    return Answer(http::status::forbidden,
                  {{"code", "PasswordResetRequired"},
                   {"message", expired ? "Your password has expired. Choose a new password to sign in."
                                       : "You must change your password to sign in."},
                   {"accountId", deps.account_id},
                   {"userName", name},
                   {"credentials", CredentialsShape(*session)}});
  }
  auto session = SessionForUser(deps, name, user_id, arn,
                                std::chrono::duration_cast<std::chrono::seconds>(kConsoleSessionLifetime));
  if (!session.ok()) return Refuse(http::status::service_unavailable, "ServiceUnavailable", session.status().message());
  return Answer(http::status::ok, {{"accountId", deps.account_id},
                                   {"userName", name},
                                   {"arn", arn},
                                   {"credentials", CredentialsShape(*session)}});
}

}  // namespace wharf::api
