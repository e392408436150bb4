// The account's password policy, an IAM user changing its own password, and the account
// alias. A password is kept only as a salted, stretched hash, with as many earlier hashes as
// the policy's PasswordReusePrevention needs to refuse them.
#include "api/iam/handlers.h"
#include "base/crypto.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

constexpr std::string_view kHistory = "history";
constexpr std::string_view kPasswordChanged = "passwordChanged";

Result<model::PasswordPolicy> PolicyFrom(const std::optional<object>& stored) {
  return stored ? model::ParsePasswordPolicy(*stored) : model::PasswordPolicy{};
}

bool Matches(const object& entry, std::string_view password) {
  std::string expected = wharf::GetString(entry, fields::kPasswordHash);
  return !expected.empty() &&
         ConstantTimeEquals(model::iam::LoginPasswordHash(wharf::GetString(entry, fields::kPasswordSalt), password),
                            expected);
}

bool AliasIsValid(std::string_view alias) {
  if (alias.size() < 3 || alias.size() > 63 || alias.front() == '-' || alias.back() == '-') return false;
  for (char c : alias) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

Result<model::PasswordPolicy> AccountPasswordPolicy(store::Store& store) {
  ASSIGN_OR_RETURN(auto got, store.Get(model::keys::kIamPasswordPolicy));
  if (!got.has_value()) return model::PasswordPolicy{};
  ASSIGN_OR_RETURN(object stored, wharf::ParseObject(got->value));
  return model::ParsePasswordPolicy(stored);
}

Result<std::string> AccountAlias(store::Store& store) {
  ASSIGN_OR_RETURN(auto got, store.Get(model::keys::kIamAccountAlias));
  if (!got.has_value()) return std::string();
  ASSIGN_OR_RETURN(object stored, wharf::ParseObject(got->value));
  return Str(stored, "alias");
}

Result<model::PasswordPolicy> ReadPasswordPolicy(store::Draft& draft) {
  ASSIGN_OR_RETURN(auto stored, Read(draft, std::string(model::keys::kIamPasswordPolicy)));
  return PolicyFrom(stored);
}

std::optional<AwsError> SetPassword(const Deps& deps, const model::PasswordPolicy& policy, object& profile,
                                    std::string_view password) {
  if (auto violation = model::PasswordViolation(policy, password)) {
    return AwsError{"PasswordPolicyViolation", *violation, 400};
  }
  array& history = ArrayField(profile, kHistory);
  if (profile.contains(fields::kPasswordHash)) {
    history.insert(history.begin(), object{{fields::kPasswordSalt, profile.at(fields::kPasswordSalt)},
                                           {fields::kPasswordHash, profile.at(fields::kPasswordHash)}});
  }
  // The current password and the ones before it, as many as the policy remembers.
  size_t remembered = static_cast<size_t>(policy.reuse_prevention);
  if (history.size() > remembered) history.resize(remembered);
  for (const auto& entry : history) {
    if (entry.is_object() && Matches(entry.get_object(), password)) {
      return AwsError{"PasswordPolicyViolation", "Password does not conform to the account password policy.", 400};
    }
  }
  if (history.empty()) profile.erase(kHistory);
  std::string salt = RandomHex(deps.random, 32);
  profile[fields::kPasswordSalt] = salt;
  profile[fields::kPasswordHash] = model::iam::LoginPasswordHash(salt, password);
  profile[kPasswordChanged] = static_cast<int64_t>(Now(deps));
  return std::nullopt;
}

bool PasswordExpired(const model::PasswordPolicy& policy, const object& profile, double now) {
  if (policy.max_password_age_days <= 0) return false;
  auto changed = wharf::GetInt(profile, kPasswordChanged);
  const json::value* created = profile.if_contains("CreateDate");
  double since = changed                                ? static_cast<double>(*changed)
                 : created && created->is_number() ? created->to_number<double>()
                                                        : now;
  return now - since > policy.max_password_age_days * 86400.0;
}

Outcome UpdateAccountPasswordPolicy(const Deps& deps, const RequestContext&, object& in) {
  object shape;
  for (const char* name : {"MinimumPasswordLength", "RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters",
                           "RequireLowercaseCharacters", "AllowUsersToChangePassword", "MaxPasswordAge",
                           "PasswordReusePrevention", "HardExpiry"}) {
    if (in.contains(name)) shape[name] = in.at(name);
  }
  // What the call leaves out takes IAM's default, not the previous policy's value.
  object stored = model::PasswordPolicyShape(model::ParsePasswordPolicy(shape));
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    Write(draft, std::string(model::keys::kIamPasswordPolicy), stored);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome GetAccountPasswordPolicy(const Deps& deps, const RequestContext&, object&) {
  auto got = deps.store.Get(model::keys::kIamPasswordPolicy);
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) {
    return NoSuchEntity("The Password Policy with domain name " + deps.account_id + " cannot be found.");
  }
  ASSIGN_OR_FAIL(object stored, wharf::ParseObject((*got)->value), IamError);
  return object{{"PasswordPolicy", model::PasswordPolicyShape(model::ParsePasswordPolicy(stored))}};
}

Outcome DeleteAccountPasswordPolicy(const Deps& deps, const RequestContext&, object&) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto stored, Read(draft, std::string(model::keys::kIamPasswordPolicy)));
    if (!stored) return Decision(NoSuchEntity("The account policy with name PasswordPolicy cannot be found."));
    draft.Delete(std::string(model::keys::kIamPasswordPolicy));
    return Decision(store::Commit(Outcome(object())));
  });
}

// The caller's own password: an IAM user (or its session) who knows the current one.
Outcome ChangePassword(const Deps& deps, const RequestContext& ctx, object& in) {
  if (ctx.user_name.empty()) {
    return AwsError{"InvalidUserType",
                    "ChangePassword changes the password of the IAM user who calls it; the caller is not an IAM "
                    "user (the account's root password is not changed by this operation).",
                    400};
  }
  std::string old_password = Arg(in, "OldPassword");
  std::string new_password = Arg(in, "NewPassword");
  double now = Now(deps);
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, ctx.user_name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    if (!record.contains(fields::kLoginProfile)) {
      return Decision(NoSuchEntity("Login Profile for User " + ctx.user_name + " cannot be found."));
    }
    object& profile = ObjectField(record, fields::kLoginProfile);
    if (!Matches(profile, old_password)) {
      return Decision(AwsError{"AccessDenied", "The old password is incorrect.", 403});
    }
    ASSIGN_OR_RETURN(model::PasswordPolicy policy, ReadPasswordPolicy(draft));
    if (policy.hard_expiry && PasswordExpired(policy, profile, now)) {
      return Decision(AwsError{"AccessDenied",
                               "The password has expired and the account's password policy (HardExpiry) lets only "
                               "an administrator set a new one.",
                               403});
    }
    if (auto err = SetPassword(deps, policy, profile, new_password)) return Decision(*err);
    profile["PasswordResetRequired"] = false;
    Write(draft, kUser.key(ctx.user_name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome CreateAccountAlias(const Deps& deps, const RequestContext&, object& in) {
  std::string alias = Arg(in, "AccountAlias");
  if (!AliasIsValid(alias)) {
    return ValidationError("The specified value for accountAlias is invalid. It must contain only lowercase "
                           "letters, digits and hyphens, and may not begin or end with a hyphen.");
  }
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto stored, Read(draft, std::string(model::keys::kIamAccountAlias)));
    if (stored && Str(*stored, "alias") == alias) {
      return Decision(EntityAlreadyExists("The account alias " + alias + " already exists."));
    }
    // An account has one alias: a new one replaces it, as the console's "Edit" does.
    Write(draft, std::string(model::keys::kIamAccountAlias), object{{"alias", alias}});
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome DeleteAccountAlias(const Deps& deps, const RequestContext&, object& in) {
  std::string alias = Arg(in, "AccountAlias");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto stored, Read(draft, std::string(model::keys::kIamAccountAlias)));
    if (!stored || Str(*stored, "alias") != alias) {
      return Decision(NoSuchEntity("The account alias " + alias + " cannot be found."));
    }
    draft.Delete(std::string(model::keys::kIamAccountAlias));
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome ListAccountAliases(const Deps& deps, const RequestContext&, object& in) {
  auto got = deps.store.Get(model::keys::kIamAccountAlias);
  if (!got.ok()) return IamError(got.status());
  array aliases;
  if (got->has_value()) {
    ASSIGN_OR_FAIL(object stored, wharf::ParseObject((*got)->value), IamError);
    aliases.emplace_back(json::string(Str(stored, "alias")));
  }
  return Paginate(std::move(aliases), in, "AccountAliases");
}

}  // namespace wharf::api::iam
