// The policy simulator: SimulatePrincipalPolicy (a user's, group's or role's policies, with
// more given) and SimulateCustomPolicy (only the policies given), evaluated by the same logic
// that authorizes every request (iam/evaluate.h), for each action and resource asked.
#include <boost/json/array.hpp>

#include "api/iam/handlers.h"
#include "api/iam/managed_policies.h"
#include "controlplane/records.h"
#include "iam/evaluate.h"
#include "iam/policy.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

// A policy taking part, with what MatchedStatements says of it.
struct SimPolicy {
  std::string id;    // SourcePolicyId
  std::string type;  // SourcePolicyType: user, group, role, aws-managed, user-managed, resource, none
  wharf::iam::Policy policy;
};

struct Simulation {
  std::vector<SimPolicy> identity;
  std::vector<SimPolicy> boundary;  // at most one applies; the given list's are all checked
  std::optional<SimPolicy> resource;
  wharf::iam::RequestContext request;
};

std::variant<SimPolicy, AwsError> Parse(std::string id, std::string type, std::string_view text,
                                        wharf::iam::PolicyKind kind) {
  auto policy = wharf::iam::ParsePolicy(text, {kind});
  if (!policy.ok()) return InvalidInput("Policy " + id + " is not valid: " + std::string(policy.status().message()));
  return SimPolicy{std::move(id), std::move(type), std::move(policy).value()};
}

// A managed policy's default version, as SimPolicy.
std::variant<SimPolicy, AwsError> Managed(const Deps& deps, std::string_view arn) {
  if (fields::IsAwsManagedPolicyArn(arn)) {
    const ManagedPolicy* p = FindManagedPolicy(arn);
    if (!p) return NoSuchEntity("Policy " + std::string(arn) + " was not found.");
    return Parse(std::string(arn), "aws-managed", p->document, wharf::iam::PolicyKind::kIdentity);
  }
  auto found = controlplane::ReadRecord(deps.store, model::keys::IamPolicyKey(arn.substr(arn.rfind('/') + 1)));
  if (!found.ok()) return IamError(found.status());
  if (*found) {
    for (const auto& v : wharf::GetArray((*found)->value, fields::kVersions)) {
      if (wharf::GetBool(v.get_object(), "IsDefaultVersion").value_or(false)) {
        return Parse(std::string(arn), "user-managed", wharf::GetString(v.get_object(), "Document"),
                     wharf::iam::PolicyKind::kIdentity);
      }
    }
  }
  return NoSuchEntity("Policy " + std::string(arn) + " was not found.");
}

// An entity's inline and attached policies added to `out` (`type`: user, group, role), and
// its permissions boundary when it has one.
std::optional<AwsError> AddEntity(const Deps& deps, const object& record, std::string_view shape, std::string type,
                                  Simulation& out) {
  for (const auto& [name, document] : wharf::GetObject(record, fields::kInlinePolicies)) {
    if (!document.is_string()) continue;
    auto p = Parse(std::string(name), type, document.get_string(), wharf::iam::PolicyKind::kIdentity);
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.identity.push_back(std::get<SimPolicy>(std::move(p)));
  }
  for (const auto& arn : wharf::GetArray(record, fields::kAttachedPolicies)) {
    if (!arn.is_string()) continue;
    auto p = Managed(deps, arn.get_string());
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.identity.push_back(std::get<SimPolicy>(std::move(p)));
  }
  std::string boundary = wharf::GetString(wharf::GetObject(wharf::GetObject(record, shape), "PermissionsBoundary"),
                                          "PermissionsBoundaryArn");
  if (!boundary.empty()) {
    auto p = Managed(deps, boundary);
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.boundary.push_back(std::get<SimPolicy>(std::move(p)));
  }
  return std::nullopt;
}

std::optional<AwsError> Read(const Deps& deps, const std::string& key, std::string_view arn, object& record) {
  auto found = controlplane::ReadRecord(deps.store, key);
  if (!found.ok()) return IamError(found.status());
  if (!*found) return NoSuchEntity("The entity " + std::string(arn) + " does not exist.");
  record = std::move((*found)->value);
  return std::nullopt;
}

// The policies of the user, group or role `arn` names (SimulatePrincipalPolicy).
std::optional<AwsError> AddPrincipal(const Deps& deps, std::string_view arn, Simulation& out) {
  std::string prefix = "arn:aws:iam::" + deps.account_id + ":";
  if (arn.rfind(prefix, 0) != 0) return InvalidInput("PolicySourceArn " + std::string(arn) + " is not a user, group or role of this account.");
  std::string_view rest = arn.substr(prefix.size());
  std::string_view kind = rest.substr(0, rest.find('/'));
  std::string name(rest.substr(rest.rfind('/') + 1));
  object record;
  if (kind == "user") {
    if (auto err = Read(deps, model::keys::IamUserKey(name), arn, record)) return err;
    if (auto err = AddEntity(deps, record, "User", "user", out)) return err;
    for (const auto& group : wharf::GetArray(record, fields::kGroups)) {
      object group_record;
      if (!group.is_string() || Read(deps, model::keys::IamGroupKey(group.get_string()), arn, group_record)) continue;
      Simulation groups;
      if (auto err = AddEntity(deps, group_record, "Group", "group", groups)) return err;
      for (auto& p : groups.identity) out.identity.push_back(std::move(p));
    }
    out.request.principal_kind = wharf::iam::PrincipalKind::kUser;
    out.request.principal_arn = std::string(arn);
    return std::nullopt;
  }
  if (kind == "group") {
    if (auto err = Read(deps, model::keys::IamGroupKey(name), arn, record)) return err;
    out.request.principal_kind = wharf::iam::PrincipalKind::kUser;
    return AddEntity(deps, record, "Group", "group", out);
  }
  if (kind == "role") {
    if (auto err = Read(deps, model::keys::IamRoleKey(name), arn, record)) return err;
    out.request.principal_kind = wharf::iam::PrincipalKind::kRoleSession;
    out.request.role_arn = std::string(arn);
    out.request.principal_arn = "arn:aws:sts::" + deps.account_id + ":assumed-role/" + name + "/simulation";
    return AddEntity(deps, record, "Role", "role", out);
  }
  return InvalidInput("PolicySourceArn " + std::string(arn) + " is not a user, group or role.");
}

// The policies given in the request, the context entries, the caller and the resource owner.
std::optional<AwsError> AddGiven(const Deps& deps, const object& in, Simulation& out) {
  int n = 0;
  for (const auto& text : wharf::GetArray(in, "PolicyInputList")) {
    auto p = Parse("PolicyInputList." + std::to_string(++n), "none", text.as_string(), wharf::iam::PolicyKind::kIdentity);
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.identity.push_back(std::get<SimPolicy>(std::move(p)));
  }
  n = 0;
  for (const auto& text : wharf::GetArray(in, "PermissionsBoundaryPolicyInputList")) {
    auto p = Parse("PermissionsBoundaryPolicyInputList." + std::to_string(++n), "none", text.as_string(),
                   wharf::iam::PolicyKind::kIdentity);
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.boundary.push_back(std::get<SimPolicy>(std::move(p)));
  }
  if (std::string text = Arg(in, "ResourcePolicy"); !text.empty()) {
    auto p = Parse("ResourcePolicy", "resource", text, wharf::iam::PolicyKind::kResource);
    if (auto* err = std::get_if<AwsError>(&p)) return *err;
    out.resource = std::get<SimPolicy>(std::move(p));
  }
  if (wharf::Has(in, "ResourceHandlingOption")) {
    return InvalidInput("ResourceHandlingOption (EC2 scenarios) is not supported by wharf.");
  }
  if (std::string caller = Arg(in, "CallerArn"); !caller.empty()) {
    if (caller.find(":user/") == std::string::npos) return InvalidInput("CallerArn must be the ARN of an IAM user.");
    out.request.principal_arn = caller;
    out.request.principal_kind = wharf::iam::PrincipalKind::kUser;
  } else if (out.resource && out.request.principal_arn.empty()) {
    return InvalidInput("CallerArn must be given with a ResourcePolicy and no user to simulate.");
  }
  if (std::string owner = Arg(in, "ResourceOwner"); !owner.empty()) {
    // arn:aws:iam::<account>:root, or an account id.
    size_t at = owner.rfind("::");
    out.request.resource_account = at == std::string::npos ? owner : owner.substr(at + 2, owner.find(':', at + 2) - at - 2);
  }
  out.request.principal_account = deps.account_id;
  for (const auto& v : wharf::GetArray(in, "ContextEntries")) {
    const object& entry = v.as_object();
    std::string key = Str(entry, "ContextKeyName");
    if (key.empty()) return InvalidInput("ContextKeyName must be given for each context entry.");
    for (const auto& value : wharf::GetArray(entry, "ContextKeyValues")) {
      if (value.is_string()) out.request.keys.Add(key, value.get_string());
    }
  }
  return std::nullopt;
}

const char* DecisionName(wharf::iam::Effect e) {
  switch (e) {
    case wharf::iam::Effect::kAllow: return "allowed";
    case wharf::iam::Effect::kExplicitDeny: return "explicitDeny";
    case wharf::iam::Effect::kImplicitDeny: return "implicitDeny";
  }
  return "implicitDeny";
}

// One EvaluationResult: the decision, the policies whose statements decided it, and whether
// the permissions boundary allowed the request.
object Evaluate(const Simulation& sim, const std::string& action, const std::string& resource) {
  wharf::iam::RequestContext request = sim.request;
  request.action = action;
  request.resource = resource;
  wharf::iam::PolicySet set;
  for (const auto& p : sim.identity) set.identity.push_back(&p.policy);
  if (sim.resource) set.resource = &sim.resource->policy;
  // Several boundaries given: each must allow, so the first that does not decides.
  const SimPolicy* boundary = nullptr;
  for (const auto& p : sim.boundary) {
    if (!boundary) boundary = &p;
    if (wharf::iam::MatchPolicy(p.policy, request, false) != wharf::iam::PolicyMatch::kAllow) {
      boundary = &p;
      break;
    }
  }
  if (boundary) set.permissions_boundary = &boundary->policy;
  wharf::iam::Decision decision = wharf::iam::Evaluate(request, set);

  auto wanted = decision.effect == wharf::iam::Effect::kExplicitDeny ? wharf::iam::PolicyMatch::kDeny
                                                                     : wharf::iam::PolicyMatch::kAllow;
  array matched;
  if (decision.effect != wharf::iam::Effect::kImplicitDeny) {
    for (const auto& p : sim.identity) {
      if (wharf::iam::MatchPolicy(p.policy, request, false) == wanted) {
        matched.push_back(object{{"SourcePolicyId", p.id}, {"SourcePolicyType", p.type}});
      }
    }
    if (sim.resource && wharf::iam::MatchPolicy(sim.resource->policy, request, true) == wanted) {
      matched.push_back(object{{"SourcePolicyId", sim.resource->id}, {"SourcePolicyType", "resource"}});
    }
  }
  object result{{"EvalActionName", action},
                {"EvalResourceName", resource},
                {"EvalDecision", DecisionName(decision.effect)},
                {"MatchedStatements", std::move(matched)},
                {"MissingContextValues", array{}}};
  if (boundary) {
    result["PermissionsBoundaryDecisionDetail"] = object{
        {"AllowedByPermissionsBoundary",
         wharf::iam::MatchPolicy(boundary->policy, request, false) == wharf::iam::PolicyMatch::kAllow}};
  }
  return result;
}

Outcome Simulate(const object& in, const Simulation& sim) {
  const array& actions = wharf::GetArray(in, "ActionNames");
  if (actions.empty()) return InvalidInput("ActionNames must name at least one action.");
  array resources = wharf::GetArray(in, "ResourceArns");
  if (resources.empty()) resources.push_back("*");
  array results;
  for (const auto& action : actions) {
    std::string name(action.as_string());
    if (name.find(':') == std::string::npos) return InvalidInput("Action " + name + " is not of the form service:action.");
    for (const auto& resource : resources) results.push_back(Evaluate(sim, name, std::string(resource.as_string())));
  }
  return Paginate(std::move(results), in, "EvaluationResults");
}

}  // namespace

Outcome SimulatePrincipalPolicy(const Deps& deps, const RequestContext&, object& in) {
  Simulation sim;
  if (auto err = AddPrincipal(deps, Arg(in, "PolicySourceArn"), sim)) return *err;
  if (auto err = AddGiven(deps, in, sim)) return *err;
  return Simulate(in, sim);
}

Outcome SimulateCustomPolicy(const Deps& deps, const RequestContext&, object& in) {
  if (wharf::GetArray(in, "PolicyInputList").empty()) return InvalidInput("PolicyInputList must hold at least one policy.");
  Simulation sim;
  sim.request.principal_kind = wharf::iam::PrincipalKind::kUser;
  if (auto err = AddGiven(deps, in, sim)) return *err;
  return Simulate(in, sim);
}

}  // namespace wharf::api::iam
