// libFuzzer target: arbitrary bytes as an IAM policy document of each kind (iam/policy.h),
// and every document that parses evaluated against a few request contexts (iam/evaluate.h)
// with values chosen to reach the condition operators and policy variables. Checks: no
// crash, no sanitizer report, no hang; a document that parses as one kind parses the same
// way again (the parser is a pure function). Build and run with `fuzz/run.sh policy`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iam/evaluate.h"
#include "iam/policy.h"

using namespace wharf::iam;
using wharf::Result;

static RequestContext Context(int variant) {
  RequestContext r;
  r.principal_account = "123456789012";
  switch (variant) {
    case 0:
      r.principal_arn = "arn:aws:iam::123456789012:user/ci";
      r.principal_kind = PrincipalKind::kUser;
      r.action = "ecs:DescribeServices";
      r.resource = "arn:aws:ecs:us-east-1:123456789012:service/prod/web";
      break;
    case 1:
      r.principal_arn = "arn:aws:sts::123456789012:assumed-role/app/s";
      r.principal_kind = PrincipalKind::kRoleSession;
      r.role_arn = "arn:aws:iam::123456789012:role/app";
      r.action = "s3:GetObject";
      r.resource = "arn:aws:s3:::bucket/home/ci/*?${x}";
      r.resource_account = "999999999999";
      break;
    default:
      r.principal_arn = "ecs-tasks.amazonaws.com";
      r.principal_kind = PrincipalKind::kService;
      r.action = "sts:AssumeRole";
      r.resource = "*";
      break;
  }
  r.keys.Set("aws:username", "ci");
  r.keys.Set("aws:PrincipalTag/team", "blue*");
  r.keys.Set("aws:SourceIp", variant == 1 ? "2001:db8::1" : "203.0.113.7");
  r.keys.Set("aws:CurrentTime", "2026-12-06T03:00:00Z");
  r.keys.Set("aws:SecureTransport", "true");
  r.keys.Set("s3:max-keys", "10");
  r.keys.Add("aws:TagKeys", "team");
  r.keys.Add("aws:TagKeys", "env");
  r.keys.Set("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic");
  return r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  (void)PolicySize(doc);
  static const RequestContext contexts[] = {Context(0), Context(1), Context(2)};
  for (PolicyKind kind : {PolicyKind::kIdentity, PolicyKind::kResource, PolicyKind::kTrust}) {
    Result<Policy> p = ParsePolicy(doc, ParseOptions{kind, false});
    Result<Policy> again = ParsePolicy(doc, ParseOptions{kind, false});
    if (p.ok() != again.ok() || (!p.ok() && p.status().message() != again.status().message())) {
      std::abort();
    }
    if (!p.ok()) continue;
    for (const RequestContext& r : contexts) {
      PolicySet set;
      if (kind == PolicyKind::kIdentity) {
        set.identity = {&*p};
        set.permissions_boundary = &*p;
        set.session = {&*p};
        set.has_session_policies = true;
      } else {
        set.resource = &*p;
        set.resource_policy_required = kind == PolicyKind::kTrust;
      }
      Decision d = Evaluate(r, set);
      (void)AccessDeniedMessage(r, d);
      (void)MatchPolicy(*p, r, kind != PolicyKind::kIdentity);
    }
  }
  return 0;
}
