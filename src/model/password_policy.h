// The account's password policy (UpdateAccountPasswordPolicy) and what it asks of a password:
// checked by CreateLoginProfile, UpdateLoginProfile and ChangePassword, and by the console's
// sign-in for the password's age. Without a policy of the account's own, IAM's default
// applies: at least 8 characters, of at least three of the four kinds (uppercase, lowercase,
// numbers, symbols).
//
// Pure. Thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::model {

struct PasswordPolicy {
  bool custom = false;  // false: IAM's default policy (no GetAccountPasswordPolicy answer)
  int minimum_length = 8;
  bool require_symbols = false;
  bool require_numbers = false;
  bool require_uppercase = false;
  bool require_lowercase = false;
  bool allow_users_to_change_password = false;
  int max_password_age_days = 0;   // 0: passwords never expire
  int reuse_prevention = 0;        // how many previous passwords may not be used again
  bool hard_expiry = false;        // an expired password cannot be changed by its user
};

// The stored record (GetAccountPasswordPolicy's PasswordPolicy shape) as a policy.
PasswordPolicy ParsePasswordPolicy(const boost::json::object& shape);
// GetAccountPasswordPolicy's PasswordPolicy: the fields IAM answers, ExpirePasswords among them.
boost::json::object PasswordPolicyShape(const PasswordPolicy& policy);

// The PasswordPolicyViolation message for a password the policy refuses; nullopt when it passes.
std::optional<std::string> PasswordViolation(const PasswordPolicy& policy, std::string_view password);

// IAM's symbols: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '
bool IsPasswordSymbol(char c);

}  // namespace wharf::model
