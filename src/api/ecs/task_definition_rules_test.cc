#include "api/ecs/task_definition_rules.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::api::ecs {
namespace {

TEST(TaskDefinitionRules, ParsesCpuAndMemoryUnits) {
  EXPECT_EQ(ParseCpu("1024"), 1024);
  EXPECT_EQ(ParseCpu("1 vCPU"), 1024);
  EXPECT_EQ(ParseCpu("0.25 vcpu"), 256);
  EXPECT_FALSE(ParseCpu("lots").has_value());
  EXPECT_EQ(ParseMemory("3 GB"), 3072);
  EXPECT_EQ(ParseMemory("512"), 512);
  EXPECT_EQ(ParseMemory("2GB"), 2048);
  EXPECT_FALSE(ParseMemory("2 TB").has_value());
}

TEST(TaskDefinitionRules, FargateSizesMatchTheDocumentedTable) {
  EXPECT_TRUE(IsFargateSize(256, 512));
  EXPECT_FALSE(IsFargateSize(256, 3072));
  EXPECT_TRUE(IsFargateSize(1024, 3072));
  EXPECT_FALSE(IsFargateSize(1024, 9216));
  EXPECT_FALSE(IsFargateSize(1024, 2560));
  EXPECT_TRUE(IsFargateSize(8192, 20480));
  EXPECT_FALSE(IsFargateSize(8192, 17408));
  EXPECT_TRUE(IsFargateSize(16384, 122880));
  EXPECT_FALSE(IsFargateSize(16384, 131072));
  EXPECT_FALSE(IsFargateSize(32768, 65536));
  int valid = 0;
  for (int64_t cpu : {256, 512, 1024, 2048, 4096, 8192, 16384}) {
    for (int64_t mem = 512; mem <= 131072; mem += 512) valid += IsFargateSize(cpu, mem);
  }
  EXPECT_EQ(valid, 74);  // the count of combinations AWS accepts
}

TEST(TaskDefinitionRules, NormalizeFillsWhatAwsFills) {
  auto request = boost::json::parse(R"({"family":"f","networkMode":"awsvpc","cpu":"1 vCPU",
      "memory":"3 GB","requiresCompatibilities":["FARGATE"],
      "containerDefinitions":[{"name":"a","image":"i","portMappings":[{"containerPort":5050}]}]})")
                     .as_object();
  ASSERT_TRUE(CheckTaskDefinition(request).ok());
  auto td = NormalizeTaskDefinition(request);
  EXPECT_EQ(td.at("cpu").as_string(), "1024");
  EXPECT_EQ(td.at("memory").as_string(), "3072");
  auto& c = td.at("containerDefinitions").as_array()[0].as_object();
  EXPECT_EQ(c.at("essential").as_bool(), true);
  auto& pm = c.at("portMappings").as_array()[0].as_object();
  EXPECT_EQ(pm.at("hostPort").as_int64(), 5050);
  EXPECT_EQ(pm.at("protocol").as_string(), "tcp");
  EXPECT_EQ(boost::json::serialize(td.at("compatibilities")), R"(["EC2","FARGATE"])");
}

}  // namespace
}  // namespace wharf::api::ecs
