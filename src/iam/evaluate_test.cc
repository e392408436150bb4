// Evaluate against the results the IAM User Guide documents: "Policy evaluation logic",
// "Condition operators", "Creating a condition with multiple keys or values", "Variables".
#include "iam/evaluate.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace wharf::iam {
namespace {

constexpr char kAccount[] = "123456789012";
constexpr char kUserArn[] = "arn:aws:iam::123456789012:user/ci";
constexpr char kCluster[] = "arn:aws:ecs:us-east-1:123456789012:cluster/prod";

// Policies live as long as the test; Evaluate borrows them.
class PolicyEvalTest : public ::testing::Test {
 protected:
  const Policy* Parse(std::string_view doc, PolicyKind kind = PolicyKind::kIdentity) {
    Result<Policy> p = ParsePolicy(doc, {kind, false});
    EXPECT_TRUE(p.ok()) << p.status().ToString() << "\n" << doc;
    if (!p.ok()) return &empty_;
    owned_.push_back(std::make_unique<Policy>(std::move(p).value()));
    return owned_.back().get();
  }
  // A one-statement identity policy.
  const Policy* Allow(std::string_view action, std::string_view resource = "*",
                      std::string_view condition = "") {
    return Statement("Allow", action, resource, condition);
  }
  const Policy* DenyStatement(std::string_view action, std::string_view resource = "*",
                              std::string_view condition = "") {
    return Statement("Deny", action, resource, condition);
  }
  const Policy* Statement(std::string_view effect, std::string_view action,
                          std::string_view resource, std::string_view condition) {
    std::string doc = R"({"Version":"2012-10-17","Statement":{"Effect":")" + std::string(effect) +
                      R"(","Action":")" + std::string(action) + R"(","Resource":")" +
                      std::string(resource) + "\"";
    if (!condition.empty()) doc += ",\"Condition\":" + std::string(condition);
    return Parse(doc + "}}");
  }

  static RequestContext User(std::string action, std::string resource = kCluster) {
    RequestContext r;
    r.principal_arn = kUserArn;
    r.principal_kind = PrincipalKind::kUser;
    r.principal_account = kAccount;
    r.action = std::move(action);
    r.resource = std::move(resource);
    r.keys.Set("aws:username", "ci");
    r.keys.Set("aws:PrincipalArn", kUserArn);
    return r;
  }
  static RequestContext RoleSession(std::string action, std::string resource = kCluster) {
    RequestContext r = User(std::move(action), std::move(resource));
    r.principal_arn = "arn:aws:sts::123456789012:assumed-role/app/session1";
    r.principal_kind = PrincipalKind::kRoleSession;
    r.role_arn = "arn:aws:iam::123456789012:role/app";
    return r;
  }

  Decision Identity(const RequestContext& r, std::vector<const Policy*> identity) {
    PolicySet set;
    set.identity = std::move(identity);
    return Evaluate(r, set);
  }
  bool Allowed(const RequestContext& r, const Policy* p) { return Identity(r, {p}).allowed(); }

  Policy empty_;
  std::vector<std::unique_ptr<Policy>> owned_;
};

const char kAdministratorAccess[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";

TEST_F(PolicyEvalTest, NoPolicyIsAnImplicitDeny) {
  Decision d = Identity(User("ecs:CreateCluster"), {});
  EXPECT_EQ(d.effect, Effect::kImplicitDeny);
  EXPECT_EQ(d.by, PolicyType::kIdentity);
  EXPECT_EQ(AccessDeniedMessage(User("ecs:CreateCluster", "*"), d),
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateCluster "
            "on resource: * because no identity-based policy allows the ecs:CreateCluster action");
}

TEST_F(PolicyEvalTest, ExplicitDenyBeatsAdministratorAccess) {
  const Policy* admin = Parse(kAdministratorAccess);
  const Policy* deny = DenyStatement("ecs:CreateCluster");
  EXPECT_TRUE(Identity(User("ecs:CreateCluster"), {admin}).allowed());
  Decision d = Identity(User("ecs:CreateCluster"), {admin, deny});
  EXPECT_EQ(d.effect, Effect::kExplicitDeny);
  EXPECT_EQ(AccessDeniedMessage(User("ecs:CreateCluster"), d),
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateCluster "
            "on resource: arn:aws:ecs:us-east-1:123456789012:cluster/prod with an explicit deny in an "
            "identity-based policy");
  // The deny's order among the policies does not matter.
  EXPECT_EQ(Identity(User("ecs:CreateCluster"), {deny, admin}).effect, Effect::kExplicitDeny);
  EXPECT_TRUE(Identity(User("ecs:DeleteCluster"), {admin, deny}).allowed());
}

TEST_F(PolicyEvalTest, ActionsIgnoreCaseAndTakeWildcards) {
  const Policy* p = Allow("ecs:Describe*");
  EXPECT_TRUE(Allowed(User("ecs:DescribeServices"), p));
  EXPECT_TRUE(Allowed(User("ECS:describeservices"), p));
  EXPECT_FALSE(Allowed(User("ecs:ListServices"), p));
  EXPECT_FALSE(Allowed(User("ecr:DescribeRepositories"), p));
  const Policy* q = Allow("ecs:?istClusters");
  EXPECT_TRUE(Allowed(User("ecs:ListClusters"), q));
  EXPECT_FALSE(Allowed(User("ecs:ListServices"), q));
  EXPECT_TRUE(Allowed(User("iam:CreateUser"), Allow("*")));
  EXPECT_TRUE(Allowed(User("iam:CreateUser"), Allow("*:*")));
  EXPECT_TRUE(Allowed(User("iam:CreateUser"), Allow("iam:*AccessKey*")) == false);
  EXPECT_TRUE(Allowed(User("iam:CreateAccessKey"), Allow("iam:*AccessKey*")));
}

TEST_F(PolicyEvalTest, NotActionWithAllow) {
  // "Allows all actions except those of IAM" (the NotAction element's example).
  const Policy* p = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}})");
  EXPECT_TRUE(Allowed(User("ecs:CreateCluster"), p));
  EXPECT_FALSE(Allowed(User("iam:CreateUser"), p));
  EXPECT_EQ(Identity(User("iam:CreateUser"), {p}).effect, Effect::kImplicitDeny);
}

TEST_F(PolicyEvalTest, NotActionWithDenyAndNotResource) {
  const Policy* admin = Parse(kAdministratorAccess);
  // Deny everything but ecs actions.
  const Policy* d = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"ecs:*","Resource":"*"}})");
  EXPECT_TRUE(Identity(User("ecs:ListClusters"), {admin, d}).allowed());
  EXPECT_EQ(Identity(User("s3:ListBucket"), {admin, d}).effect, Effect::kExplicitDeny);
  // Deny everything except the prod cluster.
  const Policy* nr = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ecs:*",
      "NotResource":"arn:aws:ecs:*:*:cluster/prod"}})");
  EXPECT_TRUE(Identity(User("ecs:DescribeClusters"), {admin, nr}).allowed());
  EXPECT_EQ(Identity(User("ecs:DescribeClusters", "arn:aws:ecs:us-east-1:123456789012:cluster/dev"), {admin, nr}).effect,
            Effect::kExplicitDeny);
}

TEST_F(PolicyEvalTest, ResourceArnWildcards) {
  const Policy* p = Allow("ecs:*", "arn:aws:ecs:*:123456789012:cluster/*");
  EXPECT_TRUE(Allowed(User("ecs:DescribeClusters"), p));
  EXPECT_FALSE(Allowed(User("ecs:DescribeClusters", "arn:aws:ecs:us-east-1:999999999999:cluster/prod"), p));
  EXPECT_FALSE(Allowed(User("ecs:DescribeServices", "arn:aws:ecs:us-east-1:123456789012:service/prod/web"), p));
  // '*' in the resource part crosses '/' and ':' (a log stream under a log group).
  const Policy* logs = Allow("logs:*", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/*");
  EXPECT_TRUE(Allowed(User("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web:log-stream:ecs/web/abc"), logs));
  EXPECT_FALSE(Allowed(User("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/other"), logs));
  // ...but not across the segments before the resource part.
  const Policy* seg = Allow("ecs:*", "arn:aws:ecs:*:cluster/*");
  EXPECT_FALSE(Allowed(User("ecs:DescribeClusters"), seg));
  const Policy* q = Allow("ecs:*", "arn:aws:ecs:us-east-?:123456789012:cluster/pro?");
  EXPECT_TRUE(Allowed(User("ecs:DescribeClusters"), q));
  // Resource matching is case-sensitive.
  EXPECT_FALSE(Allowed(User("ecs:DescribeClusters"), Allow("ecs:*", "arn:aws:ecs:us-east-1:123456789012:cluster/PROD")));
}

TEST_F(PolicyEvalTest, CarlosExample) {
  // "Example identity-based and resource-based policy evaluation" in the User Guide.
  const Policy* identity = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock",
      "s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
    {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
    {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]})");
  const Policy* bucket = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:*",
    "Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]})", PolicyKind::kResource);
  RequestContext r = User("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/x");
  r.principal_arn = "arn:aws:iam::123456789012:user/carlossalazar";
  PolicySet set;
  set.identity = {identity};
  set.resource = bucket;
  EXPECT_EQ(Evaluate(r, set).effect, Effect::kExplicitDeny);
  r.resource = "arn:aws:s3:::carlossalazar/x";
  EXPECT_TRUE(Evaluate(r, set).allowed());
}

TEST_F(PolicyEvalTest, PermissionsBoundaryLimitsIdentityPolicies) {
  PolicySet set;
  set.identity = {Allow("ecs:*")};
  set.permissions_boundary = Allow("ecs:Describe*");
  EXPECT_TRUE(Evaluate(User("ecs:DescribeClusters"), set).allowed());
  Decision d = Evaluate(User("ecs:CreateCluster"), set);
  EXPECT_EQ(d.effect, Effect::kImplicitDeny);
  EXPECT_EQ(d.by, PolicyType::kPermissionsBoundary);
  EXPECT_EQ(AccessDeniedMessage(User("ecs:CreateCluster"), d),
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateCluster "
            "on resource: arn:aws:ecs:us-east-1:123456789012:cluster/prod because no permissions boundary "
            "allows the ecs:CreateCluster action");
  // A boundary grants nothing by itself.
  set.identity = {};
  EXPECT_EQ(Evaluate(User("ecs:DescribeClusters"), set).by, PolicyType::kIdentity);
  // A Deny in the boundary is an explicit deny.
  set.identity = {Allow("ecs:*")};
  set.permissions_boundary = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
      {"Effect":"Deny","Action":"ecs:Delete*","Resource":"*"}]})");
  Decision e = Evaluate(User("ecs:DeleteCluster"), set);
  EXPECT_EQ(e.effect, Effect::kExplicitDeny);
  EXPECT_EQ(e.by, PolicyType::kPermissionsBoundary);
  EXPECT_TRUE(AccessDeniedMessage(User("ecs:DeleteCluster"), e)
                  .ends_with("cluster/prod with an explicit deny in a permissions boundary"));
}

TEST_F(PolicyEvalTest, SessionPolicies) {
  PolicySet set;
  set.identity = {Allow("ecs:*")};
  EXPECT_TRUE(Evaluate(RoleSession("ecs:CreateCluster"), set).allowed());  // none passed
  set.session = {Allow("ecs:List*")};
  set.has_session_policies = true;
  EXPECT_TRUE(Evaluate(RoleSession("ecs:ListClusters"), set).allowed());
  Decision d = Evaluate(RoleSession("ecs:CreateCluster"), set);
  EXPECT_EQ(d.effect, Effect::kImplicitDeny);
  EXPECT_EQ(d.by, PolicyType::kSession);
  EXPECT_NE(AccessDeniedMessage(RoleSession("ecs:CreateCluster"), d)
                .find("because no session policy allows the ecs:CreateCluster action"),
            std::string::npos);
  // A session policy cannot grant more than the role has.
  set.identity = {Allow("ecs:Describe*")};
  set.session = {Allow("*")};
  EXPECT_EQ(Evaluate(RoleSession("ecs:CreateCluster"), set).by, PolicyType::kIdentity);
  // A federated user session without session policies has no permissions.
  RequestContext fed = User("ecs:DescribeClusters");
  fed.principal_arn = "arn:aws:sts::123456789012:federated-user/bob";
  fed.principal_kind = PrincipalKind::kFederatedUser;
  PolicySet fset;
  fset.identity = {Allow("*")};
  EXPECT_EQ(Evaluate(fed, fset).by, PolicyType::kSession);
}

TEST_F(PolicyEvalTest, ResourcePolicyWithinOneAccount) {
  const char* repo = "arn:aws:ecr:us-east-1:123456789012:repository/web";
  auto resource_policy = [&](std::string principal) {
    return Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":")" + principal +
                     R"("},"Action":"ecr:BatchGetImage","Resource":"*"}})", PolicyKind::kResource);
  };
  // Naming the user grants without any identity policy, and a boundary does not limit it.
  PolicySet set;
  set.resource = resource_policy(kUserArn);
  set.permissions_boundary = Allow("s3:*");
  Decision d = Evaluate(User("ecr:BatchGetImage", repo), set);
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.by, PolicyType::kResource);
  // Naming the account only delegates to the identity-based policies.
  set.resource = resource_policy(kAccount);
  set.permissions_boundary = nullptr;
  EXPECT_EQ(Evaluate(User("ecr:BatchGetImage", repo), set).by, PolicyType::kIdentity);
  set.identity = {Allow("ecr:*")};
  EXPECT_TRUE(Evaluate(User("ecr:BatchGetImage", repo), set).allowed());
  // Naming the role: limited by the boundary and the session policies.
  PolicySet role;
  role.resource = resource_policy("arn:aws:iam::123456789012:role/app");
  EXPECT_TRUE(Evaluate(RoleSession("ecr:BatchGetImage", repo), role).allowed());
  role.permissions_boundary = Allow("s3:*");
  EXPECT_EQ(Evaluate(RoleSession("ecr:BatchGetImage", repo), role).by, PolicyType::kPermissionsBoundary);
  // Naming the session itself: not limited.
  role.resource = resource_policy("arn:aws:sts::123456789012:assumed-role/app/session1");
  role.session = {Allow("s3:*")};
  role.has_session_policies = true;
  EXPECT_TRUE(Evaluate(RoleSession("ecr:BatchGetImage", repo), role).allowed());
  // A Deny in the resource policy beats the identity policy's Allow.
  PolicySet deny;
  deny.identity = {Parse(kAdministratorAccess)};
  deny.resource = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*",
      "Action":"ecr:*","Resource":"*"}})", PolicyKind::kResource);
  Decision dd = Evaluate(User("ecr:BatchGetImage", repo), deny);
  EXPECT_EQ(dd.effect, Effect::kExplicitDeny);
  EXPECT_EQ(dd.by, PolicyType::kResource);
  // NotPrincipal: a Deny for everyone but the named user.
  deny.resource = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/ci"},
      "Action":"ecr:*","Resource":"*"}})", PolicyKind::kResource);
  EXPECT_TRUE(Evaluate(User("ecr:BatchGetImage", repo), deny).allowed());
  RequestContext other = User("ecr:BatchGetImage", repo);
  other.principal_arn = "arn:aws:iam::123456789012:user/other";
  EXPECT_EQ(Evaluate(other, deny).effect, Effect::kExplicitDeny);
}

TEST_F(PolicyEvalTest, CrossAccountNeedsBothSides) {
  RequestContext r = User("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:999999999999:repository/web");
  r.resource_account = "999999999999";
  PolicySet set;
  set.identity = {Allow("ecr:*")};
  EXPECT_EQ(Evaluate(r, set).by, PolicyType::kResource);
  EXPECT_EQ(AccessDeniedMessage(r, Evaluate(r, set)).substr(AccessDeniedMessage(r, Evaluate(r, set)).find("because")),
            "because no resource-based policy allows the ecr:BatchGetImage action");
  set.resource = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},
      "Action":"ecr:BatchGetImage","Resource":"*"}})", PolicyKind::kResource);
  EXPECT_TRUE(Evaluate(r, set).allowed());
  set.identity = {};
  EXPECT_EQ(Evaluate(r, set).by, PolicyType::kIdentity);
}

TEST_F(PolicyEvalTest, TrustPolicyMustAllow) {
  const Policy* trust = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"},
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ci"},"Action":"sts:AssumeRole",
       "Condition":{"StringEquals":{"sts:ExternalId":"secret"}}}]})", PolicyKind::kTrust);
  PolicySet set;
  set.resource = trust;
  set.resource_policy_required = true;
  RequestContext svc;
  svc.principal_arn = "ecs-tasks.amazonaws.com";
  svc.principal_kind = PrincipalKind::kService;
  svc.action = "sts:AssumeRole";
  svc.resource = "arn:aws:iam::123456789012:role/app";
  EXPECT_TRUE(Evaluate(svc, set).allowed());
  svc.principal_arn = "ec2.amazonaws.com";
  EXPECT_FALSE(Evaluate(svc, set).allowed());
  RequestContext user = User("sts:AssumeRole", "arn:aws:iam::123456789012:role/app");
  EXPECT_EQ(Evaluate(user, set).by, PolicyType::kResource);  // no ExternalId
  user.keys.Set("sts:ExternalId", "wrong");
  EXPECT_FALSE(Evaluate(user, set).allowed());
  user.keys.Set("sts:ExternalId", "secret");
  EXPECT_TRUE(Evaluate(user, set).allowed());
  // An identity policy alone does not let a user assume a role that does not trust it.
  RequestContext stranger = User("sts:AssumeRole", "arn:aws:iam::123456789012:role/app");
  stranger.principal_arn = "arn:aws:iam::123456789012:user/other";
  set.identity = {Parse(kAdministratorAccess)};
  EXPECT_FALSE(Evaluate(stranger, set).allowed());
}

TEST_F(PolicyEvalTest, RootUserIsAllowedUnlessAResourcePolicyDenies) {
  RequestContext root = User("ecs:CreateCluster");
  root.principal_arn = "arn:aws:iam::123456789012:root";
  root.principal_kind = PrincipalKind::kRoot;
  EXPECT_TRUE(Evaluate(root, PolicySet{}).allowed());
  PolicySet set;
  set.resource = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*",
      "Action":"ecs:*","Resource":"*"}})", PolicyKind::kResource);
  EXPECT_EQ(Evaluate(root, set).effect, Effect::kExplicitDeny);
}

// ---- Conditions ---------------------------------------------------------------------------------

TEST_F(PolicyEvalTest, StringConditionsAndKeysIgnoreCase) {
  const Policy* p = Allow("ecs:*", "*", R"({"StringEquals":{"AWS:RequestedRegion":["us-east-1","eu-west-1"]}})");
  RequestContext r = User("ecs:ListClusters");
  EXPECT_FALSE(Allowed(r, p));  // key absent
  r.keys.Set("aws:requestedregion", "eu-west-1");
  EXPECT_TRUE(Allowed(r, p));   // values are ORed
  r.keys.Set("aws:RequestedRegion", "EU-WEST-1");
  EXPECT_FALSE(Allowed(r, p));  // values compare with case
  EXPECT_TRUE(Allowed(r, Allow("ecs:*", "*", R"({"StringEqualsIgnoreCase":{"aws:RequestedRegion":"eu-West-1"}})")));
  EXPECT_TRUE(Allowed(r, Allow("ecs:*", "*", R"({"StringLike":{"aws:RequestedRegion":"EU-*"}})")));
  EXPECT_FALSE(Allowed(r, Allow("ecs:*", "*", R"({"StringNotLike":{"aws:RequestedRegion":"EU-*"}})")));
}

TEST_F(PolicyEvalTest, NegatedOperatorsAndMissingKeys) {
  // StringNotEquals with several values: the request must equal none of them (AND).
  const Policy* p = Allow("ecs:*", "*", R"({"StringNotEquals":{"aws:PrincipalAccount":["111111111111","222222222222"]}})");
  RequestContext r = User("ecs:ListClusters");
  EXPECT_TRUE(Allowed(r, p));  // absent: a negated operator holds
  r.keys.Set("aws:PrincipalAccount", "222222222222");
  EXPECT_FALSE(Allowed(r, p));
  r.keys.Set("aws:PrincipalAccount", "123456789012");
  EXPECT_TRUE(Allowed(r, p));
}

TEST_F(PolicyEvalTest, MultipleKeysAndOperatorsAreAnded) {
  const Policy* p = Allow("ecs:*", "*", R"({"StringEqualsIgnoreCase":{"aws:PrincipalTag/department":["finance","hr"],
      "aws:PrincipalTag/role":["audit","security"]},"StringEquals":{"aws:PrincipalAccount":"123456789012"}})");
  RequestContext r = User("ecs:ListClusters");
  r.keys.Set("aws:PrincipalTag/department", "HR");
  r.keys.Set("aws:PrincipalTag/role", "audit");
  EXPECT_FALSE(Allowed(r, p));
  r.keys.Set("aws:PrincipalAccount", "123456789012");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("aws:PrincipalTag/role", "dev");
  EXPECT_FALSE(Allowed(r, p));
}

TEST_F(PolicyEvalTest, IfExistsOnMissingKeys) {
  // The ...IfExists example: launch only t1/t2/m3 instances, but do not fail on resources
  // without the key.
  const Policy* p = Allow("ec2:RunInstances", "*", R"({"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}})");
  RequestContext r = User("ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("ec2:InstanceType", "t2.micro");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("ec2:InstanceType", "m5.large");
  EXPECT_FALSE(Allowed(r, p));
  // Without IfExists the missing key fails the condition.
  RequestContext bare = User("ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1");
  EXPECT_FALSE(Allowed(bare, Allow("ec2:RunInstances", "*", R"({"StringLike":{"ec2:InstanceType":["t1.*"]}})")));
  // A Deny with a negated IfExists operator still denies when the key is missing.
  const Policy* admin = Parse(kAdministratorAccess);
  const Policy* deny = DenyStatement("ecs:*", "*", R"({"StringNotEqualsIfExists":{"aws:ResourceTag/team":"blue"}})");
  EXPECT_EQ(Identity(User("ecs:DeleteCluster"), {admin, deny}).effect, Effect::kExplicitDeny);
}

TEST_F(PolicyEvalTest, SetOperators) {
  const Policy* all = Allow("ecs:TagResource", "*", R"({"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}})");
  const Policy* any = Allow("ecs:TagResource", "*", R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}})");
  RequestContext r = User("ecs:TagResource");
  // ForAllValues with no values: the empty set is a subset, so it holds; ForAnyValue does not.
  EXPECT_TRUE(Allowed(r, all));
  EXPECT_FALSE(Allowed(r, any));
  r.keys.Add("aws:TagKeys", "team");
  r.keys.Add("aws:TagKeys", "env");
  EXPECT_TRUE(Allowed(r, all));
  EXPECT_TRUE(Allowed(r, any));
  r.keys.Add("aws:TagKeys", "owner");
  EXPECT_FALSE(Allowed(r, all));
  EXPECT_TRUE(Allowed(r, any));
  // ForAnyValue:StringNotEquals: some request value is none of the policy's.
  EXPECT_TRUE(Allowed(r, Allow("ecs:TagResource", "*", R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}})")));
  EXPECT_FALSE(Allowed(r, Allow("ecs:TagResource", "*", R"({"ForAllValues:StringNotEquals":{"aws:TagKeys":["team"]}})")));
}

TEST_F(PolicyEvalTest, IpAddressConditions) {
  const Policy* p = Allow("ecs:*", "*", R"({"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}})");
  RequestContext r = User("ecs:ListClusters");
  r.keys.Set("aws:SourceIp", "203.0.113.7");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("aws:SourceIp", "203.0.114.7");
  EXPECT_FALSE(Allowed(r, p));
  r.keys.Set("aws:SourceIp", "2001:db8:1234:5678::abcd");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("aws:SourceIp", "2001:db8:1234:5679::1");
  EXPECT_FALSE(Allowed(r, p));
  r.keys.Set("aws:SourceIp", "not an address");
  EXPECT_FALSE(Allowed(r, p));
  // A bare address is a /32; NotIpAddress in a Deny: "deny unless from this range".
  r.keys.Set("aws:SourceIp", "192.0.2.10");
  EXPECT_TRUE(Allowed(r, Allow("ecs:*", "*", R"({"IpAddress":{"aws:SourceIp":"192.0.2.10"}})")));
  EXPECT_FALSE(Allowed(r, Allow("ecs:*", "*", R"({"IpAddress":{"aws:SourceIp":"192.0.2.11"}})")));
  const Policy* admin = Parse(kAdministratorAccess);
  const Policy* deny = DenyStatement("*", "*", R"({"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}})");
  EXPECT_TRUE(Identity(r, {admin, deny}).allowed());
  r.keys.Set("aws:SourceIp", "198.51.100.1");
  EXPECT_EQ(Identity(r, {admin, deny}).effect, Effect::kExplicitDeny);
}

TEST_F(PolicyEvalTest, NumericDateBoolBinaryNullArn) {
  RequestContext r = User("s3:ListBucket");
  r.keys.Set("s3:max-keys", "10");
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})")));
  EXPECT_FALSE(Allowed(r, Allow("s3:*", "*", R"({"NumericLessThan":{"s3:max-keys":10}})")));
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"NumericGreaterThan":{"s3:max-keys":"9.5"}})")));
  r.keys.Set("aws:CurrentTime", "2026-12-06T03:00:00Z");
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}})")));
  EXPECT_FALSE(Allowed(r, Allow("s3:*", "*", R"({"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"}})")));
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"DateGreaterThan":{"aws:CurrentTime":"1700000000"}})")));  // epoch
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"DateEquals":{"aws:CurrentTime":"2026-12-06T04:00:00+01:00"}})")));
  r.keys.Set("aws:SecureTransport", "false");
  const Policy* admin = Parse(kAdministratorAccess);
  const Policy* tls = DenyStatement("s3:*", "*", R"({"Bool":{"aws:SecureTransport":"false"}})");
  EXPECT_EQ(Identity(r, {admin, tls}).effect, Effect::kExplicitDeny);
  r.keys.Set("aws:SecureTransport", "true");
  EXPECT_TRUE(Identity(r, {admin, tls}).allowed());
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"Bool":{"aws:SecureTransport":true}})")));
  r.keys.Set("kms:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==");
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"BinaryEquals":{"kms:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})")));
  // Null: "true" when the key is absent (long-term keys: no aws:TokenIssueTime).
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"Null":{"aws:TokenIssueTime":"true"}})")));
  EXPECT_FALSE(Allowed(r, Allow("s3:*", "*", R"({"Null":{"aws:TokenIssueTime":"false"}})")));
  // ArnLike matches segment by segment; StringLike over the whole string (the guide's example).
  r.keys.Set("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt");
  EXPECT_FALSE(Allowed(r, Allow("s3:*", "*", R"({"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}})")));
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}})")));
  EXPECT_TRUE(Allowed(r, Allow("s3:*", "*", R"({"ArnNotEquals":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}})")));
}

TEST_F(PolicyEvalTest, EcsClusterAndPassedToService) {
  const Policy* p = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"ecs:RunTask","Resource":"*",
     "Condition":{"ArnEquals":{"ecs:cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/prod"}}},
    {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/ecsTask*",
     "Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]})");
  RequestContext run = User("ecs:RunTask", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1");
  run.keys.Set("ecs:cluster", kCluster);
  EXPECT_TRUE(Allowed(run, p));
  run.keys.Set("ecs:cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/dev");
  EXPECT_FALSE(Allowed(run, p));
  RequestContext pass = User("iam:PassRole", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole");
  pass.keys.Set("iam:PassedToService", "ecs-tasks.amazonaws.com");
  EXPECT_TRUE(Allowed(pass, p));
  pass.keys.Set("iam:PassedToService", "ec2.amazonaws.com");
  EXPECT_FALSE(Allowed(pass, p));
}

// ---- Variables ------------------------------------------------------------------------------------

TEST_F(PolicyEvalTest, VariablesInResources) {
  const Policy* p = Allow("iam:*AccessKey*", "arn:aws:iam::123456789012:user/${aws:username}");
  EXPECT_TRUE(Allowed(User("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/ci"), p));
  EXPECT_FALSE(Allowed(User("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/admin"), p));
  // With Version 2008-10-17 a variable is literal text.
  const Policy* old = Parse(R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iam:*",
      "Resource":"arn:aws:iam::123456789012:user/${aws:username}"}})");
  EXPECT_FALSE(Allowed(User("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/ci"), old));
  EXPECT_TRUE(Allowed(User("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/${aws:username}"), old));
  // A variable without a value matches no resource; a default stands in for it.
  const Policy* team = Allow("s3:*", "arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'company-wide'}");
  RequestContext r = User("s3:GetObject", "arn:aws:s3:::bucket-company-wide");
  EXPECT_TRUE(Allowed(r, team));
  r.keys.Set("aws:PrincipalTag/team", "yellow");
  EXPECT_FALSE(Allowed(r, team));
  r.resource = "arn:aws:s3:::bucket-yellow";
  EXPECT_TRUE(Allowed(r, team));
  const Policy* no_default = Allow("s3:*", "arn:aws:s3:::bucket-${aws:PrincipalTag/unit}");
  EXPECT_FALSE(Allowed(User("s3:GetObject", "arn:aws:s3:::bucket-"), no_default));
  // A value's '*' is literal, not a wildcard.
  RequestContext star = User("s3:GetObject", "arn:aws:s3:::bucket-anything");
  star.keys.Set("aws:PrincipalTag/unit", "*");
  EXPECT_FALSE(Allowed(star, no_default));
  star.resource = "arn:aws:s3:::bucket-*";
  EXPECT_TRUE(Allowed(star, no_default));
}

TEST_F(PolicyEvalTest, SpecialCharacterVariables) {
  const Policy* p = Allow("s3:*", "arn:aws:s3:::b/${*}${?}${$}");
  EXPECT_TRUE(Allowed(User("s3:GetObject", "arn:aws:s3:::b/*?$"), p));
  EXPECT_FALSE(Allowed(User("s3:GetObject", "arn:aws:s3:::b/x?$"), p));
  EXPECT_FALSE(Allowed(User("s3:GetObject", "arn:aws:s3:::b/*x$"), p));
}

TEST_F(PolicyEvalTest, VariablesInConditions) {
  const Policy* p = Allow("s3:ListBucket", "*", R"({"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}})");
  RequestContext r = User("s3:ListBucket");
  r.keys.Set("s3:prefix", "home/ci/docs");
  EXPECT_TRUE(Allowed(r, p));
  r.keys.Set("s3:prefix", "home/admin/docs");
  EXPECT_FALSE(Allowed(r, p));
  // A variable with no value: StringEquals does not match, StringNotEquals does.
  RequestContext t = User("s3:GetObject");
  t.keys.Set("s3:ExistingObjectTag/Team", "blue");
  EXPECT_FALSE(Allowed(t, Allow("s3:*", "*", R"({"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}})")));
  EXPECT_TRUE(Allowed(t, Allow("s3:*", "*", R"({"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}})")));
  t.keys.Set("aws:PrincipalTag/Team", "blue");
  EXPECT_TRUE(Allowed(t, Allow("s3:*", "*", R"({"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}})")));
  // ARN operators take variables too.
  RequestContext a = User("s3:GetObject");
  a.keys.Set("aws:SourceArn", kUserArn);
  EXPECT_TRUE(Allowed(a, Allow("s3:*", "*", R"({"ArnEquals":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:username}"}})")));
}

TEST_F(PolicyEvalTest, MatchPolicyAlone) {
  const Policy* p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
      {"Effect":"Deny","Action":"ecs:Delete*","Resource":"*"}]})");
  EXPECT_EQ(MatchPolicy(*p, User("ecs:ListClusters"), false), PolicyMatch::kAllow);
  EXPECT_EQ(MatchPolicy(*p, User("ecs:DeleteCluster"), false), PolicyMatch::kDeny);
  EXPECT_EQ(MatchPolicy(*p, User("ecr:ListImages"), false), PolicyMatch::kNoMatch);
}

// A request through a VPC endpoint: the endpoint's policy must allow as well, its Deny denies
// (the root too), and AccessDenied names it in AWS's words.
TEST_F(PolicyEvalTest, AVpcEndpointPolicyMustAllowToo) {
  const Policy* admin = Allow("*");
  const Policy* full = Parse(R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})",
                             PolicyKind::kResource);
  const Policy* no_reads = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]})",
                                 PolicyKind::kResource);
  const Policy* ecr_only = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:*","Resource":"*"}]})",
                                 PolicyKind::kResource);
  PolicySet set;
  set.identity = {admin};
  set.through_vpc_endpoint = true;
  set.vpc_endpoint = full;
  EXPECT_TRUE(Evaluate(User("secretsmanager:GetSecretValue"), set).allowed());

  set.vpc_endpoint = no_reads;
  RequestContext read = User("secretsmanager:GetSecretValue", "*");
  Decision d = Evaluate(read, set);
  EXPECT_EQ(d.effect, Effect::kExplicitDeny);
  EXPECT_EQ(d.by, PolicyType::kVpcEndpoint);
  EXPECT_EQ(AccessDeniedMessage(read, d),
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:GetSecretValue on "
            "resource: * with an explicit deny in a VPC endpoint policy");
  EXPECT_TRUE(Evaluate(User("secretsmanager:ListSecrets"), set).allowed());

  set.vpc_endpoint = ecr_only;
  d = Evaluate(read, set);
  EXPECT_EQ(d.effect, Effect::kImplicitDeny);
  EXPECT_EQ(d.by, PolicyType::kVpcEndpoint);
  EXPECT_EQ(AccessDeniedMessage(read, d),
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:GetSecretValue on "
            "resource: * because no VPC endpoint policy allows the secretsmanager:GetSecretValue action");
  // The caller's own policies still decide first: the endpoint grants nothing by itself.
  set.identity.clear();
  EXPECT_EQ(Evaluate(User("ecr:ListImages"), set).by, PolicyType::kIdentity);
  // A policy that does not parse is no policy: nothing passes.
  set.identity = {admin};
  set.vpc_endpoint = nullptr;
  EXPECT_EQ(Evaluate(User("ecr:ListImages"), set).by, PolicyType::kVpcEndpoint);
  // The root is bound by it too.
  RequestContext root = User("secretsmanager:GetSecretValue");
  root.principal_arn = "arn:aws:iam::123456789012:root";
  root.principal_kind = PrincipalKind::kRoot;
  PolicySet none;
  none.through_vpc_endpoint = true;
  none.vpc_endpoint = no_reads;
  EXPECT_EQ(Evaluate(root, none).effect, Effect::kExplicitDeny);
  none.vpc_endpoint = full;
  EXPECT_TRUE(Evaluate(root, none).allowed());
}

}  // namespace
}  // namespace wharf::iam
