// Authorization of one request: the caller (RequestContext's key owner) against the checks
// its operation needs (authz/checks.h), with the caller's policies from the Authorizer, the
// resource's own policy where the service has them (ECR repositories), and the global
// condition keys every request carries (IAM User Guide, "AWS global condition context keys").
//
// Thread-safety: pure functions over the context; the Authorizer is thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/authz/checks.h"
#include "api/front_door.h"
#include "controlplane/authorizer.h"
#include "iam/evaluate.h"

namespace wharf::api {

// Fills ctx's principal fields (ARN, GetCallerIdentity's UserId, user name) from its key owner.
void SetPrincipal(RequestContext& ctx, const KeyOwner& owner);

// The caller as the Authorizer keys its policies.
controlplane::Caller CallerOf(const RequestContext& ctx);

// The evaluation context of the request without action and resource: the principal and the
// global condition keys, with the caller's tags from `policies`; only the keys `policies`
// read unless `every_key`.
// (::wharf::iam: a file that also includes api/iam/ sees wharf::api::iam as `iam` here.)
::wharf::iam::RequestContext EvaluationContext(const RequestContext& ctx,
                                               const controlplane::CallerPolicies& policies, bool every_key);

// Null when every check is allowed; else AccessDenied's message for the first one refused.
// The account root is allowed everything but what a resource policy that must allow by
// itself (a KMS key's) does not allow it. `service`, when given, says what its resources
// carry: a resource policy (weighed with the caller's), tags (aws:ResourceTag/<key>, read
// only when one of the caller's policies or the resource's policy asks).
Result<std::optional<std::string>> Denial(controlplane::Authorizer& authorizer, const RequestContext& ctx,
                                          std::vector<authz::Check> checks,
                                          const ServiceEndpoint* service = nullptr);

// Null when the VPC endpoint the request came through (ctx.endpoint; null: none) allows every
// check by its policy alone; else AccessDenied's message for the first one it refuses. For
// STS, which weighs the caller's own policies itself (api/sts.h), and the root.
std::optional<std::string> EndpointDenial(const RequestContext& ctx, const std::vector<authz::Check>& checks);

}  // namespace wharf::api
