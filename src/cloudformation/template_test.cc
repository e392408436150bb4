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
  // IPv6: a VPC's /56 in /64s (cidr bits 64), the host part of the block ignored.
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["2600:1f14:abc:de00::/56", 3, 64]})"),
            R"(["2600:1f14:abc:de00::/64","2600:1f14:abc:de01::/64","2600:1f14:abc:de02::/64"])");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["2001:db8::ff/120", 2, 4]})"), R"(["2001:db8::/124","2001:db8::10/124"])");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["::/0", 1, 128]})"), R"(["::/0"])");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["2001:db8::/127", 3, 1]})"),
            "Template error: Fn::Cidr cannot make 3 blocks of /127 in 2001:db8::/127");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["2001:db8::/64", 1, 65]})"),
            "Template error: Fn::Cidr's cidrBits must be between 1 and 64 for 2001:db8::/64");
  EXPECT_EQ(eval(R"({"Fn::Cidr": ["2001:db8::g/64", 1, 8]})"), "Template error: Fn::Cidr's ip block 2001:db8::g/64 is not a CIDR block");
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

constexpr const char* kForEach = R"(
Transform: AWS::LanguageExtensions
Parameters:
  Tiers: {Type: CommaDelimitedList, Default: 'web,db'}
  Flag: {Type: String, Default: 'true'}
Mappings:
  Cidrs:
    web: {Block: 10.0.1.0/24}
    db: {Block: 10.0.2.0/24}
Conditions:
  'Fn::ForEach::Checks':
    - Name
    - [Flag]
    - 'Is${Name}On': !Equals [!Ref {'Fn::Sub': '${Name}'}, 'true']
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  'Fn::ForEach::TierLoop':
    - Tier
    - !Ref Tiers
    - '${Tier}Subnet':
        Type: AWS::EC2::Subnet
        Condition: IsFlagOn
        Properties:
          VpcId: !Ref Vpc
          CidrBlock: !FindInMap [Cidrs, !Ref Tier, Block]
          Tags:
            - {Key: Name, Value: !Sub '${AWS::StackName}-${Tier}'}
            - {Key: Plain, Value: 'kept ${Tier}'}
      'Fn::ForEach::Ports':
        - Port
        - ['80', '4.4.3']
        - '${Tier}Rule&{Port}':
            Type: AWS::EC2::SecurityGroupIngress
            Properties:
              GroupId: !GetAtt [!Sub '${Tier}Subnet', VpcId]
              Description: !Sub '${Tier} on ${Port} in ${Vpc}'
              FromPort: !Ref Port
Outputs:
  'Fn::ForEach::Out':
    - Tier
    - !Ref Tiers
    - '${Tier}Id': {Value: !Ref {'Fn::Sub': '${Tier}Subnet'}}
)";

// Fn::ForEach (AWS::LanguageExtensions) in Conditions, Resources and Outputs: nested loops,
// ${} and &{} keys, Ref to the identifier, Fn::Sub, names made constant for Ref and GetAtt.
TEST(TemplateTest, ForEachExpandsLoops) {
  auto t = ParseTemplate(kForEach);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::string> ids;
  for (const auto& r : t->resources) ids.push_back(r.logical_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"Vpc", "webSubnet", "webRule80", "webRule443", "dbSubnet", "dbRule80",
                                           "dbRule443"}));
  EXPECT_TRUE(t->conditions.contains("IsFlagOn"));
  EXPECT_EQ(json::serialize(t->conditions.at("IsFlagOn")), R"({"Fn::Equals":[{"Ref":"Flag"},"true"]})");
  const auto* web = t->FindResource("webSubnet");
  EXPECT_EQ(web->condition, "IsFlagOn");
  EXPECT_EQ(json::serialize(web->properties.at("CidrBlock")), R"({"Fn::FindInMap":["Cidrs","web","Block"]})");
  EXPECT_EQ(json::serialize(web->properties.at("Tags")),
            R"([{"Key":"Name","Value":{"Fn::Sub":"${AWS::StackName}-web"}},{"Key":"Plain","Value":"kept ${Tier}"}])");
  const auto* rule = t->FindResource("dbRule443");
  EXPECT_EQ(json::serialize(rule->properties), R"({"GroupId":{"Fn::GetAtt":["dbSubnet","VpcId"]},)"
                                               R"("Description":{"Fn::Sub":"db on 4.4.3 in ${Vpc}"},"FromPort":"4.4.3"})");
  auto deps = Dependencies(*t);
  EXPECT_EQ(deps["dbRule443"], (std::set<std::string>{"Vpc", "dbSubnet"}));
  ASSERT_EQ(t->outputs.size(), 2u);
  EXPECT_EQ(t->outputs[1].name, "dbId");
  EXPECT_EQ(json::serialize(t->outputs[1].value), R"({"Ref":"dbSubnet"})");

  // A loop among a resource's properties: the keys are property names.
  auto props = ParseTemplate("Transform: AWS::LanguageExtensions\nResources:\n  T:\n    Type: X::Y::Z\n"
                             "    Properties:\n      Fixed: 1\n"
                             "      'Fn::ForEach::Props': [P, [A, B], {'Prop${P}': !Ref P}]\n");
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(json::serialize(props->resources[0].properties), R"({"Fixed":"1","PropA":"A","PropB":"B"})");

  // The stack's values, not the defaults, make the collection.
  std::map<std::string, std::string> values{{"Tiers", "db"}, {"Flag", "true"}};
  auto one = ParseTemplate(kForEach, &values);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->resources.size(), 4u);
  EXPECT_EQ(one->FindResource("webSubnet"), nullptr);
}

// "All instances of ${Identifier} or &{Identifier} in the OutputKey and OutputValue are replaced"
// (AWS's Fn::ForEach reference): in Fn::Sub strings (both forms, nested loops included) &{} is
// the item's alphanumeric characters and ${} the item itself; a Ref or GetAtt to a name the
// loop made constant that way names the resource. Plain strings and unbound names stay.
TEST(TemplateTest, ForEachSubstitutesInSubStrings) {
  auto t = ParseTemplate(R"(
Transform: AWS::LanguageExtensions
Resources:
  'Fn::ForEach::Nets':
    - Block
    - ['10.0.1.0/24', 'a-b']
    - 'Net&{Block}':
        Type: AWS::SSM::Parameter
        Properties:
          Name: !Sub '/nets/&{Block}'
          Value: !Sub ['${Block} &{Block} ${Other} &{Other} ${!Block}', {Other: x}]
          Plain: 'kept &{Block}'
      'Fn::ForEach::Ports':
        - Port
        - ['80', '4.4.3']
        - 'Rule&{Block}&{Port}':
            Type: AWS::SSM::Parameter
            Properties:
              Name: !Sub '/rules/&{Block}/&{Port}/${Port}'
              Value: !GetAtt [!Sub 'Net&{Block}', Value]
              Of: !Ref {'Fn::Sub': 'Net&{Block}'}
)");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto* net = t->FindResource("Net1001024");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(json::serialize(net->properties),
            R"({"Name":{"Fn::Sub":"/nets/1001024"},)"
            R"("Value":{"Fn::Sub":["10.0.1.0/24 1001024 ${Other} &{Other} ${!Block}",{"Other":"x"}]},)"
            R"("Plain":"kept &{Block}"})");
  const auto* rule = t->FindResource("Ruleab443");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(json::serialize(rule->properties),
            R"({"Name":{"Fn::Sub":"/rules/ab/443/4.4.3"},"Value":{"Fn::GetAtt":["Netab","Value"]},"Of":{"Ref":"Netab"}})");
  auto deps = Dependencies(*t);
  EXPECT_EQ(deps["Ruleab443"], (std::set<std::string>{"Netab"}));
}

TEST(TemplateTest, ForEachErrorsInCloudFormationsWords) {
  auto error = [](const std::string& resources, const std::string& extra = "") {
    auto t = ParseTemplate("Transform: AWS::LanguageExtensions\nParameters:\n  P: {Type: String, Default: x}\n" + extra +
                           "Resources:\n  R: {Type: AWS::SNS::Topic}\n" + resources);
    return t.ok() ? std::string("ok") : t.status().message();
  };
  const std::string prefix = "Transform AWS::LanguageExtensions failed with: ";
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, [a, b]]\n"), prefix + "Fn::ForEach layout is incorrect");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, [a], {'T${Id}': 1}, x]\n"), prefix + "Fn::ForEach layout is incorrect");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, !Ref R, {'T${Id}': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "Could not find a collection or could not be resolved for Fn::ForEach");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, !Ref P, {'T${Id}': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "Could not find a collection or could not be resolved for Fn::ForEach");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, [a], {'Topic': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "The key Topic of Fn::ForEach::L does not contain ${Id} or &{Id}: every iteration would make "
                     "the same key");
  EXPECT_EQ(error("  'Fn::ForEach::L': [P, [a], {'T${P}': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "The identifier P of Fn::ForEach::L conflicts with a parameter or resource of that name");
  EXPECT_EQ(error("  'Fn::ForEach::R': [Id, [a], {'T${Id}': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "The loop name R conflicts with a parameter or resource of that name");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, ['', x], {'R${Id}': {Type: AWS::SNS::Topic}}]\n"),
            prefix + "Fn::ForEach produces R, a key its parent object already has");
  EXPECT_EQ(error("  'Fn::ForEach::L': [Id, [a], {'Fn::ForEach::M': [Id, [b], {'T${Id}': {Type: AWS::SNS::Topic}}]}]\n"),
            prefix + "The identifier Id of Fn::ForEach::M is already the identifier of an enclosing Fn::ForEach; "
                     "nested loops need their own");
  EXPECT_EQ(error("", "Mappings:\n  M: {'Fn::ForEach::L': [Id, [a], {'K${Id}': {V: 1}}]}\n"),
            prefix + "Fn::ForEach is not supported in the Mappings section: it is supported in the Conditions, "
                     "Resources and Outputs sections");
  // 30 x 30 members: more than a template may hold.
  std::string many = "[";
  for (int i = 0; i < 30; ++i) many += (i ? ",v" : "v") + std::to_string(i);
  many += "]";
  EXPECT_EQ(error("  'Fn::ForEach::L': [A, " + many + ", {'Fn::ForEach::M': [B, " + many +
                  ", {'T${A}${B}': {Type: AWS::SNS::Topic}}]}]\n"),
            prefix + "Fn::ForEach loops produce more than 500 members; a template holds at most 500 resources");
  // Without the transform, as before.
  auto without = ParseTemplate("Resources:\n  'Fn::ForEach::L': [Id, [a], {'T${Id}': {Type: AWS::SNS::Topic}}]\n");
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.status().message().find("AWS::LanguageExtensions transform"), std::string::npos);
}

// Issue 18's gaps: conditions a loop generated named by Fn::If and by a looped resource's
// Condition (!Sub, as AWS's own example), collections naming pseudo parameters and zones.
constexpr const char* kLoopConditions = R"(
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: 'A,B'}
  OnA: {Type: String, Default: 'yes'}
  OnB: {Type: String, Default: 'no'}
Conditions:
  'Fn::ForEach::Conds':
    - Id
    - !Ref Names
    - 'TopicCondition${Id}': !Equals [!Ref {'Fn::Sub': 'On${Id}'}, 'yes']
Resources:
  'Fn::ForEach::Topics':
    - Id
    - !Ref Names
    - 'Topic${Id}':
        Type: AWS::SNS::Topic
        Condition: !Sub 'TopicCondition${Id}'
        Properties:
          TopicName: !If [!Sub 'TopicCondition${Id}', !Sub 'on-${Id}', !Ref 'AWS::NoValue']
          Size: !If [TopicConditionA, big, small]
  'Fn::ForEach::Zones':
    - Zone
    - !GetAZs ''
    - 'Subnet&{Zone}':
        Type: AWS::EC2::Subnet
        Properties: {AvailabilityZone: !Ref Zone}
  'Fn::ForEach::Regional':
    - Name
    - !Split [',', !Sub '${AWS::Region}-a,${AWS::AccountId}-b']
    - 'Log&{Name}':
        Type: AWS::Logs::LogGroup
        Properties: {LogGroupName: !Ref Name}
Outputs:
  'Fn::ForEach::Out':
    - Id
    - !Ref Names
    - 'Out${Id}': {Condition: !Sub 'TopicCondition${Id}', Value: !Ref {'Fn::Sub': 'Topic${Id}'}}
)";

TEST(TemplateTest, ForEachConditionsPseudoParametersAndZones) {
  Scope pseudo;
  pseudo.values["AWS::Region"] = json::string("eu-west-1");
  pseudo.values["AWS::AccountId"] = json::string("123456789012");
  pseudo.availability_zones = {"eu-west-1a", "eu-west-1b"};
  auto t = ParseTemplate(kLoopConditions, nullptr, &pseudo);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::string> ids;
  for (const auto& r : t->resources) ids.push_back(r.logical_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"TopicA", "TopicB", "Subneteuwest1a", "Subneteuwest1b", "Logeuwest1a",
                                           "Log123456789012b"}));
  EXPECT_EQ(t->FindResource("TopicB")->condition, "TopicConditionB");
  EXPECT_EQ(t->outputs[1].condition, "TopicConditionB");
  EXPECT_EQ(json::serialize(t->FindResource("Subneteuwest1b")->properties), R"({"AvailabilityZone":"eu-west-1b"})");

  // The Fn::If of a looped condition resolves when the stack is made.
  Scope scope = pseudo;
  AddParameters(*t, {{"Names", "A,B"}, {"OnA", "yes"}, {"OnB", "no"}}, scope);
  auto conditions = EvaluateConditions(*t, scope);
  ASSERT_TRUE(conditions.ok()) << conditions.status().ToString();
  EXPECT_TRUE(conditions->at("TopicConditionA"));
  EXPECT_FALSE(conditions->at("TopicConditionB"));
  scope.conditions = *conditions;
  auto a = ResolveObject(t->FindResource("TopicA")->properties, scope);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(json::serialize(*a), R"({"TopicName":"on-A","Size":"big"})");
  auto b = ResolveObject(t->FindResource("TopicB")->properties, scope);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(json::serialize(*b), R"({"Size":"big"})");

  // Without the pseudo parameters (nothing to name the region by) the collection is unresolved.
  auto unknown = ParseTemplate(kLoopConditions);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "Transform AWS::LanguageExtensions failed with: Could not find a collection or could not be resolved for "
            "Fn::ForEach");
}

TEST(TemplateTest, ConditionMembersMustNameAConditionOutsideLoops) {
  const char* body = "Conditions:\n  C: !Equals [a, a]\nResources:\n  R:\n    Type: AWS::SNS::Topic\n"
                     "    Condition: !Ref P\n";
  auto t = ParseTemplate(body);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "Template format error: [/Resources/R] Every Condition member must be a string.");
  auto output = ParseTemplate("Conditions:\n  C: !Equals [a, a]\nResources:\n  R: {Type: AWS::SNS::Topic}\n"
                              "Outputs:\n  O: {Value: x, Condition: [C]}\n");
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().message(), "Template format error: [/Outputs/O] Every Condition member must be a string.");
  // A loop's Fn::If whose condition is not constant stays refused in CloudFormation's words.
  Scope scope;
  auto v = ParseTemplateBody(R"({"v": {"Fn::If": [{"Fn::Sub": "${X}"}, 1, 2]}})");
  ASSERT_TRUE(v.ok());
  auto r = Resolve(v->at("v"), scope);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Template error: Fn::If requires a list argument with three elements");
}

TEST(TemplateTest, FindInMapDefaultValueNeedsTheTransform) {
  const char* resources = "Mappings:\n  Sizes:\n    dev: {Cpu: '256'}\nResources:\n  R:\n    Type: AWS::SSM::Parameter\n"
                          "    Properties:\n      Value: !FindInMap [Sizes, prod, Cpu, {DefaultValue: '512'}]\n";
  auto without = ParseTemplate(resources);
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.status().message().find("Unrecognized function Fn::FindInMap with DefaultValue"), std::string::npos);
  auto t = ParseTemplate(std::string("Transform: AWS::LanguageExtensions\n") + resources);
  ASSERT_TRUE(t.ok()) << t.status().ToString();

  Scope scope;
  scope.values["AWS::Region"] = json::string("us-east-1");
  scope.values["Env"] = json::string("dev");
  scope.mappings = &t->mappings;
  auto eval = [&](const char* text) {
    auto v = ParseTemplateBody(std::string("{\"v\": ") + text + "}");
    EXPECT_TRUE(v.ok());
    auto r = Resolve(v->at("v"), scope);
    return r.ok() ? json::serialize(**r) : r.status().message();
  };
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", "prod", "Cpu", {"DefaultValue": "512"}]})"), R"("512")");
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", "dev", "Mem", {"DefaultValue": {"Ref": "AWS::Region"}}]})"),
            R"("us-east-1")");
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Cpu", {"DefaultValue": "512"}]})"), R"("256")");
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", "x", "Cpu", {"DefaultValue": {"Fn::Split": [",", "a,b"]}}]})"),
            R"(["a","b"])");
  // The map itself must exist; the fourth element is exactly {DefaultValue: ...}.
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Nope", "x", "y", {"DefaultValue": "1"}]})"),
            "Template error: Mapping named 'Nope' is not present in the 'Mappings' section of template.");
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", "x", "y", {"Default": "1"}]})"),
            "Template error: Fn::FindInMap's fourth element must be an object with a single DefaultValue member");
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["Sizes", "x", "y"]})"), "Template error: Unable to get mapping for Sizes::x::y");
  // Neighbouring edge cases of issue 18's list: Join of a nested list, Sub's map of a number,
  // Select below the list, Base64 of a function.
  EXPECT_EQ(eval(R"({"Fn::Join": ["-", ["a", ["b"]]]})"),
            "Template error: every Fn::Join object requires a list of strings to be joined");
  EXPECT_EQ(eval(R"({"Fn::Sub": ["${N}-${AWS::Region}", {"N": 5}]})"), R"("5-us-east-1")");
  EXPECT_EQ(eval(R"({"Fn::Select": ["-1", ["a"]]})"), "Template error: Fn::Select cannot select nonexistent value at index -1");
  EXPECT_EQ(eval(R"({"Fn::Base64": {"Fn::Join": ["", ["a", "b"]]}})"), R"("YWI=")");
}

TEST(TemplateTest, ImportValueMayNotDependOnResources) {
  auto error = [](const std::string& value) {
    auto t = ParseTemplate("Parameters:\n  Net: {Type: String, Default: net}\nResources:\n  Q: {Type: AWS::SNS::Topic}\n"
                           "  R:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: " + value + "\n");
    return t.ok() ? std::string("ok") : t.status().message();
  };
  const std::string refused = "Template error: the attribute in Fn::ImportValue must not depend on any resources, "
                              "imported values, or Fn::GetAZs";
  EXPECT_EQ(error("!ImportValue {'Fn::Sub': '${Net}-VpcId'}"), "ok");
  EXPECT_EQ(error("!ImportValue {'Fn::Sub': '${AWS::StackName}-${Net}'}"), "ok");
  EXPECT_EQ(error("!ImportValue {'Fn::Sub': '${Q}-VpcId'}"), refused);
  EXPECT_EQ(error("!ImportValue {'Fn::GetAtt': [Q, TopicName]}"), refused);
  EXPECT_EQ(error("!ImportValue {'Fn::ImportValue': x}"), refused);
  EXPECT_EQ(error("!ImportValue {'Fn::Select': [0, {'Fn::GetAZs': ''}]}"), refused);
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
