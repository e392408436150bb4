// Resource policies, tags, random passwords.
#include <boost/json/array.hpp>
#include <algorithm>

#include "api/secretsmanager/handlers.h"

namespace wharf::api::secretsmanager {
namespace json = boost::json;

Outcome PutResourcePolicy(const SecretsDeps& deps, const RequestContext&, object& in) {
  std::string policy = GetString(in, "ResourcePolicy");
  if (auto err = CheckResourcePolicy(policy)) return *err;
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    s.resource_policy = policy;
    return std::nullopt;
  }, [](const Secret& s) { return object{{"ARN", s.arn}, {"Name", s.name}}; });
}

Outcome GetResourcePolicy(const SecretsDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const Secret& s = std::get<StoredSecret>(loaded).secret;
  object out{{"ARN", s.arn}, {"Name", s.name}};
  if (!s.resource_policy.empty()) out["ResourcePolicy"] = s.resource_policy;
  return out;
}

Outcome DeleteResourcePolicy(const SecretsDeps& deps, const RequestContext&, object& in) {
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    s.resource_policy.clear();
    return std::nullopt;
  }, [](const Secret& s) { return object{{"ARN", s.arn}, {"Name", s.name}}; });
}

Outcome ValidateResourcePolicy(const SecretsDeps& deps, const RequestContext&, object& in) {
  if (Has(in, "SecretId")) {
    auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
    if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  }
  auto err = CheckResourcePolicy(GetString(in, "ResourcePolicy"));
  json::array errors;
  if (err) errors.push_back(object{{"CheckName", "SYNTAX_CHECK"}, {"ErrorMessage", err->message}});
  return object{{"PolicyValidationPassed", !err}, {"ValidationErrors", std::move(errors)}};
}

Outcome TagResource(const SecretsDeps& deps, const RequestContext&, object& in) {
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    for (const auto& t : GetArray(in, "Tags")) {
      if (!t.is_object()) continue;
      std::string k = GetString(t.as_object(), "Key");
      if (k.starts_with("aws:")) return InvalidParameter("Invalid tag key: tags beginning with aws: are reserved.");
      auto same = std::find_if(s.tags.begin(), s.tags.end(), [&](const json::value& e) {
        return e.is_object() && GetString(e.as_object(), "Key") == k;
      });
      if (same != s.tags.end()) {
        *same = t;
      } else {
        s.tags.push_back(t);
      }
    }
    if (s.tags.size() > 50) return InvalidParameter("Number of tags exceeds Secrets Manager's limit of 50 tags.");
    return std::nullopt;
  }, [](const Secret&) { return object{}; });
}

Outcome UntagResource(const SecretsDeps& deps, const RequestContext&, object& in) {
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    const json::array& keys = GetArray(in, "TagKeys");
    json::array kept;
    for (const auto& t : s.tags) {
      if (!t.is_object()) continue;
      json::value k(GetString(t.as_object(), "Key"));
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) kept.push_back(t);
    }
    s.tags = std::move(kept);
    return std::nullopt;
  }, [](const Secret&) { return object{}; });
}

Outcome GetRandomPassword(const SecretsDeps& deps, const RequestContext&, object& in) {
  int64_t length = GetInt(in, "PasswordLength").value_or(32);
  std::string exclude = GetString(in, "ExcludeCharacters");
  std::vector<std::string> classes;
  auto keep = [&](std::string chars) {
    std::string out;
    for (char c : chars) {
      if (exclude.find(c) == std::string::npos) out.push_back(c);
    }
    if (!out.empty()) classes.push_back(std::move(out));
  };
  if (!GetBool(in, "ExcludeLowercase").value_or(false)) keep("abcdefghijklmnopqrstuvwxyz");
  if (!GetBool(in, "ExcludeUppercase").value_or(false)) keep("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  if (!GetBool(in, "ExcludeNumbers").value_or(false)) keep("0123456789");
  if (!GetBool(in, "ExcludePunctuation").value_or(false)) keep("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
  if (GetBool(in, "IncludeSpace").value_or(false)) keep(" ");
  bool each = GetBool(in, "RequireEachIncludedType").value_or(true);
  if (classes.empty()) return InvalidParameter("The password must contain at least one character type.");
  if (each && length < static_cast<int64_t>(classes.size())) {
    return InvalidParameter("The password length is too short to include every required character type.");
  }
  std::string all;
  for (const auto& c : classes) all += c;
  auto pick = [&](const std::string& from) { return from[deps.random.Next() % from.size()]; };
  std::string password;
  if (each) {
    for (const auto& c : classes) password.push_back(pick(c));
  }
  while (static_cast<int64_t>(password.size()) < length) password.push_back(pick(all));
  // Shuffle so the required characters are not always first.
  for (size_t i = password.size(); i > 1; --i) std::swap(password[i - 1], password[deps.random.Next() % i]);
  return object{{"RandomPassword", password}};
}

}  // namespace wharf::api::secretsmanager
