#include "cloudformation/template.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "cloudformation/graph.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/parameters.h"

namespace wharf::cloudformation {
namespace {
namespace json = boost::json;

constexpr const char* kYaml = R"(
AWSTemplateFormatVersion: '2010-09-09'
Description: a service behind a load balancer
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
  Count:
    Type: Number
    Default: 2
Mappings:
  Sizes:
    dev: {Cpu: '256'}
    prod: {Cpu: '1024'}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref Task
      DesiredCount: !Ref Count
    DependsOn: Listener
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LB
  LB:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: !Ref Subnets
      Name: !Sub '${AWS::StackName}-lb'
  Cluster:
    Type: AWS::ECS::Cluster
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Cpu: !FindInMap [Sizes, !Ref Env, Cpu]
      Family: !Join ['-', [!Ref 'AWS::StackName', task]]
      Log: !GetAtt Cluster.Arn
      Extra: !If [IsProd, big, !Ref 'AWS::NoValue']
Outputs:
  Url:
    Value: !Sub 'http://${LB.DNSName}/'
    Export:
      Name: !Sub '${AWS::StackName}-url'
)";

TEST(TemplateTest, YamlShortFormsBecomeLongForms) {
  auto t = ParseTemplate(kYaml);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->description, "a service behind a load balancer");
  ASSERT_EQ(t->resources.size(), 5u);
  const auto* task = t->FindResource("Task");
  ASSERT_TRUE(task);
  EXPECT_EQ(json::serialize(task->properties.at("Log")), R"({"Fn::GetAtt":["Cluster","Arn"]})");
  EXPECT_EQ(json::serialize(task->properties.at("Cpu")), R"({"Fn::FindInMap":["Sizes",{"Ref":"Env"},"Cpu"]})");
  ASSERT_EQ(t->outputs.size(), 1u);
  EXPECT_TRUE(t->outputs[0].export_name.has_value());
}

TEST(TemplateTest, CreationOrderPutsDependenciesFirst) {
  auto t = ParseTemplate(kYaml);
  ASSERT_TRUE(t.ok());
  auto order = CreationOrder(*t);
  ASSERT_TRUE(order.ok());
  auto pos = [&](const std::string& id) { return std::find(order->begin(), order->end(), id) - order->begin(); };
  EXPECT_LT(pos("LB"), pos("Listener"));
  EXPECT_LT(pos("Listener"), pos("Service"));  // DependsOn
  EXPECT_LT(pos("Cluster"), pos("Service"));
  EXPECT_LT(pos("Task"), pos("Service"));
  EXPECT_LT(pos("Cluster"), pos("Task"));  // GetAtt
}

TEST(TemplateTest, CyclesAndUnresolvedReferencesAreRefusedInAwsWords) {
  auto cycle = ParseTemplate(R"({"Resources": {
      "A": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Ref": "B"}}},
      "B": {"Type": "AWS::Logs::LogGroup", "DependsOn": "A"}}})");
  ASSERT_FALSE(cycle.ok());
  EXPECT_EQ(cycle.status().message(), "Circular dependency between resources: [A, B]");
  auto unresolved = ParseTemplate("Resources:\n  A:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      X: !Ref Nope\n");
  ASSERT_FALSE(unresolved.ok());
  EXPECT_EQ(unresolved.status().message(),
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template");
  auto empty = ParseTemplate("Description: nothing\n");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "Template format error: At least one Resources member must be defined.");
  auto bad_yaml = ParseTemplate("Resources: [a\n");
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_NE(bad_yaml.status().message().find("YAML not well-formed"), std::string::npos);
}

TEST(TemplateTest, IntrinsicsResolveAgainstParametersConditionsAndResources) {
  auto t = ParseTemplate(kYaml);
  ASSERT_TRUE(t.ok());
  auto values = ResolveParameterValues(*t, {{"Env", "prod", false}, {"Subnets", "subnet-1,subnet-2", false}}, {});
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  Scope scope;
  scope.values["AWS::StackName"] = "web";
  AddParameters(*t, *values, scope);
  scope.mappings = &t->mappings;
  scope.resource_ref = [](std::string_view id) -> Result<json::value> { return json::value(json::string("ref-" + std::string(id))); };
  scope.resource_attribute = [](std::string_view id, std::string_view att) -> Result<json::value> {
    return json::value(json::string(std::string(id) + "." + std::string(att)));
  };
  auto conditions = EvaluateConditions(*t, scope);
  ASSERT_TRUE(conditions.ok()) << conditions.status().ToString();
  EXPECT_TRUE(conditions->at("IsProd"));
  EXPECT_FALSE(conditions->at("NotProd"));
  scope.conditions = *conditions;
  auto task = ResolveObject(t->FindResource("Task")->properties, scope);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(json::serialize(*task), R"({"Cpu":"1024","Family":"web-task","Log":"Cluster.Arn","Extra":"big"})");
  auto lb = ResolveObject(t->FindResource("LB")->properties, scope);
  ASSERT_TRUE(lb.ok());
  EXPECT_EQ(json::serialize(*lb), R"({"Subnets":["subnet-1","subnet-2"],"Name":"web-lb"})");
  auto url = Resolve(t->outputs[0].value, scope);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(json::serialize(**url), R"("http://LB.DNSName/")");

  scope.conditions["IsProd"] = false;
  auto dev = ResolveObject(t->FindResource("Task")->properties, scope);
  ASSERT_TRUE(dev.ok());
  EXPECT_FALSE(dev->contains("Extra"));  // AWS::NoValue
}

TEST(TemplateTest, FunctionsOnLists) {
  Scope scope;
  scope.availability_zones = {"us-east-1a", "us-east-1b"};
  auto eval = [&](const char* text) {
    auto v = ParseTemplateBody(std::string("{\"v\": ") + text + "}");
    EXPECT_TRUE(v.ok());
    auto r = Resolve(v->at("v"), scope);
    return r.ok() ? json::serialize(**r) : r.status().message();
  };
  EXPECT_EQ(eval(R"({"Fn::Select": [1, {"Fn::GetAZs": ""}]})"), R"("us-east-1b")");
  EXPECT_EQ(eval(R"({"Fn::Split": [",", "a,b,,c"]})"), R"(["a","b","","c"])");
  EXPECT_EQ(eval(R"({"Fn::Base64": "hello"})"), R"("aGVsbG8=")");
  EXPECT_EQ(eval(R"({"Fn::Sub": ["${A}-${!Literal}", {"A": "x"}]})"), R"("x-${Literal}")");
  EXPECT_EQ(eval(R"({"Fn::Join": ["", ["a", 1, true]]})"), R"("a1true")");
  EXPECT_EQ(eval(R"({"Fn::Select": [5, ["a"]]})"), "Template error: Fn::Select cannot select nonexistent value at index 5");
}

TEST(TemplateTest, ParameterConstraints) {
  auto t = ParseTemplate(kYaml);
  ASSERT_TRUE(t.ok());
  auto missing = ResolveParameterValues(*t, {}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "Parameters: [Subnets] must have values");
  auto not_allowed = ResolveParameterValues(*t, {{"Env", "qa", false}, {"Subnets", "s", false}}, {});
  ASSERT_FALSE(not_allowed.ok());
  EXPECT_EQ(not_allowed.status().message(), "Parameter 'Env' must be one of AllowedValues");
  auto not_number = ResolveParameterValues(*t, {{"Count", "two", false}, {"Subnets", "s", false}}, {});
  ASSERT_FALSE(not_number.ok());
  EXPECT_EQ(not_number.status().message(), "Parameter 'Count' must be a number.");
  auto unknown = ResolveParameterValues(*t, {{"Nope", "x", false}}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "Parameters: [Nope] do not exist in the template");
}

}  // namespace
}  // namespace wharf::cloudformation
