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
  EXPECT_FALSE(PullsThroughTaskNetwork("ecr", false, true)) << "ECR's endpoints: still the server's decision";
  EXPECT_FALSE(PullsThroughTaskNetwork("any", true, false)) << "another registry";
  PullOptions through = ThroughTaskNetwork({}, "/run/netns/t");
  auto endpoint = through.endpoint("000000000000.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "198.18.0.1");
  EXPECT_EQ(endpoint->port, "443");
  EXPECT_EQ(endpoint->netns_path, "/run/netns/t");
  EXPECT_EQ(through.policy, PullPolicy::kAlways) << "a cached image still asks for its manifest";
}

class Dropped final : public ExecutionRoleCalls {
 public:
  Result<boost::json::object> Call(const std::string&, std::string_view, std::string_view,
                                   const boost::json::object&, std::string_view) override {
    ++calls;
    return Status::Unavailable("connect 198.18.0.1:443: timed out");
  }
  int calls = 0;
};

TEST(PullPathTest, SecretsWithoutAnEndpointGoThroughTheTasksNetwork) {
  Answering inner;
  Dropped in_network;
  CallsThroughEni calls(inner, {"ssm"}, &in_network);
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
