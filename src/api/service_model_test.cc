#include "api/service_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace wharf::api {
namespace {

TEST(ServiceModel, ReadsTheCompiledEcsModel) {
  auto model = ServiceModel::LoadEmbedded("ecs");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->protocol(), "json");
  EXPECT_EQ((*model)->target_prefix(), "AmazonEC2ContainerServiceV20141113");
  EXPECT_EQ((*model)->signing_name(), "ecs");

  const Operation* run = (*model)->FindOperation("RunTask");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->name(), "RunTask");
  ASSERT_NE(run->input(), nullptr);
  EXPECT_EQ(run->input()->name(), "RunTaskRequest");
  EXPECT_EQ(run->input()->type, Shape::Type::kStructure);
  EXPECT_EQ(std::vector<std::string_view>(run->input()->required().begin(), run->input()->required().end()),
            std::vector<std::string_view>{"taskDefinition"});
  const Shape::Member* launch_type = run->input()->FindMember("launchType");
  ASSERT_NE(launch_type, nullptr);
  ASSERT_NE(launch_type->shape(), nullptr);
  EXPECT_EQ(launch_type->shape()->name(), "LaunchType");
  std::vector<std::string_view> values(launch_type->shape()->enum_values().begin(),
                                       launch_type->shape()->enum_values().end());
  EXPECT_NE(std::find(values.begin(), values.end(), "FARGATE"), values.end());

  // Members keep the model's order (the XML encoding writes them in it).
  const Shape* create = (*model)->FindShape("CreateClusterRequest");
  ASSERT_NE(create, nullptr);
  ASSERT_GE(create->members().size(), 2u);
  EXPECT_EQ(create->members()[0].name(), "clusterName");
  EXPECT_EQ(create->members()[1].name(), "tags");
  const Shape* tags = create->members()[1].shape();
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->type, Shape::Type::kList);
  ASSERT_NE(tags->member(), nullptr);
  EXPECT_EQ(tags->member()->name(), "Tag");

  // Required members in name order, as the std::set they were parsed into was: a request
  // missing several is told about the same one as before.
  const Shape* reg = (*model)->FindShape("RegisterTaskDefinitionRequest");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(std::vector<std::string_view>(reg->required().begin(), reg->required().end()),
            (std::vector<std::string_view>{"containerDefinitions", "family"}));

  EXPECT_EQ((*model)->FindOperation("NoSuchOperation"), nullptr);
  EXPECT_EQ((*model)->FindOperation("RunTas"), nullptr);
  EXPECT_EQ((*model)->FindShape("Zzz"), nullptr);
}

TEST(ServiceModel, ReadsQueryMetadataAndErrors) {
  auto model = ServiceModel::LoadEmbedded("elbv2");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->protocol(), "query");
  EXPECT_EQ((*model)->signing_name(), "elasticloadbalancing");
  EXPECT_EQ((*model)->api_version(), "2015-12-01");
  const Operation* describe = (*model)->FindOperation("DescribeLoadBalancers");
  ASSERT_NE(describe, nullptr);
  EXPECT_EQ(describe->result_wrapper(), "DescribeLoadBalancersResult");
  const Shape* error = (*model)->FindShape("ALPNPolicyNotSupportedException");
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(error->exception);
  EXPECT_EQ(error->http_status, 400);
  EXPECT_EQ(error->error_code(), "ALPNPolicyNotFound");
}

// Every operation and shape of every model is found by its name, and every reference resolves.
TEST(ServiceModel, EveryNameIsFoundAndEveryReferenceResolves) {
  for (const char* name : {"ecs", "elbv2", "ecr", "logs", "sts", "ec2"}) {
    auto model = ServiceModel::LoadEmbedded(name);
    ASSERT_TRUE(model.ok()) << name;
    const model_data::Model* data = nullptr;
    for (uint32_t i = 0; i < model_data::kModelCount; ++i) {
      if (model_data::Str(model_data::kModels[i].name) == name) data = &model_data::kModels[i];
    }
    ASSERT_NE(data, nullptr);
    EXPECT_GT(data->operations.count, 0u) << name;
    for (uint32_t i = 0; i < data->operations.count; ++i) {
      const Operation& op = model_data::kOperations[data->operations.first + i];
      EXPECT_EQ((*model)->FindOperation(op.name()), &op) << name << " " << op.name();
    }
    for (uint32_t i = 0; i < data->shapes.count; ++i) {
      const Shape& shape = model_data::kShapes[data->shapes.first + i];
      EXPECT_EQ((*model)->FindShape(shape.name()), &shape) << name << " " << shape.name();
      for (const Shape::Member& m : shape.members()) EXPECT_NE(m.shape(), nullptr) << shape.name() << "." << m.name();
      if (shape.type == Shape::Type::kList) {
        EXPECT_NE(shape.member(), nullptr) << shape.name();
      }
      if (shape.type == Shape::Type::kMap) {
        EXPECT_NE(shape.value(), nullptr) << shape.name();
      }
    }
  }
  EXPECT_FALSE(ServiceModel::LoadEmbedded("s3").ok());  // a service wharf does not serve
}

}  // namespace
}  // namespace wharf::api
