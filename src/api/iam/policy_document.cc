#include "api/iam/policy_document.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace wharf::api::iam {
namespace json = boost::json;

namespace {

Status Malformed(std::string message) { return Status::InvalidArgument(std::move(message)); }

bool HasEither(const json::object& s, std::string_view a, std::string_view b) {
  return s.contains(a) || s.contains(b);
}

Status CheckStatement(PolicyKind kind, const json::value& v) {
  if (!v.is_object()) return Malformed("Syntax errors in policy.");
  const json::object& s = v.get_object();
  auto effect = s.if_contains("Effect");
  if (!effect) return Malformed("Missing required field Effect");
  if (!effect->is_string() || (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
    return Malformed("Invalid effect: " + (effect->is_string() ? std::string(effect->get_string()) : "?"));
  }
  if (!HasEither(s, "Action", "NotAction")) return Malformed("Policy statement must contain actions.");
  if (kind == PolicyKind::kTrust) {
    if (HasEither(s, "Resource", "NotResource")) return Malformed("Has prohibited field Resource");
    if (!HasEither(s, "Principal", "NotPrincipal")) return Malformed("Missing required field Principal");
  } else {
    if (HasEither(s, "Principal", "NotPrincipal")) {
      return Malformed("Policy document should not specify a principal.");
    }
    if (!HasEither(s, "Resource", "NotResource")) return Malformed("Policy statement must contain resources.");
  }
  return Status::OK();
}

}  // namespace

Status ValidatePolicyDocument(PolicyKind kind, std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return Malformed("Syntax errors in policy.");
  const json::object& o = doc.get_object();
  if (auto version = o.if_contains("Version")) {
    if (!version->is_string() || (version->get_string() != "2012-10-17" && version->get_string() != "2008-10-17")) {
      return Malformed("The policy failed legacy parsing");
    }
  }
  auto statement = o.if_contains("Statement");
  if (!statement) return Malformed("Missing required field Statement");
  if (statement->is_array()) {
    if (statement->get_array().empty()) return Malformed("Missing required field Statement");
    for (const auto& s : statement->get_array()) RETURN_IF_ERROR(CheckStatement(kind, s));
    return Status::OK();
  }
  return CheckStatement(kind, *statement);
}

}  // namespace wharf::api::iam
