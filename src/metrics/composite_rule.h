// A composite alarm's AlarmRule (PutCompositeAlarm): a boolean expression over other alarms'
// states. Pure.
//
//   rule     := or
//   or       := and ("OR" and)*
//   and      := not ("AND" not)*
//   not      := "NOT" not | "(" rule ")" | "TRUE" | "FALSE" | state "(" alarm ")"
//   state    := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//   alarm    := a name or ARN, bare or in double quotes
// Keywords are upper case, as CloudWatch spells them; NOT binds tighter than AND, AND than OR.
// An ARN (arn:...:alarm:<name>) names the alarm after ":alarm:". At most kMaxRuleLength
// characters and kMaxRuleDepth nested parentheses or NOTs (the parser recurses).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::metrics {

inline constexpr size_t kMaxRuleLength = 10240;
inline constexpr int kMaxRuleDepth = 64;

class CompositeRule {
 public:
  // InvalidArgument with where the text stops making sense.
  static Result<CompositeRule> Parse(std::string_view text);

  // The alarms the rule names (its children), by name.
  const std::set<std::string>& alarms() const { return alarms_; }
  // The rule's value when `state_of` gives each child's StateValue (nullopt: no such alarm,
  // whose state functions are all FALSE).
  bool Evaluate(const std::function<std::optional<std::string>(const std::string& name)>& state_of) const;

  struct Node {
    enum class Kind { kTrue, kFalse, kState, kNot, kAnd, kOr } kind;
    std::string state, alarm;                  // kState: ALARM(alarm)
    std::vector<std::unique_ptr<Node>> args;   // kNot: one; kAnd/kOr: two or more
  };

 private:
  std::shared_ptr<const Node> root_;
  std::set<std::string> alarms_;
};

}  // namespace wharf::metrics
