#include "agent/pull_path.h"

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {

ImageReference Ecr() { return {"000000000000.dkr.ecr.us-east-1.amazonaws.com", "app", "v1"}; }

TEST(PullPathTest, AWayOutReachesEveryRegistry) {
  EXPECT_EQ(UnreachedRegistryReason("any", Ecr(), true), "");
  EXPECT_EQ(UnreachedRegistryReason("any", {"docker.io", "library/busybox", "latest"}, false), "");
}

TEST(PullPathTest, EcrEndpointsReachOnlyEcr) {
  EXPECT_EQ(UnreachedRegistryReason("ecr", Ecr(), true), "");
  EXPECT_NE(UnreachedRegistryReason("ecr", {"docker.io", "library/busybox", "latest"}, false), "");
}

TEST(PullPathTest, NoWayOutTimesOutInFargatesWords) {
  EXPECT_EQ(UnreachedRegistryReason("", Ecr(), true),
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:v1: failed to do request: Head "
            "\"https://000000000000.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/v1\": dial tcp "
            "000000000000.dkr.ecr.us-east-1.amazonaws.com:443: i/o timeout");
}

class Answering final : public ExecutionRoleCalls {
 public:
  Result<boost::json::object> Call(const std::string&, std::string_view, std::string_view,
                                   const boost::json::object&, std::string_view) override {
    return boost::json::object{{"answered", true}};
  }
};

class Dropped final : public ExecutionRoleCalls {
 public:
  Result<boost::json::object> Call(const std::string&, std::string_view, std::string_view,
                                   const boost::json::object&, std::string_view) override {
    ++calls;
    return Status::Unavailable("connect 198.18.0.1:443: timed out");
  }
  int calls = 0;
};

TEST(PullPathTest, SecretsAreFetchedOnlyFromServicesWithAnEndpoint) {
  Answering inner;
  CallsThroughEni calls(inner, {"ecr.api", "ssm"});
  EXPECT_TRUE(calls.Call("t", "ssm", "AmazonSSM.GetParameters", {}, "us-east-1").ok());
  auto timed_out = calls.Call("t", "secretsmanager", "secretsmanager.GetSecretValue", {}, "us-east-1");
  ASSERT_FALSE(timed_out.ok());
  EXPECT_NE(timed_out.status().message().find(
                "Post \"https://secretsmanager.us-east-1.amazonaws.com/\": dial tcp "
                "secretsmanager.us-east-1.amazonaws.com:443: i/o timeout"),
            std::string::npos)
      << timed_out.status().message();
}

TEST(PullPathTest, OnlyTheServersRegistryIsPulledThroughTheTasksNetwork) {
  EXPECT_TRUE(PullsThroughTaskNetwork("any", /*way_out=*/true, /*is_ecr=*/true));
  EXPECT_TRUE(PullsThroughTaskNetwork("", false, true)) << "no way out: the dial really times out";
  EXPECT_FALSE(PullsThroughTaskNetwork("any", false, true)) << "a public subnet's task without a public address";
  EXPECT_TRUE(PullsThroughTaskNetwork("ecr", false, true)) << "ECR's endpoints: their address in the VPC";
  EXPECT_FALSE(PullsThroughTaskNetwork("any", true, false)) << "another registry";
  PullOptions through = ThroughTaskNetwork({}, "/run/netns/t");
  auto endpoint = through.endpoint("000000000000.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "198.18.0.1");
  EXPECT_EQ(endpoint->port, "443");
  EXPECT_EQ(endpoint->netns_path, "/run/netns/t");
  EXPECT_EQ(through.policy, PullPolicy::kAlways) << "a cached image still asks for its manifest";
  EXPECT_EQ(ThroughTaskNetwork({}, "/run/netns/t", "10.0.2.9").endpoint("r")->host, "10.0.2.9")
      << "an interface endpoint's address";
}

// Where a pull connects: the ecr.dkr endpoint when the endpoints reach ECR, the front otherwise
// (no S3 gateway endpoint: the decision, wharf's registry serving the layers itself).
TEST(PullPathTest, ThroughEndpointsThePullGoesToTheRegistrysEndpoint) {
  EXPECT_EQ(PullAddress("ecr", "10.0.2.9"), "10.0.2.9");
  EXPECT_EQ(PullAddress("any", "10.0.2.9"), "10.0.2.9") << "with a way out too: private DNS answers the endpoint";
  EXPECT_EQ(PullAddress("any", ""), "") << "no endpoint: the front";
  EXPECT_EQ(PullAddress("", "10.0.2.9"), "") << "no S3 gateway endpoint: the front, which times out";
}

class Recording final : public ExecutionRoleCalls {
 public:
  Result<boost::json::object> Call(const std::string&, std::string_view service, std::string_view target,
                                   const boost::json::object&, std::string_view region) override {
    seen.push_back(std::string(service) + " " + std::string(target) + " " + std::string(region));
    // "AWS:secret" in base64
    return boost::json::object{
        {"authorizationData", boost::json::array{boost::json::object{{"authorizationToken", "QVdTOnNlY3JldA=="}}}}};
  }
  std::vector<std::string> seen;
};

TEST(PullPathTest, TheEcrTokenGoesThePullsWay) {
  Recording token;
  PullOptions base;
  base.is_ecr = [](const std::string& registry) { return registry.find(".dkr.ecr.") != std::string::npos; };
  PullOptions through = ThroughTaskNetwork(base, "/run/netns/t", "10.0.2.9", &token, "arn:task", "us-east-1");
  auto credentials = through.credentials("000000000000.dkr.ecr.eu-west-1.amazonaws.com");
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  ASSERT_TRUE(credentials->has_value());
  EXPECT_EQ((*credentials)->username, "AWS");
  EXPECT_EQ((*credentials)->password, "secret");
  ASSERT_EQ(token.seen.size(), 1u);
  EXPECT_EQ(token.seen[0], "ecr AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken eu-west-1");
  auto anonymous = through.credentials("docker.io");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_FALSE(anonymous->has_value());
}

// With an interface endpoint for a service, its calls go to the endpoint's address through the
// task's network, way out or not; the ECR token's signing name "ecr" is ecr.api's endpoint.
TEST(PullPathTest, ServicesWithAnInterfaceEndpointAreCalledThere) {
  Answering inner, front;
  Recording endpoint;
  Dropped refused;
  CallsThroughEni calls(inner, {}, &front, {{"ssm", &endpoint}, {"ecr.api", &endpoint}, {"secretsmanager", &refused}});
  EXPECT_TRUE(calls.Call("t", "ssm", "AmazonSSM.GetParameters", {}, "us-east-1").ok());
  EXPECT_TRUE(calls.Call("t", "ecr", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", {}, "us-east-1").ok());
  EXPECT_EQ(endpoint.seen.size(), 2u);
  auto timed_out = calls.Call("t", "secretsmanager", "secretsmanager.GetSecretValue", {}, "us-east-1");
  EXPECT_EQ(refused.calls, kTaskNetworkDialAttempts) << "the endpoint's groups do not admit the task";
  ASSERT_FALSE(timed_out.ok());
  EXPECT_NE(timed_out.status().message().find("secretsmanager.us-east-1.amazonaws.com:443: i/o timeout"),
            std::string::npos);
}


// Without an endpoint's address (its interface is its packets' way), a service goes through
// the task's network toward the front, listed or not: the node's connection is only for a
// node that cannot dial from the task's namespace.
TEST(PullPathTest, SecretsWithoutAnEndpointGoThroughTheTasksNetwork) {
  Answering inner, endpoint;
  Dropped in_network;
  CallsThroughEni calls(inner, {"ssm"}, &in_network, {{"ssm", &endpoint}});
  EXPECT_TRUE(calls.Call("t", "ssm", "AmazonSSM.GetParameters", {}, "us-east-1").ok());
  EXPECT_EQ(in_network.calls, 0);
  auto timed_out = calls.Call("t", "secretsmanager", "secretsmanager.GetSecretValue", {}, "us-east-1");
  EXPECT_EQ(in_network.calls, kTaskNetworkDialAttempts);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_NE(timed_out.status().message().find("secretsmanager.us-east-1.amazonaws.com:443: i/o timeout"),
            std::string::npos)
      << timed_out.status().message();
}

}  // namespace
}  // namespace wharf::agent
