#include "cloudformation/template.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "cloudformation/graph.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/parameters.h"
#include "cloudformation/stack_policy.h"

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

TEST(TemplateTest, CidrLengthToJsonStringAndZonesOfRegions) {
  Scope scope;
  scope.values["AWS::Region"] = json::string("us-east-1");
  scope.values["Subnets"] = json::array{"a", "b", "c"};
  scope.availability_zones = {"us-east-1a", "us-east-1b"};
  scope.availability_zones_in = [](std::string_view region) { return std::vector<std::string>{std::string(region) + "x"}; };
  auto eval = [&](const char* text) {
    auto v = ParseTemplateBody(std::string("{\"v\": ") + text + "}");
    EXPECT_TRUE(v.ok());
    auto r = Resolve(v->at("v"), scope);
    return r.ok() ? json::serialize(**r) : r.status().message();
  };
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["10.0.0.0/16", 3, 8]})"), R"(["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24"])");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["192.168.0.0/24", "6", "5"]})"),
            R"(["192.168.0.0/27","192.168.0.32/27","192.168.0.64/27","192.168.0.96/27","192.168.0.128/27","192.168.0.160/27"])");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["10.0.0.0/24", 3, 7]})"), "Template error: Fn::Cidr cannot make 3 blocks of /25 in 10.0.0.0/24");
  EXPECT_EQ(eval(R"({"Fn::Length": {"Ref": "Subnets"}})"), "3");
  EXPECT_EQ(eval(R"({"Fn::ToJsonString": {"a": [1, {"Ref": "AWS::Region"}]}})"), R"("{\"a\":[1,\"us-east-1\"]}")");
  EXPECT_EQ(eval(R"({"Fn::GetAZs": {"Ref": "AWS::Region"}})"), R"(["us-east-1a","us-east-1b"])");
  EXPECT_EQ(eval(R"({"Fn::GetAZs": "eu-west-1"})"), R"(["eu-west-1x"])");

  // Fn::Length and Fn::ToJsonString need the AWS::LanguageExtensions transform.
  const char* body = "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !ToJsonString {a: 1}\n";
  auto without = ParseTemplate(body);
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.status().message().find("Fn::ToJsonString"), std::string::npos);
  auto with = ParseTemplate(std::string("Transform: AWS::LanguageExtensions\n") + body);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->transforms, std::vector<std::string>{"AWS::LanguageExtensions"});
  EXPECT_FALSE(ParseTemplate(std::string("Transform: AWS::Serverless-2016-10-31\n") + body).ok());
}

TEST(StackPolicyTest, ProtectsUnlessAllowedAndDenyWins) {
  auto policy = StackPolicy::Parse(R"({"Statement":[
      {"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"},
      {"Effect":"Deny","Action":["Update:Replace","Update:Delete"],"Principal":"*","Resource":"LogicalResourceId/Data*"},
      {"Effect":"Deny","Action":"Update:*","Principal":"*","NotResource":"LogicalResourceId/*",
       "Condition":{"StringEquals":{"ResourceType":["AWS::EC2::VPC"]}}}]})");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_FALSE(policy->Denied("Update:Modify", "Database", "AWS::RDS::DBInstance"));
  auto denied = policy->Denied("Update:Replace", "Database", "AWS::RDS::DBInstance");
  ASSERT_TRUE(denied);
  EXPECT_EQ(*denied, "Action denied by stack policy: Statement [#2] has a Deny effect on [Update:Replace] for "
                     "[LogicalResourceId/Database]");
  EXPECT_FALSE(policy->Denied("Update:Replace", "Web", "AWS::ECS::Service"));

  auto only_web = StackPolicy::Parse(R"({"Statement":{"Effect":"Allow","Action":"Update:Modify","Principal":"*",
      "Resource":"LogicalResourceId/Web"}})");
  ASSERT_TRUE(only_web.ok());
  EXPECT_FALSE(only_web->Denied("Update:Modify", "Web", "AWS::ECS::Service"));
  EXPECT_TRUE(only_web->Denied("Update:Replace", "Web", "AWS::ECS::Service"));
  EXPECT_TRUE(only_web->Denied("Update:Modify", "Other", "AWS::ECS::Service"));

  EXPECT_FALSE(StackPolicy::Parse("{}").ok());
  EXPECT_FALSE(StackPolicy::Parse(R"({"Statement":[{"Effect":"Maybe","Action":"Update:*","Principal":"*","Resource":"*"}]})").ok());
  EXPECT_FALSE(StackPolicy::Parse(R"({"Statement":[{"Effect":"Allow","Action":"s3:Get","Principal":"*","Resource":"*"}]})").ok());
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
