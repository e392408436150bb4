// The caches an authorization reads through, each seen to let go when what it keeps changes:
// the caller's parsed policies and decisions (a policy change is refused or allowed by the
// very next request) and a resource's tags (aws:ResourceTag/<key>, read again once the store
// has moved). Denial is what the front door calls for every request not signed by the root.
#include "api/authorize.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <atomic>

#include "controlplane/vpc_endpoint_origin.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kService = "arn:aws:ecs:us-east-1:000000000000:service/bench/web";

std::string Statement(std::string_view effect, std::string_view action, std::string_view condition = "") {
  std::string s = R"({"Effect":")" + std::string(effect) + R"(","Action":")" + std::string(action) +
                  R"(","Resource":"*")";
  if (!condition.empty()) s += R"(,"Condition":)" + std::string(condition);
  return s + "}";
}

std::string Document(const std::string& statement) {
  return R"({"Version":"2012-10-17","Statement":[)" + statement + "]}";
}

class AuthorizeTest : public ::testing::Test {
 protected:
  AuthorizeTest() : authorizer_(store_, nullptr) {
    EXPECT_TRUE(authorizer_.Start().ok());
    KeyOwner owner;
    owner.root = false;
    owner.user_name = "ci";
    owner.user_path = "/";
    owner.user_id = "AIDAEXAMPLE";
    ctx_.region = "us-east-1";
    ctx_.account_id = "000000000000";
    ctx_.access_key_id = "AKIAEXAMPLE";
    SetPrincipal(ctx_, owner);
    ctx_.key_owner = std::make_shared<const KeyOwner>(owner);
    service_.resource_tags = [this](std::string_view arn) {
      ++tag_reads_;
      auto kv = store_.Get("test/tags/" + std::string(arn));
      ResourceTags tags;
      if (kv.ok() && *kv) tags.emplace_back("team", (*kv)->value);
      return tags;
    };
  }

  // The user's record as IAM writes it, with one inline policy (committed without telling the
  // Authorizer: its watch on iam/ must notice).
  void PutUser(const std::string& document) {
    json::object user{{"User", json::object{{"UserName", "ci"}, {"UserId", "AIDAEXAMPLE"}, {"Path", "/"}}},
                      {"inlinePolicies", json::object{{"p", document}}}};
    Put(model::keys::IamUserKey("ci"), json::serialize(user));
  }

  void Put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Put(key, value)}}).ok());
  }

  // Null when allowed, else AccessDenied's message.
  std::optional<std::string> Ask(std::string action, std::string resource = std::string(kService)) {
    auto denial = Denial(authorizer_, ctx_, {authz::Check{std::move(action), std::move(resource), {}}}, &service_);
    EXPECT_TRUE(denial.ok());
    return denial.ok() ? *denial : std::optional<std::string>("error");
  }

  store::MemoryStore store_;
  controlplane::Authorizer authorizer_;
  RequestContext ctx_;
  ServiceEndpoint service_;
  int tag_reads_ = 0;
};

// The decision is cached (the second ask is answered from it); a new policy document is the
// next request's, both ways, with no call to Changed().
TEST_F(AuthorizeTest, APolicyChangeIsSeenByTheNextRequest) {
  PutUser(Document(Statement("Allow", "ecs:Describe*")));
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);

  PutUser(Document(Statement("Allow", "ecs:List*")));
  auto denied = Ask("ecs:DescribeServices");
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("because no identity-based policy allows the ecs:DescribeServices action"),
            std::string::npos)
      << *denied;

  PutUser(Document(Statement("Allow", "ecs:Describe*")));
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
}

// A managed policy's new default version is a change to another record than the user's.
TEST_F(AuthorizeTest, AManagedPolicyVersionChangeIsSeenByTheNextRequest) {
  auto managed = [&](const std::string& document) {
    json::object policy{{"versions", json::array{json::object{{"VersionId", "v1"}, {"IsDefaultVersion", true},
                                                              {"Document", document}}}}};
    Put(model::keys::IamPolicyKey("ops"), json::serialize(policy));
  };
  managed(Document(Statement("Allow", "ecs:*")));
  json::object user{{"User", json::object{{"UserName", "ci"}, {"UserId", "AIDAEXAMPLE"}, {"Path", "/"}}},
                    {"attachedPolicies", json::array{"arn:aws:iam::000000000000:policy/ops"}}};
  Put(model::keys::IamUserKey("ci"), json::serialize(user));
  EXPECT_EQ(Ask("ecs:CreateCluster", "*"), std::nullopt);

  managed(Document(Statement("Allow", "ecs:*") + "," + Statement("Deny", "ecs:CreateCluster")));
  auto denied = Ask("ecs:CreateCluster", "*");
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("with an explicit deny in an identity-based policy"), std::string::npos) << *denied;
}

// The tags are read once while nothing changes, read again after any commit, and a tag's new
// value decides the next request.
TEST_F(AuthorizeTest, AResourceTagChangeIsSeenByTheNextRequest) {
  PutUser(Document(Statement("Allow", "ecs:Describe*", R"({"StringEquals":{"aws:ResourceTag/team":"bench"}})")));
  Put("test/tags/" + std::string(kService), "bench");
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
  EXPECT_EQ(tag_reads_, 1);

  Put("test/tags/" + std::string(kService), "other");
  EXPECT_TRUE(Ask("ecs:DescribeServices").has_value());
  EXPECT_EQ(tag_reads_, 2);

  Put("test/unrelated", "x");  // any commit: the tags are read again, and still refuse
  EXPECT_TRUE(Ask("ecs:DescribeServices").has_value());
  EXPECT_EQ(tag_reads_, 3);

  Put("test/tags/" + std::string(kService), "bench");
  EXPECT_EQ(Ask("ecs:DescribeServices"), std::nullopt);
}

// Each region reads its own store: the same ARN asked from two regions is two entries.
TEST(AuthorizerResourceTags, AreKeptPerRegionAndReadAgainAfterACommit) {
  store::MemoryStore store;
  controlplane::Authorizer authorizer(store, nullptr);
  int reads = 0;
  auto read = [&](std::string_view) {
    ++reads;
    return controlplane::Authorizer::Tags{{"team", "a"}};
  };
  EXPECT_EQ(authorizer.ResourceTagsOf("us-east-1", kService, read)->at(0).second, "a");
  authorizer.ResourceTagsOf("us-east-1", kService, read);
  EXPECT_EQ(reads, 1);
  authorizer.ResourceTagsOf("eu-west-1", kService, read);
  EXPECT_EQ(reads, 2);
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put("k", "v")}}).ok());
  authorizer.ResourceTagsOf("us-east-1", kService, read);
  EXPECT_EQ(reads, 3);
}

constexpr std::string_view kSecret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";

// A secret's resource policy: GetSecretValue denied to anyone but through vpce-0123456789abcdef0.
std::string DenyUnlessThroughTheEndpoint(std::string_view) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",)"
         R"("Action":"secretsmanager:GetSecretValue","Resource":"*",)"
         R"("Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0123456789abcdef0"}}}]})";
}

// A secretsmanager interface endpoint with `policy` (none when it does not parse: a failure).
std::shared_ptr<controlplane::EndpointOrigin> SecretsEndpoint(std::string_view policy) {
  auto endpoint = std::make_shared<controlplane::EndpointOrigin>();
  endpoint->vpce_id = "vpce-0123456789abcdef0";
  endpoint->vpc_id = "vpc-0aaaabbbbccccdddd";
  endpoint->service = "secretsmanager";
  endpoint->region = "us-east-1";
  auto parsed = iam::ParsePolicy(policy, {iam::PolicyKind::kResource});
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (parsed.ok()) endpoint->policy = std::make_shared<const iam::Policy>(std::move(parsed).value());
  return endpoint;
}

// Through a VPC endpoint: aws:SourceVpce and aws:SourceVpc are in the request (and only then),
// so a resource policy's "Deny unless through this endpoint" holds, and the endpoint's own
// policy is weighed, a change to it seen by the next request (nothing is cached for it).
TEST_F(AuthorizeTest, ThroughAVpcEndpointItsKeysAndPolicyCount) {
  PutUser(Document(Statement("Allow", "secretsmanager:*")));
  service_.resource_policy = DenyUnlessThroughTheEndpoint;
  auto denied = Ask("secretsmanager:GetSecretValue", std::string(kSecret));
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("with an explicit deny in a resource-based policy"), std::string::npos) << *denied;

  auto endpoint = SecretsEndpoint(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})");
  ASSERT_TRUE(endpoint->policy);
  ctx_.endpoint = endpoint;
  EXPECT_EQ(Ask("secretsmanager:GetSecretValue", std::string(kSecret)), std::nullopt);
  EXPECT_EQ(Ask("secretsmanager:DescribeSecret", std::string(kSecret)), std::nullopt);

  // The same endpoint with another policy: the same caller is refused at once.
  auto other = std::make_shared<controlplane::EndpointOrigin>(*endpoint);
  auto reads = iam::ParsePolicy(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]})",
                                {iam::PolicyKind::kResource});
  ASSERT_TRUE(reads.ok());
  other->policy = std::make_shared<const iam::Policy>(std::move(reads).value());
  ctx_.endpoint = other;
  EXPECT_EQ(Ask("secretsmanager:GetSecretValue", std::string(kSecret)), std::nullopt);
  denied = Ask("secretsmanager:DescribeSecret", std::string(kSecret));
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("because no VPC endpoint policy allows the secretsmanager:DescribeSecret action"),
            std::string::npos)
      << *denied;

  // An identity policy may test aws:SourceVpc.
  service_.resource_policy = nullptr;
  ctx_.endpoint = endpoint;
  PutUser(Document(Statement("Allow", "secretsmanager:*", R"({"StringEquals":{"aws:SourceVpc":"vpc-0aaaabbbbccccdddd"}})")));
  EXPECT_EQ(Ask("secretsmanager:GetSecretValue", std::string(kSecret)), std::nullopt);
  ctx_.endpoint = nullptr;
  EXPECT_TRUE(Ask("secretsmanager:GetSecretValue", std::string(kSecret)).has_value());
}

// The account root: bound by a secret's resource policy's explicit Deny (not needing its
// Allow), and through a VPC endpoint by the endpoint's policy; STS's calls through an endpoint
// are weighed by the endpoint's policy alone (EndpointDenial).
TEST_F(AuthorizeTest, TheRootIsBoundByAResourcePolicysDenyAndAnEndpointsPolicy) {
  KeyOwner root;
  root.root = true;
  SetPrincipal(ctx_, root);
  ctx_.key_owner = std::make_shared<const KeyOwner>(root);
  service_.resource_policy = DenyUnlessThroughTheEndpoint;
  auto denied = Ask("secretsmanager:GetSecretValue", std::string(kSecret));
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("with an explicit deny in a resource-based policy"), std::string::npos) << *denied;
  EXPECT_EQ(Ask("secretsmanager:DescribeSecret", std::string(kSecret)), std::nullopt);  // no Allow needed

  auto endpoint = SecretsEndpoint(
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":["secretsmanager:GetSecretValue","sts:GetSessionToken"],"Resource":"*"}]})");
  ASSERT_TRUE(endpoint->policy);
  ctx_.endpoint = endpoint;
  EXPECT_EQ(Ask("secretsmanager:GetSecretValue", std::string(kSecret)), std::nullopt);
  EXPECT_TRUE(Ask("secretsmanager:DescribeSecret", std::string(kSecret)).has_value());

  EXPECT_EQ(EndpointDenial(ctx_, {authz::Check{"sts:GetSessionToken", "*", {}}}), std::nullopt);
  denied = EndpointDenial(ctx_, {authz::Check{"sts:AssumeRole", "arn:aws:iam::000000000000:role/deploy", {}}});
  ASSERT_TRUE(denied.has_value());
  EXPECT_NE(denied->find("because no VPC endpoint policy allows the sts:AssumeRole action"), std::string::npos)
      << *denied;
  ctx_.endpoint = nullptr;
  EXPECT_EQ(EndpointDenial(ctx_, {authz::Check{"sts:AssumeRole", "*", {}}}), std::nullopt);
}

}  // namespace
}  // namespace wharf::api
