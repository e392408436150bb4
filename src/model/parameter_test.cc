// Parameter Store's rules: names, selectors, labels, path levels, and the stored record.
#include "model/parameter.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

TEST(ParameterName, AcceptsNamesAndPathsAsParameterStoreDoes) {
  EXPECT_TRUE(CheckParameterName("db-password").ok());
  EXPECT_TRUE(CheckParameterName("/app/prod/db.host_1").ok());
  EXPECT_TRUE(CheckParameterName("a/b").IsInvalidArgument());     // a path begins with '/'
  EXPECT_TRUE(CheckParameterName("/aws/x").IsInvalidArgument());  // reserved
  EXPECT_TRUE(CheckParameterName("SSM-thing").IsInvalidArgument());
  EXPECT_TRUE(CheckParameterName("/a b").IsInvalidArgument());
  EXPECT_TRUE(CheckParameterName("/a//b").IsInvalidArgument());
  EXPECT_TRUE(CheckParameterName("/a/").IsInvalidArgument());
  EXPECT_TRUE(CheckParameterName("").IsInvalidArgument());
  std::string deep;
  for (int i = 0; i < 15; ++i) deep += "/l";
  EXPECT_TRUE(CheckParameterName(deep).ok());
  EXPECT_EQ(CheckParameterName(deep + "/l").code(), Status::Code::kFailedPrecondition);
}

TEST(ParameterSelector, VersionOrLabelAfterTheLastColon) {
  ParameterSelector plain = ParseSelector("/a/b");
  EXPECT_EQ(plain.name, "/a/b");
  EXPECT_FALSE(plain.version);
  EXPECT_EQ(plain.selector, "");
  ParameterSelector v = ParseSelector("/a/b:12");
  EXPECT_EQ(v.name, "/a/b");
  EXPECT_EQ(*v.version, 12);
  EXPECT_EQ(v.selector, ":12");
  ParameterSelector l = ParseSelector("name:prod");
  EXPECT_EQ(l.name, "name");
  EXPECT_EQ(l.label, "prod");
  EXPECT_FALSE(l.version);
}

TEST(ParameterLabels, ValidLabelsMoveBetweenVersions) {
  EXPECT_TRUE(ValidLabel("stable-1.2_x"));
  EXPECT_FALSE(ValidLabel("123"));
  EXPECT_FALSE(ValidLabel("AWSlabel"));
  EXPECT_FALSE(ValidLabel("ssm"));
  EXPECT_FALSE(ValidLabel("a b"));
  EXPECT_FALSE(ValidLabel(std::string(101, 'a')));
  Parameter p{"/p", {}, {}};
  for (int64_t i = 1; i <= 2; ++i) {
    ParameterVersion v;
    v.version = i;
    p.versions.push_back(v);
  }
  auto invalid = AttachLabels(p, 1, {"stable", "9"});
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(*invalid, std::vector<std::string>{"9"});
  EXPECT_EQ(p.FindLabel("stable")->version, 1);
  ASSERT_TRUE(AttachLabels(p, 2, {"stable"}).ok());
  EXPECT_EQ(p.FindLabel("stable")->version, 2);
  EXPECT_TRUE(p.versions[0].labels.empty());
  EXPECT_TRUE(AttachLabels(p, 3, {"x"}).status().IsNotFound());
  std::vector<std::string> many;
  for (int i = 0; i < 11; ++i) many.push_back("l" + std::to_string(i));
  EXPECT_EQ(AttachLabels(p, 1, many).status().code(), Status::Code::kFailedPrecondition);
}

TEST(ParameterPaths, LevelBelowAPath) {
  EXPECT_EQ(LevelBelow("/a", "/a/b"), 1);
  EXPECT_EQ(LevelBelow("/a", "/a/b/c"), 2);
  EXPECT_EQ(LevelBelow("/a/", "/a/b"), 0);  // paths are given without the trailing '/'
  EXPECT_EQ(LevelBelow("/a", "/ab/c"), 0);
  EXPECT_EQ(LevelBelow("/a", "/a"), 0);
  EXPECT_EQ(LevelBelow("/", "/x"), 1);
  EXPECT_EQ(LevelBelow("/", "x"), 0);
}

TEST(ParameterRecord, RoundTripsThroughJson) {
  Parameter p{"/p", {}, {}};
  ParameterVersion v;
  v.version = 1;
  v.type = "SecureString";
  v.ciphertext = "blob";
  v.key_id = "alias/aws/ssm";
  v.tier = "Standard";
  v.data_type = "text";
  v.labels = {"l"};
  v.modified = 5;
  p.versions.push_back(v);
  p.tags.push_back(boost::json::object{{"Key", "k"}, {"Value", "v"}});
  auto back = Parameter::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "/p");
  EXPECT_EQ(back->latest().ciphertext, "blob");
  EXPECT_EQ(back->latest().value, "");
  EXPECT_EQ(back->latest().labels, std::vector<std::string>{"l"});
  EXPECT_EQ(back->tags.size(), 1u);
  EXPECT_FALSE(Parameter::FromJson(boost::json::object{{"Name", "/p"}}).ok());
}

}  // namespace
}  // namespace wharf::model
