// IAM's policy evaluation logic: is this request allowed, and if not, which kind of policy
// decided it (what AccessDenied's message names).
//
// Terms (IAM User Guide, "Policy evaluation logic"):
//   - The request context: the principal (its ARN, kind and account; for a role session also
//     the role's ARN), the action ("ecs:CreateCluster"), one resource ARN ("*" for actions
//     without resources) and the condition keys with their values (aws:SourceIp,
//     aws:PrincipalTag/<key>, ecs:cluster, ...). A key may have several values.
//   - The policies that apply: the principal's identity-based policies (a user's own and
//     its groups', or a role's), the resource's resource-based policy, the principal's
//     permissions boundary and the session policies of a role or federated user session.
//   - Evaluation, within one account: an explicit Deny in any of them decides. Otherwise the
//     request is allowed when an identity-based policy allows it, or a resource-based policy
//     allows it for this principal, and the permissions boundary (if any) and the session
//     policies (if any) allow it too; else it is implicitly denied. A resource-based
//     policy that names the user or the session itself (or "*") is not limited by the
//     boundary or the session policies; one that names the role is; one that names the
//     account only delegates to the identity-based policies. Across accounts, both the
//     identity-based and the resource-based policy must allow. The account root user is
//     allowed everything its own account's resource policies do not deny.
//   - A trust policy (sts:AssumeRole on the role's ARN) must itself allow:
//     PolicySet::resource_policy_required.
//   - A request made through a VPC endpoint is also weighed by the endpoint's policy (a
//     resource-based policy with a Principal): an explicit Deny there denies, and without an
//     Allow there the request is denied whatever the other policies allow (PrivateLink Guide,
//     "Control access to VPC endpoints using endpoint policies"); the root is bound by it too.
//
// Cost: nothing is parsed here; the request's action is lowercased and its resource ARN
// split once per call, and statements are rejected on the action's vendor before anything
// else. Allocation happens only for policy variables. bench/iam_policy_bench.cc measures it.
// Thread-safety: pure functions over immutable policies; safe from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "iam/policy.h"

namespace wharf::iam {

enum class PrincipalKind {
  kRoot,           // arn:aws:iam::<account>:root
  kUser,           // arn:aws:iam::<account>:user/<path><name>
  kRoleSession,    // arn:aws:sts::<account>:assumed-role/<role>/<session>
  kFederatedUser,  // arn:aws:sts::<account>:federated-user/<name> (GetFederationToken)
  kService,        // principal_arn is the service principal, "ecs-tasks.amazonaws.com"
  kAnonymous,
};

// Condition keys and their values. Keys are compared without case, as IAM does.
class ConditionKeys {
 public:
  void Add(std::string_view key, std::string_view value);
  // Replaces every value of `key` by `value`.
  void Set(std::string_view key, std::string_view value);
  // The values of `key` (given lowercased), or nullptr when the request has none.
  const std::vector<std::string>* Find(std::string_view lowercase_key) const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> entries_;  // lowercase keys
};

struct RequestContext {
  std::string principal_arn;
  PrincipalKind principal_kind = PrincipalKind::kUser;
  std::string principal_account;   // the caller's account id
  std::string role_arn;            // kRoleSession: arn:aws:iam::<account>:role/<path><name>
  std::string action;              // "ecs:CreateCluster"
  std::string resource = "*";      // one resource ARN, or "*"
  std::string resource_account;    // the resource's account; empty: the caller's
  ConditionKeys keys;
};

// The policies that apply to one request. Pointers are borrowed for the call.
struct PolicySet {
  std::vector<const Policy*> identity;
  const Policy* resource = nullptr;
  const Policy* permissions_boundary = nullptr;
  // Session policies passed when the session was made; `has_session_policies` false means
  // none were passed (a role session then has its role's permissions).
  std::vector<const Policy*> session;
  bool has_session_policies = false;
  // Trust policies (and KMS key policies) must allow by themselves.
  bool resource_policy_required = false;
  // The request came through a VPC endpoint whose policy is `vpc_endpoint` (null: one that
  // allows nothing).
  bool through_vpc_endpoint = false;
  const Policy* vpc_endpoint = nullptr;
};

enum class Effect { kAllow, kExplicitDeny, kImplicitDeny };

// Which kind of policy decided: for a denial, the one whose Deny matched or whose missing
// Allow denied; for an allow, the one that granted it.
enum class PolicyType { kNone, kIdentity, kResource, kPermissionsBoundary, kSession, kVpcEndpoint };

struct Decision {
  Effect effect = Effect::kImplicitDeny;
  PolicyType by = PolicyType::kIdentity;
  bool allowed() const { return effect == Effect::kAllow; }
};

Decision Evaluate(const RequestContext& request, const PolicySet& policies);

// Whether one policy's statements allow/deny the request, on their own (SimulateCustomPolicy,
// and the steps of Evaluate). `check_principal` for resource-based and trust policies.
enum class PolicyMatch { kNoMatch, kAllow, kDeny };
PolicyMatch MatchPolicy(const Policy& policy, const RequestContext& request,
                        bool check_principal);

// AccessDenied's message as AWS words it, e.g. "User: arn:aws:iam::000000000000:user/ci is
// not authorized to perform: ecs:CreateCluster on resource: arn:aws:ecs:us-east-1:
// 000000000000:cluster/x because no identity-based policy allows the ecs:CreateCluster
// action", or "... with an explicit deny in an identity-based policy".
std::string AccessDeniedMessage(const RequestContext& request, const Decision& decision);

}  // namespace wharf::iam
