// The cost of authorizing one request: ECS DescribeServices signed by a user with 10 attached
// policies of 20 statements each (issue 14's figure: at most +10 µs per request), evaluated
// with iam::Evaluate. Policies are parsed once (as the IAM store would keep them compiled);
// what is timed is one Evaluate per request, for an allowed request whose Allow is the very
// last statement (every statement is looked at), for an implicit deny, and with a permissions
// boundary and conditions. Also the cost of ParsePolicy per document. Pure CPU work.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "iam/evaluate.h"
#include "iam/policy.h"

namespace {

using namespace wharf::iam;

const char* kServices[] = {"ecr", "logs", "sns", "ec2", "elasticloadbalancing", "ssm", "kms",
                           "secretsmanager", "cloudwatch", "sqs"};

// Policy i of 10: 20 statements over other services, with resources, wildcards and, every
// fourth statement, a condition. The last statement of the last policy allows ecs:Describe*.
std::string MakePolicy(int i, bool last) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  for (int s = 0; s < 20; ++s) {
    const char* svc = kServices[(i + s) % 10];
    if (s) doc += ",";
    doc += R"({"Sid":"S)" + std::to_string(s) + R"(","Effect":")" + std::string(s == 7 ? "Deny" : "Allow") +
           R"(","Action":[")" + svc + ":Get*\",\"" + svc + ":List*\",\"" + svc + ":Put" +
           std::to_string(s) + "\"],";
    doc += R"("Resource":["arn:aws:)" + std::string(svc) + ":us-east-1:123456789012:thing/" +
           std::to_string(i) + "/*\",\"arn:aws:" + svc + ":*:*:other/${aws:username}/*\"]";
    if (s % 4 == 3) {
      doc += R"(,"Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]},)"
             R"("IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})";
    }
    doc += "}";
  }
  if (last) {
    doc += R"(,{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],)"
           R"("Resource":"arn:aws:ecs:us-east-1:123456789012:service/prod/*"})";
  }
  return doc + "]}";
}

template <typename F>
double NsPer(int n, F&& f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f();
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / n;
}

}  // namespace

int main() {
  std::vector<std::string> docs;
  for (int i = 0; i < 10; ++i) docs.push_back(MakePolicy(i, i == 9));
  std::vector<Policy> policies;
  for (const auto& d : docs) {
    auto p = ParsePolicy(d);
    if (!p.ok()) {
      std::fprintf(stderr, "parse: %s\n", p.status().ToString().c_str());
      return 1;
    }
    policies.push_back(std::move(p).value());
  }
  PolicySet set;
  for (const auto& p : policies) set.identity.push_back(&p);

  RequestContext r;
  r.principal_arn = "arn:aws:iam::123456789012:user/ci";
  r.principal_kind = PrincipalKind::kUser;
  r.principal_account = "123456789012";
  r.action = "ecs:DescribeServices";
  r.resource = "arn:aws:ecs:us-east-1:123456789012:service/prod/web";
  r.keys.Set("aws:username", "ci");
  r.keys.Set("aws:userid", "AIDAEXAMPLE");
  r.keys.Set("aws:PrincipalArn", r.principal_arn);
  r.keys.Set("aws:SourceIp", "10.1.2.3");
  r.keys.Set("aws:RequestedRegion", "us-east-1");
  r.keys.Set("aws:CurrentTime", "2026-12-06T03:00:00Z");
  r.keys.Set("aws:SecureTransport", "true");

  if (!Evaluate(r, set).allowed()) {
    std::fprintf(stderr, "expected an allow\n");
    return 1;
  }
  const int n = 200000;
  volatile bool sink = false;
  double allowed = NsPer(n, [&] { sink = Evaluate(r, set).allowed(); });
  RequestContext denied = r;
  denied.action = "ecs:CreateService";
  double implicit = NsPer(n, [&] { sink = Evaluate(denied, set).allowed(); });
  RequestContext same_service = r;
  same_service.action = "sns:GetTopicAttributes";
  same_service.resource = "arn:aws:sns:us-east-1:123456789012:thing/3/x";
  double conditions = NsPer(n, [&] { sink = Evaluate(same_service, set).allowed(); });
  PolicySet bounded = set;
  bounded.permissions_boundary = &policies[9];
  double boundary = NsPer(n, [&] { sink = Evaluate(r, bounded).allowed(); });
  double parse = NsPer(2000, [&] { sink = ParsePolicy(docs[9]).ok(); });
  (void)sink;

  std::printf("iam policy evaluation, 10 policies x 20 statements (200 statements)\n");
  std::printf("  DescribeServices allowed by the last statement   %8.0f ns/eval\n", allowed);
  std::printf("  CreateService, implicit deny                      %8.0f ns/eval\n", implicit);
  std::printf("  sns:GetTopicAttributes, its service, conditions    %8.0f ns/eval\n", conditions);
  std::printf("  DescribeServices with a permissions boundary      %8.0f ns/eval\n", boundary);
  std::printf("  ParsePolicy of one 21-statement document          %8.0f ns/parse (%zu bytes)\n", parse,
              docs[9].size());
  return 0;
}
