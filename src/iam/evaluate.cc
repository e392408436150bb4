#include "iam/evaluate.h"

#include <algorithm>

#include "iam/policy_values.h"

namespace wharf::iam {

void ConditionKeys::Add(std::string_view key, std::string_view value) {
  std::string k = ToLower(key);
  for (auto& [name, values] : entries_) {
    if (name == k) {
      values.emplace_back(value);
      return;
    }
  }
  entries_.emplace_back(std::move(k), std::vector<std::string>{std::string(value)});
}

void ConditionKeys::Set(std::string_view key, std::string_view value) {
  std::string k = ToLower(key);
  for (auto& [name, values] : entries_) {
    if (name == k) {
      values.assign(1, std::string(value));
      return;
    }
  }
  entries_.emplace_back(std::move(k), std::vector<std::string>{std::string(value)});
}

const std::vector<std::string>* ConditionKeys::Find(std::string_view lowercase_key) const {
  for (const auto& [name, values] : entries_) {
    if (name == lowercase_key) return values.empty() ? nullptr : &values;
  }
  return nullptr;
}

namespace {

// What evaluation computes once per request.
struct Prepared {
  explicit Prepared(const RequestContext& r)
      : request(r), action(ToLower(r.action)), resource(SplitArnParts(r.resource)) {
    size_t colon = action.find(':');
    vendor = std::string_view(action).substr(0, colon);
    if (colon != std::string::npos) name = std::string_view(action).substr(colon + 1);
  }
  const RequestContext& request;
  std::string action;  // lowercased
  std::string_view vendor;
  std::string_view name;
  ArnParts resource;
};

bool ActionMatches(const ActionPattern& p, const Prepared& r) {
  if (p.vendor != "*" && p.vendor != r.vendor) return false;
  if (!p.name.has_wildcards) return p.name.source == r.name;
  if (p.name.source == "*") return true;
  return GlobMatches(p.name.glob, r.name);
}

// The glob of a pattern for this request: its own, or substituted. nullopt: a variable had
// no value, so the pattern matches nothing.
std::optional<std::string_view> GlobFor(const Pattern& p, const ConditionKeys& keys,
                                        std::optional<std::string>* storage) {
  if (!p.has_variables) return std::string_view(p.glob);
  *storage = Substitute(p.source, keys, SubstituteInto::kGlob);
  if (!*storage) return std::nullopt;
  return std::string_view(**storage);
}

bool ResourceMatches(const ArnPattern& p, const Prepared& r) {
  if (p.any) return true;
  if (!p.pattern.has_variables) return ArnPatternMatches(p, r.resource);
  std::optional<std::string> storage;
  std::optional<std::string_view> glob = GlobFor(p.pattern, r.request.keys, &storage);
  return glob && ArnGlobMatches(*glob, r.request.resource);
}

// How a resource-based policy's principal names the requester: a grant to the account only
// delegates to the identity-based policies; one to the role is limited by the boundary and
// session policies; one to the user, the session or everyone is not.
enum class Grade { kNone, kAccount, kRole, kDirect };

Grade PrincipalGrade(const PrincipalSet& set, const RequestContext& r) {
  if (set.any) return Grade::kDirect;
  Grade best = Grade::kNone;
  if (r.principal_kind == PrincipalKind::kService) {
    if (std::find(set.service.begin(), set.service.end(), r.principal_arn) != set.service.end()) {
      return Grade::kDirect;
    }
    return Grade::kNone;
  }
  if (std::find(set.federated.begin(), set.federated.end(), r.principal_arn) != set.federated.end()) {
    return Grade::kDirect;
  }
  for (const std::string& arn : set.aws) {
    if (arn == r.principal_arn) return Grade::kDirect;
    if (!r.role_arn.empty() && arn == r.role_arn) best = std::max(best, Grade::kRole);
    // arn:aws:iam::<account>:root names the account.
    if (arn.size() == 30 && arn.ends_with(":root") && arn.starts_with("arn:aws:iam::") &&
        std::string_view(arn).substr(13, 12) == r.principal_account) {
      best = std::max(best, Grade::kAccount);
    }
  }
  return best;
}

bool ConditionHolds(const Condition& c, const ConditionKeys& keys);

// Whether the statement applies to the request, and for a resource-based policy how it
// names the principal.
Grade StatementGrade(const Statement& s, const Prepared& r, bool check_principal) {
  bool action = std::any_of(s.actions.begin(), s.actions.end(),
                            [&](const ActionPattern& p) { return ActionMatches(p, r); });
  if (action == s.not_action) return Grade::kNone;
  if (s.has_resource) {
    bool resource = std::any_of(s.resources.begin(), s.resources.end(),
                                [&](const ArnPattern& p) { return ResourceMatches(p, r); });
    if (resource == s.not_resource) return Grade::kNone;
  }
  Grade grade = Grade::kDirect;
  if (check_principal && s.has_principal) {
    Grade named = PrincipalGrade(s.principals, r.request);
    if (s.not_principal) grade = named == Grade::kNone ? Grade::kDirect : Grade::kNone;
    else grade = named;
    if (grade == Grade::kNone) return grade;
  }
  for (const Condition& c : s.conditions) {
    if (!ConditionHolds(c, r.request.keys)) return Grade::kNone;
  }
  return grade;
}

struct Scan {
  bool deny = false;
  Grade allow = Grade::kNone;
};

Scan ScanPolicy(const Policy& p, const Prepared& r, bool check_principal) {
  Scan scan;
  for (const Statement& s : p.statements) {
    // A Deny decides; an Allow only matters if no Deny follows, so Denies are never skipped.
    if (!s.allow) {
      if (StatementGrade(s, r, check_principal) != Grade::kNone) {
        scan.deny = true;
        return scan;
      }
    } else if (scan.allow != Grade::kDirect) {
      scan.allow = std::max(scan.allow, StatementGrade(s, r, check_principal));
    }
  }
  return scan;
}

// ---- Conditions ---------------------------------------------------------------------------------

bool IsNegated(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringNotEquals: case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike: case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateNotEquals: case ConditionOperator::kNotIpAddress:
    case ConditionOperator::kArnNotEquals: case ConditionOperator::kArnNotLike:
      return true;
    default:
      return false;
  }
}

template <typename T>
bool Compare(ConditionOperator op, T request, T policy) {
  switch (op) {
    case ConditionOperator::kNumericEquals: case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateEquals: case ConditionOperator::kDateNotEquals:
      return request == policy;
    case ConditionOperator::kNumericLessThan: case ConditionOperator::kDateLessThan:
      return request < policy;
    case ConditionOperator::kNumericLessThanEquals: case ConditionOperator::kDateLessThanEquals:
      return request <= policy;
    case ConditionOperator::kNumericGreaterThan: case ConditionOperator::kDateGreaterThan:
      return request > policy;
    default:
      return request >= policy;
  }
}

// Whether one request value matches one policy value under the operator's positive form
// (StringNotEquals as StringEquals, ...).
bool ValueMatches(const Condition& c, const ConditionValue& v, const std::string& request,
                  const ConditionKeys& keys) {
  using Op = ConditionOperator;
  switch (c.op) {
    case Op::kStringEquals: case Op::kStringNotEquals:
    case Op::kStringEqualsIgnoreCase: case Op::kStringNotEqualsIgnoreCase:
    case Op::kBool: {
      bool fold = c.op != Op::kStringEquals && c.op != Op::kStringNotEquals;
      std::optional<std::string> literal;
      std::string_view want = v.pattern.source;
      if (v.pattern.has_variables) {
        literal = Substitute(v.pattern.source, keys, SubstituteInto::kLiteral);
        if (!literal) return false;
        if (fold) *literal = ToLower(*literal);
        want = *literal;
      }
      if (!fold) return request == want;
      if (request.size() != want.size()) return false;
      std::string got = ToLower(request);
      return c.op == Op::kBool ? got == ToLower(want) : got == want;
    }
    case Op::kStringLike: case Op::kStringNotLike: {
      std::optional<std::string> storage;
      std::optional<std::string_view> glob = GlobFor(v.pattern, keys, &storage);
      return glob && GlobMatches(*glob, request);
    }
    case Op::kArnEquals: case Op::kArnLike: case Op::kArnNotEquals: case Op::kArnNotLike: {
      std::optional<std::string> storage;
      std::optional<std::string_view> glob = GlobFor(v.pattern, keys, &storage);
      return glob && ArnGlobMatches(*glob, request);
    }
    case Op::kNumericEquals: case Op::kNumericNotEquals: case Op::kNumericLessThan:
    case Op::kNumericLessThanEquals: case Op::kNumericGreaterThan:
    case Op::kNumericGreaterThanEquals: {
      std::optional<double> got = ParseNumber(request);
      return got && v.number && Compare(c.op, *got, *v.number);
    }
    case Op::kDateEquals: case Op::kDateNotEquals: case Op::kDateLessThan:
    case Op::kDateLessThanEquals: case Op::kDateGreaterThan: case Op::kDateGreaterThanEquals: {
      std::optional<int64_t> got = ParseDate(request);
      return got && v.epoch_ms && Compare(c.op, *got, *v.epoch_ms);
    }
    case Op::kBinaryEquals:
      return request == v.text;
    case Op::kIpAddress: case Op::kNotIpAddress: {
      std::optional<ConditionValue::Cidr> got = ParseCidr(request);
      return got && v.cidr && CidrContains(*v.cidr, *got);
    }
    case Op::kNull:
      return false;  // handled by ConditionHolds
  }
  return false;
}

// Whether a request value matches any of the condition's values (values are ORed).
bool AnyValueMatches(const Condition& c, const std::string& request, const ConditionKeys& keys) {
  return std::any_of(c.values.begin(), c.values.end(),
                     [&](const ConditionValue& v) { return ValueMatches(c, v, request, keys); });
}

bool ConditionHolds(const Condition& c, const ConditionKeys& keys) {
  const std::vector<std::string>* got = keys.Find(c.key);
  if (c.op == ConditionOperator::kNull) {
    // "true": the key must be absent; "false": present. Several values are ORed.
    return std::any_of(c.values.begin(), c.values.end(), [&](const ConditionValue& v) {
      std::string want = ToLower(v.text);
      return (want == "true" && got == nullptr) || (want == "false" && got != nullptr);
    });
  }
  if (got == nullptr) {
    if (c.if_exists) return true;
    if (c.set == SetOperator::kForAllValues) return true;   // the empty set is a subset
    if (c.set == SetOperator::kForAnyValue) return false;
    return IsNegated(c.op);
  }
  bool negated = IsNegated(c.op);
  // A negated operator's value matches when it matches none of the policy's values.
  auto value_holds = [&](const std::string& r) { return AnyValueMatches(c, r, keys) != negated; };
  switch (c.set) {
    case SetOperator::kForAllValues:
      return std::all_of(got->begin(), got->end(), value_holds);
    case SetOperator::kForAnyValue:
      return std::any_of(got->begin(), got->end(), value_holds);
    case SetOperator::kNone:
      break;
  }
  // A single-valued test: the positive form matches when any request value matches; the
  // negated form is its negation.
  bool any = std::any_of(got->begin(), got->end(),
                         [&](const std::string& r) { return AnyValueMatches(c, r, keys); });
  return any != negated;
}

Decision Deny(Effect effect, PolicyType by) { return Decision{effect, by}; }

}  // namespace

PolicyMatch MatchPolicy(const Policy& policy, const RequestContext& request,
                        bool check_principal) {
  Prepared r(request);
  Scan s = ScanPolicy(policy, r, check_principal);
  if (s.deny) return PolicyMatch::kDeny;
  return s.allow != Grade::kNone ? PolicyMatch::kAllow : PolicyMatch::kNoMatch;
}

namespace {

// Evaluate without the VPC endpoint's policy: the account's own policies.
Decision EvaluateAccountPolicies(const RequestContext& request, const PolicySet& policies) {
  Prepared r(request);

  bool cross_account = !request.resource_account.empty() &&
                       request.resource_account != request.principal_account;

  // Deny evaluation: an explicit Deny anywhere decides.
  bool identity_allow = false;
  if (request.principal_kind != PrincipalKind::kRoot) {
    for (const Policy* p : policies.identity) {
      Scan s = ScanPolicy(*p, r, false);
      if (s.deny) return Deny(Effect::kExplicitDeny, PolicyType::kIdentity);
      identity_allow = identity_allow || s.allow != Grade::kNone;
    }
  }
  Grade resource_grade = Grade::kNone;
  if (policies.resource != nullptr) {
    Scan s = ScanPolicy(*policies.resource, r, true);
    if (s.deny) return Deny(Effect::kExplicitDeny, PolicyType::kResource);
    resource_grade = s.allow;
  }
  bool boundary_allow = true;
  if (policies.permissions_boundary != nullptr && request.principal_kind != PrincipalKind::kRoot) {
    Scan s = ScanPolicy(*policies.permissions_boundary, r, false);
    if (s.deny) return Deny(Effect::kExplicitDeny, PolicyType::kPermissionsBoundary);
    boundary_allow = s.allow != Grade::kNone;
  }
  bool session_allow = false;
  bool is_session = request.principal_kind == PrincipalKind::kRoleSession ||
                    request.principal_kind == PrincipalKind::kFederatedUser;
  if (is_session && policies.has_session_policies) {
    for (const Policy* p : policies.session) {
      Scan s = ScanPolicy(*p, r, false);
      if (s.deny) return Deny(Effect::kExplicitDeny, PolicyType::kSession);
      session_allow = session_allow || s.allow != Grade::kNone;
    }
  }

  if (policies.resource_policy_required && resource_grade == Grade::kNone) {
    return Deny(Effect::kImplicitDeny, PolicyType::kResource);
  }
  // The account root user: everything its own account's policies do not deny.
  if (request.principal_kind == PrincipalKind::kRoot && !cross_account) {
    return Decision{Effect::kAllow, PolicyType::kNone};
  }
  if (request.principal_kind == PrincipalKind::kService) {
    return resource_grade != Grade::kNone ? Decision{Effect::kAllow, PolicyType::kResource}
                                          : Deny(Effect::kImplicitDeny, PolicyType::kResource);
  }
  if (cross_account) {
    // Both sides must allow: the resource's account through its policy, and the caller's.
    if (resource_grade == Grade::kNone) return Deny(Effect::kImplicitDeny, PolicyType::kResource);
    if (request.principal_kind == PrincipalKind::kRoot) return Decision{Effect::kAllow, PolicyType::kResource};
  } else if (resource_grade == Grade::kDirect) {
    return Decision{Effect::kAllow, PolicyType::kResource};
  }
  bool granted = identity_allow || (!cross_account && resource_grade == Grade::kRole);
  if (!granted) return Deny(Effect::kImplicitDeny, PolicyType::kIdentity);
  if (!boundary_allow) return Deny(Effect::kImplicitDeny, PolicyType::kPermissionsBoundary);
  if (is_session) {
    if (policies.has_session_policies && !session_allow) {
      return Deny(Effect::kImplicitDeny, PolicyType::kSession);
    }
    // A federated user session without session policies has no permissions.
    if (!policies.has_session_policies && request.principal_kind == PrincipalKind::kFederatedUser) {
      return Deny(Effect::kImplicitDeny, PolicyType::kSession);
    }
  }
  return Decision{Effect::kAllow, identity_allow ? PolicyType::kIdentity : PolicyType::kResource};
}

}  // namespace

Decision Evaluate(const RequestContext& request, const PolicySet& policies) {
  if (!policies.through_vpc_endpoint) return EvaluateAccountPolicies(request, policies);
  PolicyMatch endpoint =
      policies.vpc_endpoint ? MatchPolicy(*policies.vpc_endpoint, request, true) : PolicyMatch::kNoMatch;
  if (endpoint == PolicyMatch::kDeny) return Deny(Effect::kExplicitDeny, PolicyType::kVpcEndpoint);
  Decision decision = EvaluateAccountPolicies(request, policies);
  if (decision.allowed() && endpoint != PolicyMatch::kAllow) return Deny(Effect::kImplicitDeny, PolicyType::kVpcEndpoint);
  return decision;
}

std::string AccessDeniedMessage(const RequestContext& request, const Decision& decision) {
  std::string m = "User: " + request.principal_arn + " is not authorized to perform: " +
                  request.action + " on resource: " + request.resource;
  std::string_view policy;
  switch (decision.by) {
    case PolicyType::kResource: policy = "resource-based policy"; break;
    case PolicyType::kPermissionsBoundary: policy = "permissions boundary"; break;
    case PolicyType::kSession: policy = "session policy"; break;
    case PolicyType::kVpcEndpoint: policy = "VPC endpoint policy"; break;
    default: policy = "identity-based policy"; break;
  }
  if (decision.effect == Effect::kExplicitDeny) {
    bool an = policy.front() == 'i';
    return m + " with an explicit deny in " + (an ? "an " : "a ") + std::string(policy);
  }
  return m + " because no " + std::string(policy) + " allows the " + request.action + " action";
}

}  // namespace wharf::iam
