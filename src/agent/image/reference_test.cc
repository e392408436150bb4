#include "agent/image/reference.h"

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {

TEST(ImageReference, DockerHubShortNames) {
  auto r = ParseImageReference("busybox");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->registry, "docker.io");
  EXPECT_EQ(r->repository, "library/busybox");
  EXPECT_EQ(r->reference, "latest");
  EXPECT_EQ(r->ToString(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ParseImageReference("nginx/unit:1.2")->ToString(), "docker.io/nginx/unit:1.2");
}

TEST(ImageReference, RegistryWithPortAndNestedRepository) {
  auto r = ParseImageReference("host:5000/a/b:tag");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "host:5000");
  EXPECT_EQ(r->repository, "a/b");
  EXPECT_EQ(r->reference, "tag");
  auto no_tag = ParseImageReference("localhost/x");
  EXPECT_EQ(no_tag->registry, "localhost");
  EXPECT_EQ(no_tag->reference, "latest");
  auto ecr = ParseImageReference("123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:v1");
  EXPECT_EQ(ecr->registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(ecr->repository, "web-app");
}

TEST(ImageReference, Digest) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto r = ParseImageReference("127.0.0.1:5000/repo:tag@" + digest);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->IsDigest());
  EXPECT_EQ(r->reference, digest);
  EXPECT_EQ(r->ToString(), "127.0.0.1:5000/repo@" + digest);
}

TEST(ImageReference, RefusesWhatDockerRefuses) {
  for (const char* bad : {"", "UPPER", "a::b", "repo@sha256:short", "a/../b", "repo:-tag",
                          "host:5000/", "a//b", "-a"}) {
    auto r = ParseImageReference(bad);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
  }
}

}  // namespace
}  // namespace wharf::agent
