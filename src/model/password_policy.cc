#include "model/password_policy.h"

#include <cctype>

#include "model/json.h"

namespace wharf::model {

namespace json = boost::json;

PasswordPolicy ParsePasswordPolicy(const json::object& shape) {
  PasswordPolicy p;
  p.custom = true;
  p.minimum_length = static_cast<int>(GetInt(shape, "MinimumPasswordLength").value_or(6));
  p.require_symbols = GetBool(shape, "RequireSymbols").value_or(false);
  p.require_numbers = GetBool(shape, "RequireNumbers").value_or(false);
  p.require_uppercase = GetBool(shape, "RequireUppercaseCharacters").value_or(false);
  p.require_lowercase = GetBool(shape, "RequireLowercaseCharacters").value_or(false);
  p.allow_users_to_change_password = GetBool(shape, "AllowUsersToChangePassword").value_or(false);
  p.max_password_age_days = static_cast<int>(GetInt(shape, "MaxPasswordAge").value_or(0));
  p.reuse_prevention = static_cast<int>(GetInt(shape, "PasswordReusePrevention").value_or(0));
  p.hard_expiry = GetBool(shape, "HardExpiry").value_or(false);
  return p;
}

json::object PasswordPolicyShape(const PasswordPolicy& p) {
  json::object shape{{"MinimumPasswordLength", p.minimum_length},
                     {"RequireSymbols", p.require_symbols},
                     {"RequireNumbers", p.require_numbers},
                     {"RequireUppercaseCharacters", p.require_uppercase},
                     {"RequireLowercaseCharacters", p.require_lowercase},
                     {"AllowUsersToChangePassword", p.allow_users_to_change_password},
                     {"ExpirePasswords", p.max_password_age_days > 0}};
  // IAM leaves out what was never set.
  if (p.max_password_age_days > 0) shape["MaxPasswordAge"] = p.max_password_age_days;
  if (p.reuse_prevention > 0) shape["PasswordReusePrevention"] = p.reuse_prevention;
  if (p.max_password_age_days > 0 || p.hard_expiry) shape["HardExpiry"] = p.hard_expiry;
  return shape;
}

bool IsPasswordSymbol(char c) { return std::string_view("!@#$%^&*()_+-=[]{}|'").find(c) != std::string_view::npos; }

std::optional<std::string> PasswordViolation(const PasswordPolicy& p, std::string_view password) {
  bool upper = false, lower = false, number = false, symbol = false;
  for (char c : password) {
    unsigned char u = static_cast<unsigned char>(c);
    upper |= std::isupper(u) != 0;
    lower |= std::islower(u) != 0;
    number |= std::isdigit(u) != 0;
    symbol |= IsPasswordSymbol(c);
  }
  if (!p.custom) {
    if (password.size() < 8) return "Password should have a minimum length of 8";
    if (int{upper} + int{lower} + int{number} + int{symbol} < 3) {
      return "Password should have at least three of: uppercase letters, lowercase letters, numbers and "
             "symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')";
    }
    return std::nullopt;
  }
  // The account's own policy: IAM names no rule, only the policy.
  if (static_cast<int>(password.size()) < p.minimum_length || (p.require_symbols && !symbol) ||
      (p.require_numbers && !number) || (p.require_uppercase && !upper) || (p.require_lowercase && !lower)) {
    return "Password does not conform to the account password policy.";
  }
  return std::nullopt;
}

}  // namespace wharf::model
