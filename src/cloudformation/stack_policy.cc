#include "cloudformation/stack_policy.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/glob.h"

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

Status Malformed(std::string why) { return Status::InvalidArgument("Error validating stack policy: " + why); }

// A string or a list of strings.
Result<std::vector<std::string>> Strings(const json::object& o, std::string_view member) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(member);
  if (!v) return out;
  if (v->is_string()) {
    out.emplace_back(v->get_string());
    return out;
  }
  if (!v->is_array()) return Malformed(std::string(member) + " must be a string or a list of strings");
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return Malformed(std::string(member) + " must be a string or a list of strings");
    out.emplace_back(item.get_string());
  }
  return out;
}

bool AnyMatch(const std::vector<std::string>& patterns, std::string_view text) {
  for (const auto& p : patterns) {
    if (GlobMatch(p, text, {.question_mark = true})) return true;
  }
  return false;
}

}  // namespace

Result<StackPolicy> StackPolicy::Parse(std::string_view body) {
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec, {}, options);
  if (ec || !doc.is_object()) return Malformed("the policy is not a JSON object");
  const json::value* statements = doc.get_object().if_contains("Statement");
  if (!statements) return Malformed("the policy has no Statement");
  json::array list = statements->is_array() ? statements->get_array() : json::array{*statements};
  StackPolicy policy;
  for (const auto& v : list) {
    if (!v.is_object()) return Malformed("every Statement must be an object");
    const json::object& o = v.get_object();
    Statement s;
    const json::value* effect = o.if_contains("Effect");
    if (!effect || !effect->is_string() || (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
      return Malformed("every Statement needs Effect Allow or Deny");
    }
    s.allow = effect->get_string() == "Allow";
    ASSIGN_OR_RETURN(s.actions, Strings(o, "Action"));
    ASSIGN_OR_RETURN(s.not_actions, Strings(o, "NotAction"));
    ASSIGN_OR_RETURN(s.resources, Strings(o, "Resource"));
    ASSIGN_OR_RETURN(s.not_resources, Strings(o, "NotResource"));
    if (s.actions.empty() == s.not_actions.empty()) return Malformed("every Statement needs one of Action and NotAction");
    if (s.resources.empty() == s.not_resources.empty()) return Malformed("every Statement needs one of Resource and NotResource");
    for (const auto& a : s.actions) {
      if (!a.starts_with("Update:")) return Malformed("unknown action " + a);
    }
    const json::value* principal = o.if_contains("Principal");
    if (!principal || !principal->is_string() || principal->get_string() != "*") {
      return Malformed("Principal must be \"*\"");
    }
    if (const json::value* condition = o.if_contains("Condition")) {
      if (!condition->is_object()) return Malformed("Condition must be an object");
      for (const auto& [op, test] : condition->get_object()) {
        if ((op != "StringEquals" && op != "StringLike") || !test.is_object()) {
          return Malformed("Condition supports StringEquals and StringLike on ResourceType");
        }
        for (const auto& [key, values] : test.get_object()) {
          if (key != "ResourceType") return Malformed("Condition supports only the ResourceType key");
          ASSIGN_OR_RETURN(auto types, Strings(test.get_object(), key));
          s.types.insert(s.types.end(), types.begin(), types.end());
        }
        s.types_like = op == "StringLike";
      }
    }
    policy.statements_.push_back(std::move(s));
  }
  return policy;
}

bool StackPolicy::Applies(const Statement& s, std::string_view action, std::string_view logical_id,
                          std::string_view resource_type) const {
  bool action_matches = s.actions.empty() ? !AnyMatch(s.not_actions, action) : AnyMatch(s.actions, action);
  std::string resource = "LogicalResourceId/" + std::string(logical_id);
  bool resource_matches = s.resources.empty() ? !AnyMatch(s.not_resources, resource) : AnyMatch(s.resources, resource);
  bool type_matches = s.types.empty();
  for (const auto& t : s.types) {
    type_matches = type_matches || (s.types_like ? GlobMatch(t, resource_type, {.question_mark = true}) : t == resource_type);
  }
  return action_matches && resource_matches && type_matches;
}

std::optional<std::string> StackPolicy::Denied(std::string_view action, std::string_view logical_id,
                                               std::string_view resource_type) const {
  bool allowed = false;
  for (size_t i = 0; i < statements_.size(); ++i) {
    const Statement& s = statements_[i];
    if (!Applies(s, action, logical_id, resource_type)) continue;
    if (!s.allow) {
      return "Action denied by stack policy: Statement [#" + std::to_string(i + 1) + "] has a Deny effect on [" +
             std::string(action) + "] for [LogicalResourceId/" + std::string(logical_id) + "]";
    }
    allowed = true;
  }
  if (allowed) return std::nullopt;
  return "Action denied by stack policy: no statement allows [" + std::string(action) + "] on [LogicalResourceId/" +
         std::string(logical_id) + "]";
}

}  // namespace wharf::cloudformation
