#include "api/authorize.h"

#include "base/clock.h"
#include "base/logging.h"
#include "controlplane/vpc_endpoint_origin.h"
#include "iam/policy.h"

namespace wharf::api {

void SetPrincipal(RequestContext& ctx, const KeyOwner& owner) {
  if (owner.role_session()) {
    ctx.principal_arn = "arn:aws:sts::" + ctx.account_id + ":assumed-role/" + owner.role_name + "/" + owner.session_name;
    ctx.principal_id = owner.role_id + ":" + owner.session_name;
  } else if (!owner.root) {
    ctx.principal_arn = "arn:aws:iam::" + ctx.account_id + ":user" + owner.user_path + owner.user_name;
    ctx.principal_id = owner.user_id;
    ctx.user_name = owner.user_name;
  } else {
    ctx.principal_arn = "arn:aws:iam::" + ctx.account_id + ":root";
    ctx.principal_id = ctx.account_id;
  }
}

controlplane::Caller CallerOf(const RequestContext& ctx) {
  const KeyOwner& owner = *ctx.key_owner;
  controlplane::Caller caller;
  caller.arn = ctx.principal_arn;
  if (owner.role_session()) {
    caller.kind = iam::PrincipalKind::kRoleSession;
    caller.role_name = owner.role_name;
    caller.session_key = ctx.access_key_id;
    caller.session_policy = owner.session_policy;
    caller.session_policy_arns = owner.session_policy_arns;
    caller.session_tags = owner.session_tags;
  } else {
    caller.kind = owner.root ? iam::PrincipalKind::kRoot : iam::PrincipalKind::kUser;
    caller.user_name = owner.user_name;
  }
  return caller;
}

iam::RequestContext EvaluationContext(const RequestContext& ctx, const controlplane::CallerPolicies& policies,
                                      bool every_key) {
  const KeyOwner& owner = *ctx.key_owner;
  iam::RequestContext request;
  request.principal_arn = ctx.principal_arn;
  request.principal_account = ctx.account_id;
  if (owner.role_session()) {
    request.principal_kind = iam::PrincipalKind::kRoleSession;
    request.role_arn = "arn:aws:iam::" + ctx.account_id + ":role" + owner.role_path + owner.role_name;
  } else {
    request.principal_kind = owner.root ? iam::PrincipalKind::kRoot : iam::PrincipalKind::kUser;
  }
  // Only the keys some policy reads: most requests by most callers need none, and making
  // them all (times formatted, tags copied) was most of an authorization's cost.
  iam::ConditionKeys& keys = request.keys;
  auto add = [&](std::string_view key, auto&& value) {
    if (every_key || policies.Uses(key)) keys.Add(key, value());
  };
  add("aws:PrincipalArn", [&] { return owner.role_session() ? request.role_arn : ctx.principal_arn; });
  add("aws:PrincipalAccount", [&] { return ctx.account_id; });
  add("aws:PrincipalType", [&] { return owner.role_session() ? "AssumedRole" : owner.root ? "Account" : "User"; });
  add("aws:userid", [&] { return ctx.principal_id; });
  if (owner.role_session()) {
    add("aws:RoleSessionName", [&] { return owner.session_name; });
  } else if (!owner.root) {
    add("aws:username", [&] { return owner.user_name; });
  }
  if (!owner.source_identity.empty()) add("aws:SourceIdentity", [&] { return owner.source_identity; });
  add("aws:RequestedRegion", [&] { return ctx.region; });
  add("aws:CurrentTime", [&] { return Iso8601(ctx.now); });
  add("aws:EpochTime", [&] {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(ctx.now.time_since_epoch()).count());
  });
  if (ctx.endpoint) {
    // Through a VPC endpoint: its id and VPC, and the caller's private address as
    // aws:VpcSourceIp; AWS sets no aws:SourceIp then (IAM's global condition keys).
    add("aws:SourceVpce", [&] { return ctx.endpoint->vpce_id; });
    add("aws:SourceVpc", [&] { return ctx.endpoint->vpc_id; });
    if (!ctx.source_ip.empty()) add("aws:VpcSourceIp", [&] { return ctx.source_ip; });
  } else if (!ctx.source_ip.empty()) {
    add("aws:SourceIp", [&] { return ctx.source_ip; });
  }
  add("aws:SecureTransport", [] { return "false"; });  // the API port speaks plain HTTP
  add("aws:ViaAWSService", [] { return "false"; });
  add("aws:MultiFactorAuthPresent", [] { return "false"; });  // there are no MFA devices
  for (const auto& tag : policies.principal_tags) {
    add("aws:PrincipalTag/" + tag.first, [&] { return tag.second; });
  }
  return request;
}

namespace {

// What decides a check besides the caller's policies: the region (aws:RequestedRegion), the
// action, the resource and the service's condition keys from the request.
std::string DecisionKey(std::string_view region, const authz::Check& check) {
  std::string key;
  key.reserve(region.size() + check.action.size() + check.resource.size() + 8);
  key.append(region).push_back('\x1f');
  key.append(check.action).push_back('\x1f');
  key.append(check.resource);
  for (const auto& [k, v] : check.keys) key.append("\x1f").append(k).append("=").append(v);
  return key;
}

constexpr std::string_view kResourceTag = "aws:ResourceTag/";

// aws:ResourceTag/<key> (and the service's own name for it) for each tag of the resource,
// as the Authorizer keeps them (read again once the store has changed).
void AddResourceTags(controlplane::Authorizer& authorizer, std::string_view region, const ServiceEndpoint& service,
                     authz::Check& check) {
  auto tags = authorizer.ResourceTagsOf(region, check.resource, service.resource_tags);
  for (const auto& [key, value] : *tags) {
    if (!service.service_resource_tag_key.empty()) check.keys.emplace_back(service.service_resource_tag_key + key, value);
    check.keys.emplace_back(std::string(kResourceTag) + key, value);
  }
}

// A request through a VPC endpoint is weighed by the endpoint's policy too.
void ThroughEndpoint(const RequestContext& ctx, iam::PolicySet& set) {
  if (!ctx.endpoint) return;
  set.through_vpc_endpoint = true;
  set.vpc_endpoint = ctx.endpoint->policy.get();
}

}  // namespace

std::optional<std::string> EndpointDenial(const RequestContext& ctx, const std::vector<authz::Check>& checks) {
  if (!ctx.endpoint) return std::nullopt;
  static const controlplane::CallerPolicies kNone;
  for (const authz::Check& check : checks) {
    iam::RequestContext request = EvaluationContext(ctx, kNone, true);
    request.action = check.action;
    request.resource = check.resource;
    for (const auto& [k, v] : check.keys) request.keys.Add(k, v);
    iam::PolicySet set;
    ThroughEndpoint(ctx, set);
    iam::Decision decision = iam::Evaluate(request, set);
    if (!decision.allowed()) return iam::AccessDeniedMessage(request, decision);
  }
  return std::nullopt;
}

namespace {

// The account root is allowed everything but what a resource's policy must allow by itself:
// a KMS key's policy binds the root as any principal (it is allowed only when the policy names
// it, its account or everyone, and never against a Deny). A key without a policy (an AWS
// managed key) is the account's. Any other resource policy (a secret's, a repository's) binds
// the root by its explicit Deny only, as AWS's does.
std::optional<std::string> RootDenial(controlplane::Authorizer& authorizer, const RequestContext& ctx,
                                      std::vector<authz::Check>& checks, const ServiceEndpoint& service) {
  static const controlplane::CallerPolicies kNone;
  for (authz::Check& check : checks) {
    if (check.resource == "*") continue;
    std::string text = service.resource_policy(check.resource);
    if (text.empty()) continue;
    auto parsed = iam::ParsePolicy(text, {iam::PolicyKind::kResource, false, true});
    if (!parsed.ok()) continue;
    if (service.resource_tags) AddResourceTags(authorizer, ctx.region, service, check);  // the policy may read any key
    iam::RequestContext request = EvaluationContext(ctx, kNone, true);
    request.action = check.action;
    request.resource = check.resource;
    for (const auto& [k, v] : check.keys) request.keys.Add(k, v);
    iam::PolicyMatch match = iam::MatchPolicy(*parsed, request, true);
    if (match == iam::PolicyMatch::kAllow) continue;
    if (!service.resource_policy_required && match != iam::PolicyMatch::kDeny) continue;
    iam::Decision decision{match == iam::PolicyMatch::kDeny ? iam::Effect::kExplicitDeny : iam::Effect::kImplicitDeny,
                           iam::PolicyType::kResource};
    return iam::AccessDeniedMessage(request, decision);
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<std::string>> Denial(controlplane::Authorizer& authorizer, const RequestContext& ctx,
                                          std::vector<authz::Check> checks, const ServiceEndpoint* service) {
  const bool resource_policy_required = service && service->resource_policy_required;
  if (!ctx.key_owner || checks.empty()) return std::optional<std::string>();
  if (ctx.key_owner->root) {
    if (ctx.endpoint) {
      if (auto denied = EndpointDenial(ctx, checks)) return denied;
    }
    if (!service || !service->resource_policy) return std::optional<std::string>();
    return RootDenial(authorizer, ctx, checks, *service);
  }
  auto loaded = authorizer.PoliciesOf(CallerOf(ctx));
  // A user or role deleted since the key was read has no policies left.
  if (!loaded.ok() && !loaded.status().IsNotFound()) return loaded.status();
  static const controlplane::CallerPolicies kNone;
  const controlplane::CallerPolicies& policies = loaded.ok() ? **loaded : kNone;
  std::optional<iam::RequestContext> base;  // made once, when a check is evaluated
  for (authz::Check& check : checks) {
    std::optional<iam::Policy> resource;
    if (service && service->resource_policy && check.resource != "*") {
      std::string text = service->resource_policy(check.resource);
      if (!text.empty()) {
        auto parsed = iam::ParsePolicy(text, {iam::PolicyKind::kResource, false, true});
        if (parsed.ok()) resource = std::move(parsed).value();
      }
    }
    // The resource's tags become keys of the check, so they are part of a cached decision's key.
    if (service && service->resource_tags && check.resource != "*" &&
        (resource || policies.UsesPrefix(kResourceTag) ||
         (!service->service_resource_tag_key.empty() && policies.UsesPrefix(service->service_resource_tag_key)))) {
      AddResourceTags(authorizer, ctx.region, *service, check);
    }
    // The same caller asking the same again: decided already (CallerPolicies says when).
    // Not through a VPC endpoint: its policy changes without IAM changing.
    bool cacheable = !resource && !ctx.endpoint && policies.decisions_cacheable;
    std::string cache_key;
    std::optional<iam::Decision> decision;
    if (cacheable) {
      cache_key = DecisionKey(ctx.region, check);
      decision = policies.CachedDecision(cache_key);
      if (decision && decision->allowed()) continue;
    }
    if (!base) base = EvaluationContext(ctx, policies, false);
    // A resource's policy, or a VPC endpoint's, may read any key.
    iam::RequestContext request = resource || ctx.endpoint ? EvaluationContext(ctx, policies, true) : *base;
    request.action = std::move(check.action);
    request.resource = std::move(check.resource);
    for (const auto& [k, v] : check.keys) request.keys.Add(k, v);
    if (!decision) {
      iam::PolicySet set = policies.Set(resource ? &*resource : nullptr);
      set.resource_policy_required = resource_policy_required && resource.has_value();
      ThroughEndpoint(ctx, set);
      decision = iam::Evaluate(request, set);
      if (cacheable) policies.CacheDecision(std::move(cache_key), *decision);
    }
    if (!decision->allowed()) {
      LOG_DEBUG("msg=\"access denied\" request_id={} principal={} action={} resource={}", ctx.request_id,
                ctx.principal_arn, request.action, request.resource);
      return std::optional<std::string>(iam::AccessDeniedMessage(request, *decision));
    }
  }
  return std::optional<std::string>();
}

}  // namespace wharf::api
