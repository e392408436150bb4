// How the front door authorizes KMS requests (api/authz/kms_checks.cc says which key each
// operation is checked on): the key's policy, with the key's grants as more of its
// statements, is the resource policy, and it must allow by itself — by naming the caller, or
// by naming the account, which hands the decision to the caller's IAM policies — as KMS
// decides (ServiceEndpoint::resource_policy_required). A key with no policy (an AWS managed
// key) is left to IAM.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/authorize.h"
#include "api/authz/checks.h"
#include "api/kms/handlers.h"
#include "iam/evaluate.h"
#include "iam/policy.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

// A grant as the key policy statement it amounts to: its operations allowed to its grantee,
// under its encryption context constraints.
json::object GrantStatement(const object& grant) {
  json::array actions;
  for (const auto& op : GetArray(grant, "Operations")) {
    if (op.is_string()) actions.emplace_back("kms:" + std::string(op.get_string()));
  }
  std::string grantee = GetString(grant, "GranteePrincipal");
  json::object principal;
  if (grantee.ends_with(".amazonaws.com")) {
    principal["Service"] = grantee;
  } else {
    principal["AWS"] = grantee;
  }
  json::object statement{{"Sid", "grant-" + GetString(grant, "GrantId")},
                         {"Effect", "Allow"},
                         {"Principal", std::move(principal)},
                         {"Action", std::move(actions)},
                         {"Resource", "*"}};
  const object& constraints = GetObject(grant, "Constraints");
  json::object equals, condition;
  bool exact = Has(constraints, "EncryptionContextEquals");
  const object& context = GetObject(constraints, exact ? "EncryptionContextEquals" : "EncryptionContextSubset");
  json::array keys;
  for (const auto& [k, v] : context) {
    equals["kms:EncryptionContext:" + std::string(k)] = v;
    keys.emplace_back(k);
  }
  if (!equals.empty()) condition["StringEquals"] = std::move(equals);
  if (exact) condition["ForAllValues:StringEquals"] = json::object{{"kms:EncryptionContextKeys", std::move(keys)}};
  if (!condition.empty()) statement["Condition"] = std::move(condition);
  return statement;
}

}  // namespace

void AddKeyAuthorization(const KmsDeps& deps, ServiceEndpoint& endpoint) {
  const KmsDeps* d = &deps;
  endpoint.resource_policy_required = true;
  endpoint.resource_policy = [d](std::string_view arn) -> std::string {
    if (arn.find(":key/") == std::string_view::npos) return "";
    auto found = FindKey(*d, arn);
    auto* key = std::get_if<KmsKey>(&found);
    if (!key) return "";
    std::string policy = GetString(key->record, "Policy");
    const json::array& grants = GetArray(key->record, "Grants");
    if (policy.empty() || grants.empty()) return policy;
    boost::system::error_code ec;
    json::value doc = json::parse(policy, ec);
    if (ec || !doc.is_object()) return policy;
    json::value& statements = doc.as_object()["Statement"];
    if (statements.is_object()) statements = json::array{statements};
    if (!statements.is_array()) return policy;
    for (const auto& g : grants) {
      if (g.is_object()) statements.as_array().push_back(GrantStatement(g.as_object()));
    }
    return json::serialize(doc);
  };
  endpoint.resource_tags = [d](std::string_view arn) -> ResourceTags {
    if (arn.find(":key/") == std::string_view::npos) return {};
    auto found = FindKey(*d, arn);
    auto* key = std::get_if<KmsKey>(&found);
    return key ? TagPairs(GetArray(key->record, "Tags"), "TagKey", "TagValue") : ResourceTags();
  };
  // An alias (kms:RequestAlias) is authorized as the key it names; an alias that names none
  // is left as it is, and the handler answers NotFoundException.
  endpoint.resolve_check = [d](authz::Check& check) {
    for (const auto& [k, v] : check.keys) {
      if (k != "kms:RequestAlias") continue;
      auto key = ResolveKeyId(*d, check.resource);
      if (auto* id = std::get_if<std::string>(&key)) check.resource = KeyArn(*d, *id);
      return;
    }
  };
}

std::optional<AwsError> CheckPolicyLockout(const KmsDeps& deps, const RequestContext& ctx, const object& in,
                                           const std::string& policy, std::string_view key_arn) {
  if (!ctx.key_owner || GetBool(in, "BypassPolicyLockoutSafetyCheck").value_or(false)) return std::nullopt;
  const std::string action = "kms:PutKeyPolicy";
  bool allowed = false;
  if (ctx.key_owner->root) {
    // The root has no IAM policies: the key policy must allow it by itself (AWS's root is
    // bound by key policies, and this check is KMS's, not IAM's).
    auto parsed = iam::ParsePolicy(policy, {iam::PolicyKind::kResource, false, true});
    if (!parsed.ok()) return std::nullopt;  // CheckKeyPolicy has answered for a malformed one
    iam::RequestContext request;
    request.principal_arn = "arn:aws:iam::" + ctx.account_id + ":root";
    request.principal_kind = iam::PrincipalKind::kRoot;
    request.principal_account = ctx.account_id;
    request.action = action;
    request.resource = std::string(key_arn);
    allowed = iam::MatchPolicy(*parsed, request, true) == iam::PolicyMatch::kAllow;
  } else if (deps.authorizer) {
    // The caller's own policies weighed with the new key policy, as the front door will
    // weigh them on the next PutKeyPolicy.
    ServiceEndpoint with_new_policy;
    with_new_policy.resource_policy = [&policy](std::string_view) { return policy; };
    with_new_policy.resource_policy_required = true;
    auto denial = Denial(*deps.authorizer, ctx, {authz::Check{action, std::string(key_arn), {}}}, &with_new_policy);
    if (!denial.ok()) return KmsError(denial.status());
    allowed = !denial->has_value();
  } else {
    allowed = true;  // no authorizer (unit tests of the API alone): IAM is not weighed
  }
  if (allowed) return std::nullopt;
  return AwsError::Client("MalformedPolicyDocumentException",
                          "The new key policy will not allow you to update the key policy in the future.");
}

}  // namespace wharf::api::kms
