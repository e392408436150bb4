#include "api/sts.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "base/clock.h"
#include "api/authorize.h"
#include "controlplane/authorizer.h"
#include "controlplane/records.h"
#include "iam/evaluate.h"
#include "iam/policy.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api {
namespace json = boost::json;
using json::object;

namespace {

constexpr int kChainedSessionMax = 3600;  // seconds: a role session assuming a role

AwsError AccessDenied(std::string message) { return AwsError{"AccessDenied", std::move(message), 403}; }
AwsError ValidationError(std::string message) { return AwsError{"ValidationError", std::move(message), 400}; }

std::string NotAuthorized(const RequestContext& ctx, std::string_view action, std::string_view resource) {
  // AWS says "User:" of role sessions too.
  return "User: " + ctx.principal_arn + " is not authorized to perform: " + std::string(action) +
         " on resource: " + std::string(resource);
}

struct Credentials {
  std::string access_key_id, secret, token;
  std::chrono::system_clock::time_point expiration;
};

Credentials NewCredentials(const StsDeps& deps, int duration_seconds) {
  Credentials c;
  c.access_key_id = "ASIA" + RandomAlnum(deps.random, 16, true);
  c.secret = RandomAlnum(deps.random, 40, false);
  // AWS's tokens are opaque base64 of a few hundred bytes; only equality matters here.
  c.token = "IQoJb3JpZ2luX2VjE" + RandomAlnum(deps.random, 340, false);
  c.expiration = std::chrono::time_point_cast<std::chrono::seconds>(deps.clock.Now()) +
                 std::chrono::seconds(duration_seconds);
  return c;
}

object CredentialsShape(const Credentials& c) {
  return object{{"AccessKeyId", c.access_key_id},
                {"SecretAccessKey", c.secret},
                {"SessionToken", c.token},
                {"Expiration", EpochSeconds(c.expiration)}};
}

// Writes the session record (docs/STATE.md) that CredentialStore::Lookup reads.
Status SaveSession(const StsDeps& deps, const Credentials& c, object record) {
  record["secretAccessKey"] = c.secret;
  record["sessionToken"] = c.token;
  record["expiration"] = std::chrono::duration_cast<std::chrono::seconds>(c.expiration.time_since_epoch()).count();
  std::string key = model::keys::IamSessionKey(c.access_key_id);
  auto r = deps.store.Commit(store::Txn{{store::Compare{key, 0}}, {store::Op::Put(key, json::serialize(record))}});
  return r.ok() ? Status::OK() : r.status();
}

std::optional<int> Duration(const object& in) { return wharf::GetInt(in, "DurationSeconds"); }

// The caller's policies as the authorizer knows them (none when there is no authorizer or
// the caller's user or role is gone).
std::shared_ptr<const controlplane::CallerPolicies> CallerPoliciesOf(const StsDeps& deps,
                                                                     const RequestContext& ctx) {
  static const auto kNone = std::make_shared<const controlplane::CallerPolicies>();
  if (!deps.authorizer) return kNone;
  auto policies = deps.authorizer->PoliciesOf(CallerOf(ctx));
  return policies.ok() ? *policies : kNone;
}

Outcome AssumeRole(const StsDeps& deps, const RequestContext& ctx, object& in) {
  const KeyOwner* owner = ctx.key_owner.get();
  if (!owner || owner->root) return AccessDenied("Roles may not be assumed by root accounts.");
  std::string role_arn = wharf::GetString(in, "RoleArn");
  std::string session_name = wharf::GetString(in, "RoleSessionName");
  if (in.contains("SerialNumber") || in.contains("TokenCode")) {
    return AccessDenied("MultiFactorAuthentication failed: no MFA device is registered in this account.");
  }
  // arn:aws:iam::<account>:role/<path><name>
  std::string prefix = "arn:aws:iam::" + ctx.account_id + ":role/";
  std::string denied = NotAuthorized(ctx, "sts:AssumeRole", role_arn);
  if (!role_arn.starts_with(prefix)) {
    if (!role_arn.starts_with("arn:")) return ValidationError(role_arn + " is invalid");
    return AccessDenied(denied);
  }
  std::string role_name = role_arn.substr(role_arn.rfind('/') + 1);
  auto kv = deps.store.Get(model::keys::IamRoleKey(role_name));
  if (!kv.ok()) return AwsError::Server("InternalFailure", kv.status().message());
  // A role that does not exist is refused as one the caller may not assume: AWS does not
  // tell which.
  if (!kv->has_value()) return AccessDenied(denied);
  auto record = wharf::ParseObject((*kv)->value);
  if (!record.ok()) return AwsError::Server("InternalFailure", "corrupt role record");
  const object& role = wharf::GetObject(*record, "Role");
  if (wharf::GetString(role, "Arn") != role_arn) return AccessDenied(denied);

  int max = static_cast<int>(wharf::GetInt(role, "MaxSessionDuration").value_or(3600));
  if (owner->role_session()) max = std::min(max, kChainedSessionMax);
  int duration = Duration(in).value_or(std::min(3600, max));
  if (duration > max) {
    return ValidationError(owner->role_session()
                               ? "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                               : "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }

  std::string policy_text = wharf::GetString(in, "Policy");
  size_t packed = 0;
  if (!policy_text.empty()) {
    auto parsed = iam::ParsePolicy(policy_text, {iam::PolicyKind::kIdentity, false});
    if (!parsed.ok()) return AwsError{"MalformedPolicyDocument", parsed.status().message(), 400};
    packed = iam::PolicySize(policy_text);
  }
  json::array policy_arns;
  for (const auto& p : wharf::GetArray(in, "PolicyArns")) {
    std::string arn = p.is_object() ? wharf::GetString(p.get_object(), "arn") : "";
    if (!arn.starts_with("arn:aws:iam::")) return ValidationError("Invalid policy ARN: " + arn);
    policy_arns.emplace_back(arn);
  }
  object tags;
  for (const auto& t : wharf::GetArray(in, "Tags")) {
    if (!t.is_object()) continue;
    tags[wharf::GetString(t.get_object(), "Key")] = wharf::GetString(t.get_object(), "Value");
  }
  // AWS packs the session policy and tags into the token; 2048 bytes packed is the limit.
  // Without AWS's compression the plain size stands in for it.
  for (const auto& [k, v] : tags) packed += k.size() + v.get_string().size();
  int packed_percent = static_cast<int>(packed * 100 / 2048);
  if (packed_percent > 100) {
    return AwsError{"PackedPolicyTooLarge",
                    "Packed size of the session policy and tags is " + std::to_string(packed_percent) +
                        "% of the allowed maximum.",
                    400};
  }

  // The trust policy, with the caller's own policies beside it.
  std::string trust_text = wharf::GetString(role, "AssumeRolePolicyDocument");
  auto trust = iam::ParsePolicy(trust_text, {iam::PolicyKind::kTrust, false});
  if (!trust.ok()) return AccessDenied(denied);
  auto caller_policies = CallerPoliciesOf(deps, ctx);
  iam::PolicySet set = caller_policies->Set(&*trust);
  set.resource_policy_required = true;
  iam::RequestContext request = EvaluationContext(ctx, *caller_policies, true);  // the trust policy may read any
  request.resource = role_arn;
  request.keys.Add("sts:RoleSessionName", session_name);
  if (in.contains("ExternalId")) request.keys.Add("sts:ExternalId", wharf::GetString(in, "ExternalId"));
  if (in.contains("SourceIdentity")) request.keys.Add("sts:SourceIdentity", wharf::GetString(in, "SourceIdentity"));
  for (const auto& [k, v] : tags) {
    request.keys.Add("aws:RequestTag/" + std::string(k), v.get_string());
    request.keys.Add("aws:TagKeys", k);
  }
  std::vector<std::string> actions{"sts:AssumeRole"};
  if (!tags.empty()) actions.emplace_back("sts:TagSession");
  if (in.contains("SourceIdentity")) actions.emplace_back("sts:SetSourceIdentity");
  for (const auto& action : actions) {
    request.action = action;
    if (!iam::Evaluate(request, set).allowed()) return AccessDenied(NotAuthorized(ctx, action, role_arn));
  }

  Credentials creds = NewCredentials(deps, duration);
  std::string role_id = wharf::GetString(role, "RoleId");
  object session{{"roleName", wharf::GetString(role, "RoleName")},
                 {"roleId", role_id},
                 {"sessionName", session_name},
                 {"sourceArn", ctx.principal_arn}};
  if (!policy_text.empty()) session["policy"] = policy_text;
  if (!policy_arns.empty()) session["policyArns"] = policy_arns;
  // Transitive tags pass to a chained session; here every tag of the caller's session does.
  if (owner->role_session()) {
    for (const auto& [k, v] : owner->session_tags) {
      if (!tags.contains(k)) tags[k] = v;
    }
  }
  if (!tags.empty()) session["tags"] = tags;
  if (in.contains("SourceIdentity")) session["sourceIdentity"] = wharf::GetString(in, "SourceIdentity");
  else if (!owner->source_identity.empty()) session["sourceIdentity"] = owner->source_identity;
  if (Status st = SaveSession(deps, creds, std::move(session)); !st.ok()) {
    return AwsError::Server("InternalFailure", st.message());
  }
  object out{{"Credentials", CredentialsShape(creds)},
             {"AssumedRoleUser",
              object{{"AssumedRoleId", role_id + ":" + session_name},
                     {"Arn", "arn:aws:sts::" + ctx.account_id + ":assumed-role/" +
                                 wharf::GetString(role, "RoleName") + "/" + session_name}}}};
  if (!policy_text.empty() || !tags.empty()) out["PackedPolicySize"] = packed_percent;
  if (in.contains("SourceIdentity")) out["SourceIdentity"] = wharf::GetString(in, "SourceIdentity");
  return out;
}

Outcome GetSessionToken(const StsDeps& deps, const RequestContext& ctx, object& in) {
  const KeyOwner* owner = ctx.key_owner.get();
  if (!owner) return AccessDenied("Cannot call GetSessionToken without credentials");
  if (owner->temporary()) return AccessDenied("Cannot call GetSessionToken with session credentials");
  if (in.contains("SerialNumber") || in.contains("TokenCode")) {
    return AccessDenied("MultiFactorAuthentication failed: no MFA device is registered in this account.");
  }
  int max = owner->root ? 3600 : 129600;
  int duration = Duration(in).value_or(owner->root ? 3600 : 43200);
  duration = std::min(duration, max);  // AWS shortens a root's request to an hour
  Credentials creds = NewCredentials(deps, duration);
  object session{{"sourceArn", ctx.principal_arn}};
  if (owner->root) {
    session["root"] = true;
  } else {
    session["userName"] = owner->user_name;
    session["userId"] = owner->user_id;
  }
  if (Status st = SaveSession(deps, creds, std::move(session)); !st.ok()) {
    return AwsError::Server("InternalFailure", st.message());
  }
  return object{{"Credentials", CredentialsShape(creds)}};
}

// The role record behind a role ARN of this account.
Result<object> RoleRecord(store::Store& store, std::string_view account_id, std::string_view role_arn) {
  std::string prefix = "arn:aws:iam::" + std::string(account_id) + ":role/";
  if (!role_arn.starts_with(prefix)) return Status::NotFound(std::string(role_arn));
  ASSIGN_OR_RETURN(auto kv, store.Get(model::keys::IamRoleKey(role_arn.substr(role_arn.rfind('/') + 1))));
  if (!kv) return Status::NotFound(std::string(role_arn));
  ASSIGN_OR_RETURN(object record, wharf::ParseObject(kv->value));
  if (wharf::GetString(wharf::GetObject(record, "Role"), "Arn") != role_arn) return Status::NotFound(std::string(role_arn));
  return record;
}

}  // namespace

Status CheckServiceMayAssume(store::Store& store, std::string_view account_id, std::string_view role_arn,
                             std::string_view service) {
  std::string refusal = "ECS was unable to assume the role '" + std::string(role_arn) +
                        "' that was provided for this task. Please verify that the role being passed has the "
                        "proper trust relationship and permissions and that your IAM user has permissions to "
                        "pass this role.";
  auto record = RoleRecord(store, account_id, role_arn);
  if (record.status().IsNotFound()) return Status::FailedPrecondition(refusal);
  if (!record.ok()) return record.status();
  auto trust = iam::ParsePolicy(wharf::GetString(wharf::GetObject(*record, "Role"), "AssumeRolePolicyDocument"),
                                {iam::PolicyKind::kTrust, false});
  if (!trust.ok()) return Status::FailedPrecondition(refusal);
  iam::RequestContext request;
  request.principal_kind = iam::PrincipalKind::kService;
  request.principal_arn = std::string(service);
  request.principal_account = std::string(account_id);
  request.action = "sts:AssumeRole";
  request.resource = std::string(role_arn);
  request.keys.Add("aws:PrincipalServiceName", service);
  iam::PolicySet set;
  set.resource = &*trust;
  set.resource_policy_required = true;
  if (!iam::Evaluate(request, set).allowed()) return Status::FailedPrecondition(refusal);
  return Status::OK();
}

Status CheckServiceMayActAs(store::Store& store, controlplane::Authorizer* authorizer, std::string_view account_id,
                            std::string_view region, std::string_view role_arn, std::string_view service,
                            std::string_view session_name,
                            const std::vector<std::pair<std::string, std::string>>& actions) {
  Status trusted = CheckServiceMayAssume(store, account_id, role_arn, service);
  if (trusted.IsFailedPrecondition()) {
    return Status::FailedPrecondition("ECS was unable to assume the role '" + std::string(role_arn) +
                                      "' that was provided for the load balancer's advancedConfiguration. Please "
                                      "verify that the role exists and that its trust relationship allows " +
                                      std::string(service) + " to assume it.");
  }
  RETURN_IF_ERROR(trusted);
  if (!authorizer || actions.empty()) return Status::OK();
  const std::string role_name(role_arn.substr(role_arn.rfind('/') + 1));
  controlplane::Caller caller;
  caller.kind = iam::PrincipalKind::kRoleSession;
  caller.arn = "arn:aws:sts::" + std::string(account_id) + ":assumed-role/" + role_name + "/" + std::string(session_name);
  caller.role_name = role_name;
  caller.session_key = "service:" + std::string(service) + ":" + std::string(role_arn);  // no session policies
  ASSIGN_OR_RETURN(auto policies, authorizer->PoliciesOf(caller));
  iam::RequestContext request;
  request.principal_kind = iam::PrincipalKind::kRoleSession;
  request.principal_arn = caller.arn;
  request.principal_account = std::string(account_id);
  request.role_arn = std::string(role_arn);
  request.keys.Add("aws:PrincipalArn", role_arn);
  request.keys.Add("aws:PrincipalAccount", account_id);
  request.keys.Add("aws:PrincipalType", "AssumedRole");
  request.keys.Add("aws:RoleSessionName", session_name);
  request.keys.Add("aws:RequestedRegion", region);
  request.keys.Add("aws:ViaAWSService", "false");
  for (const auto& tag : policies->principal_tags) request.keys.Add("aws:PrincipalTag/" + tag.first, tag.second);
  for (const auto& [action, resource] : actions) {
    request.action = action;
    request.resource = resource;
    iam::Decision decision = iam::Evaluate(request, policies->Set());
    if (!decision.allowed()) return Status::FailedPrecondition(iam::AccessDeniedMessage(request, decision));
  }
  return Status::OK();
}

Result<ServiceSession> AssumeRoleForService(const StsDeps& deps, std::string_view role_arn,
                                            std::string_view service, std::string_view session_name,
                                            std::chrono::seconds duration) {
  RETURN_IF_ERROR(CheckServiceMayAssume(deps.store, deps.account_id, role_arn, service));
  ASSIGN_OR_RETURN(object record, RoleRecord(deps.store, deps.account_id, role_arn));
  const object& role = wharf::GetObject(record, "Role");
  Credentials creds = NewCredentials(deps, static_cast<int>(duration.count()));
  object session{{"roleName", wharf::GetString(role, "RoleName")},
                 {"roleId", wharf::GetString(role, "RoleId")},
                 {"sessionName", session_name},
                 {"sourceArn", service}};
  RETURN_IF_ERROR(SaveSession(deps, creds, std::move(session)));
  return ServiceSession{creds.access_key_id, creds.secret, creds.token, creds.expiration};
}

Result<ServiceSession> SessionForUser(const StsDeps& deps, std::string_view user_name, std::string_view user_id,
                                      std::string_view user_arn, std::chrono::seconds duration,
                                      std::string_view session_policy) {
  Credentials creds = NewCredentials(deps, static_cast<int>(duration.count()));
  object session{{"sourceArn", user_arn}, {"userName", user_name}, {"userId", user_id}};
  if (!session_policy.empty()) session["policy"] = session_policy;
  RETURN_IF_ERROR(SaveSession(deps, creds, std::move(session)));
  return ServiceSession{creds.access_key_id, creds.secret, creds.token, creds.expiration};
}

Result<int> DeleteExpiredSessions(store::Store& store, Clock& clock, std::chrono::seconds grace) {
  ASSIGN_OR_RETURN(store::Page page, store.List(model::keys::kIamSessions, "", 0));
  int64_t before = std::chrono::duration_cast<std::chrono::seconds>((clock.Now() - grace).time_since_epoch()).count();
  int deleted = 0;
  for (const auto& kv : page.items) {
    auto record = wharf::ParseObject(kv.value);
    if (!record.ok()) continue;
    auto expiration = wharf::GetInt(*record, "expiration");
    if (!expiration || *expiration >= before) continue;
    // Unless it changed meanwhile; a session is never renewed, so that means nothing to do.
    ASSIGN_OR_RETURN(store::TxnResult r, store.Commit(store::Txn{{store::Compare{kv.key, kv.mod_revision}},
                                                                 {store::Op::Delete(kv.key)}}));
    if (r.succeeded) ++deleted;
  }
  return deleted;
}

Result<ServiceEndpoint> MakeStsEndpoint(const StsDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("sts"));
  endpoint.validation_error = "ValidationError";
  endpoint.to_error = [](const Status& s) { return AwsError::Server("InternalFailure", s.message()); };
  endpoint.operations["GetCallerIdentity"] = [](const RequestContext& ctx, object&) {
    return Outcome(object{{"UserId", ctx.principal_id.empty() ? ctx.access_key_id : ctx.principal_id},
                          {"Account", ctx.account_id},
                          {"Arn", ctx.principal_arn}});
  };
  endpoint.operations["AssumeRole"] = [deps](const RequestContext& ctx, object& in) {
    return AssumeRole(deps, ctx, in);
  };
  endpoint.operations["GetSessionToken"] = [deps](const RequestContext& ctx, object& in) {
    return GetSessionToken(deps, ctx, in);
  };
  return endpoint;
}

}  // namespace wharf::api
