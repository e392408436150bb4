#include "api/authz/checks.h"
#include "base/crypto.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <ostream>

#include "api/service_model.h"

namespace wharf::api::authz {

// gtest prints a Check as its action, resource and keys.
void PrintTo(const Check& c, std::ostream* os) {
  *os << c.action << " on " << c.resource;
  for (const auto& [k, v] : c.keys) *os << " " << k << "=" << v;
}

namespace {

using Keys = std::vector<std::pair<std::string, std::string>>;

const Scope kScope{"us-east-1", "000000000000"};

std::vector<Check> For(std::string_view service, std::string_view op, std::string_view input_json,
                       const Scope& scope = kScope) {
  return ChecksFor(service, op, boost::json::parse(input_json).as_object(), scope);
}

Check C(std::string action, std::string resource, Keys keys = {}) { return Check{std::move(action), std::move(resource), std::move(keys)}; }

TEST(AuthzChecksTest, DescribeServicesGivesOneCheckPerServiceWithTheCluster) {
  auto checks = For("ecs", "DescribeServices", R"({"cluster":"prod","services":["web","arn:aws:ecs:us-east-1:000000000000:service/prod/api"]})");
  const std::string cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/prod";
  EXPECT_EQ(checks, (std::vector<Check>{
                        C("ecs:DescribeServices", "arn:aws:ecs:us-east-1:000000000000:service/prod/web", {{"ecs:cluster", cluster}}),
                        C("ecs:DescribeServices", "arn:aws:ecs:us-east-1:000000000000:service/prod/api", {{"ecs:cluster", cluster}}),
                    }));
}

TEST(AuthzChecksTest, ClusterArnInputAndDefaultCluster) {
  auto checks = For("ecs", "DescribeTasks", R"({"cluster":"arn:aws:ecs:eu-west-1:111111111111:cluster/blue","tasks":["abc"]})");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].resource, "arn:aws:ecs:us-east-1:000000000000:task/blue/abc");
  EXPECT_EQ(checks[0].keys, (Keys{{"ecs:cluster", "arn:aws:ecs:eu-west-1:111111111111:cluster/blue"}}));

  checks = For("ecs", "StopTask", R"({"task":"abc"})");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0], C("ecs:StopTask", "arn:aws:ecs:us-east-1:000000000000:task/default/abc",
                         {{"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/default"}}));

  checks = For("ecs", "DescribeClusters", "{}");
  EXPECT_EQ(checks, (std::vector<Check>{C("ecs:DescribeClusters", "arn:aws:ecs:us-east-1:000000000000:cluster/default")}));
}

TEST(AuthzChecksTest, RegisterTaskDefinitionPassesItsRolesToEcsTasks) {
  auto checks = For("ecs", "RegisterTaskDefinition", R"({"family":"web",
      "taskRoleArn":"arn:aws:iam::000000000000:role/app",
      "executionRoleArn":"arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
      "requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
      "containerDefinitions":[{"name":"app","image":"nginx"}]})");
  Keys tasks = {{"iam:PassedToService", "ecs-tasks.amazonaws.com"}};
  EXPECT_EQ(checks, (std::vector<Check>{
                        C("ecs:RegisterTaskDefinition", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:*",
                          {{"ecs:compute-compatibility", "FARGATE"},
                           {"ecs:task-cpu", "256"},
                           {"ecs:task-memory", "512"},
                           {"ecs:privileged", "false"}}),
                        C("iam:PassRole", "arn:aws:iam::000000000000:role/app", tasks),
                        C("iam:PassRole", "arn:aws:iam::000000000000:role/ecsTaskExecutionRole", tasks),
                    }));
}

TEST(AuthzChecksTest, RunTaskChecksTheTaskDefinitionAndTheOverriddenRoles) {
  auto checks = For("ecs", "RunTask", R"({"taskDefinition":"web:3",
      "overrides":{"taskRoleArn":"arn:aws:iam::000000000000:role/other"}})");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0], C("ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
                         {{"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/default"}}));
  EXPECT_EQ(checks[1], C("iam:PassRole", "arn:aws:iam::000000000000:role/other",
                         {{"iam:PassedToService", "ecs-tasks.amazonaws.com"}}));

  // A bare family is its latest revision, which the table cannot know.
  checks = For("ecs", "RunTask", R"({"cluster":"prod","taskDefinition":"web"})");
  EXPECT_EQ(checks[0].resource, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:*");
}

TEST(AuthzChecksTest, CreateServiceTagsAndRole) {
  auto checks = For("ecs", "CreateService", R"({"cluster":"prod","serviceName":"web","taskDefinition":"web:1",
      "role":"ecsServiceRole","tags":[{"key":"team","value":"a"}]})");
  const std::string service = "arn:aws:ecs:us-east-1:000000000000:service/prod/web";
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0], C("ecs:CreateService", service,
                         {{"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
                          {"ecs:task-definition", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"},
                          {"aws:RequestTag/team", "a"},
                          {"aws:TagKeys", "team"}}));
  EXPECT_EQ(checks[1], C("ecs:TagResource", service,
                         {{"aws:RequestTag/team", "a"}, {"aws:TagKeys", "team"}, {"ecs:CreateAction", "CreateService"}}));
  EXPECT_EQ(checks[2], C("iam:PassRole", "arn:aws:iam::000000000000:role/ecsServiceRole",
                         {{"iam:PassedToService", "ecs.amazonaws.com"}}));
}

TEST(AuthzChecksTest, ServiceKeysFromTheRequest) {
  auto checks = For("ecs", "UpdateService", R"({"cluster":"prod","service":"web","enableExecuteCommand":true,
      "propagateTags":"SERVICE","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-1"],
      "assignPublicIp":"DISABLED"}},"serviceConnectConfiguration":{"enabled":false}})");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].keys, (Keys{{"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
                                  {"ecs:enable-execute-command", "true"},
                                  {"ecs:propagate-tags", "SERVICE"},
                                  {"ecs:subnet", "subnet-1"},
                                  {"ecs:auto-assign-public-ip", "DISABLED"},
                                  {"ecs:enable-service-connect", "false"}}));
}

TEST(AuthzChecksTest, StartTaskCarriesTheContainerInstances) {
  auto checks = For("ecs", "StartTask", R"({"cluster":"prod","taskDefinition":"web:2","containerInstances":["ci1","ci2"]})");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].keys,
            (Keys{{"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
                  {"ecs:container-instances", "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ci1"},
                  {"ecs:container-instances", "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ci2"}}));
}

TEST(AuthzChecksTest, ElasticLoadBalancingByArn) {
  const std::string lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188";
  auto checks = For("elasticloadbalancing", "DeleteLoadBalancer", R"({"LoadBalancerArn":")" + lb + R"("})");
  EXPECT_EQ(checks, (std::vector<Check>{C("elasticloadbalancing:DeleteLoadBalancer", lb)}));

  checks = For("elasticloadbalancing", "DescribeLoadBalancers", R"({"Names":["web"]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("elasticloadbalancing:DescribeLoadBalancers", "*")}));

  // A listener is created on its load balancer; its tags are AddTags on the new listener.
  checks = For("elasticloadbalancing", "CreateListener",
               R"({"LoadBalancerArn":")" + lb + R"(","Protocol":"HTTP","Port":80,"Tags":[{"Key":"env","Value":"prod"}]})");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].action, "elasticloadbalancing:CreateListener");
  EXPECT_EQ(checks[0].resource, lb);
  EXPECT_EQ(checks[0].keys, (Keys{{"aws:RequestTag/env", "prod"}, {"aws:TagKeys", "env"},
                                  {"elasticloadbalancing:ListenerProtocol", "HTTP"}}));
  EXPECT_EQ(checks[1], C("elasticloadbalancing:AddTags",
                         "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/*",
                         {{"aws:RequestTag/env", "prod"},
                          {"aws:TagKeys", "env"},
                          {"elasticloadbalancing:CreateAction", "CreateListener"}}));

  const std::string tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/73e2d6bc24d8a067";
  checks = For("elasticloadbalancing", "RemoveTags",
               R"({"ResourceArns":[")" + lb + R"(",")" + tg + R"("],"TagKeys":["env"]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("elasticloadbalancing:RemoveTags", lb, {{"aws:TagKeys", "env"}}),
                                        C("elasticloadbalancing:RemoveTags", tg, {{"aws:TagKeys", "env"}})}));

  checks = For("elasticloadbalancing", "CreateLoadBalancer",
               R"({"Name":"web","Scheme":"internal","Subnets":["subnet-1","subnet-2"],"SecurityGroups":["sg-1"]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("elasticloadbalancing:CreateLoadBalancer",
                                          "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/*",
                                          {{"elasticloadbalancing:Scheme", "internal"},
                                           {"elasticloadbalancing:SecurityGroup", "sg-1"},
                                           {"elasticloadbalancing:Subnet", "subnet-1"},
                                           {"elasticloadbalancing:Subnet", "subnet-2"}})}));

  checks = For("elasticloadbalancing", "CreateTargetGroup", R"({"Name":"api","Port":80})");
  EXPECT_EQ(checks, (std::vector<Check>{C("elasticloadbalancing:CreateTargetGroup",
                                          "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/*")}));
}

TEST(AuthzChecksTest, Ec2ById) {
  auto checks = For("ec2", "DeleteVpc", R"({"VpcId":"vpc-0abc"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("ec2:DeleteVpc", "arn:aws:ec2:us-east-1:000000000000:vpc/vpc-0abc")}));

  checks = For("ec2", "AttachInternetGateway", R"({"InternetGatewayId":"igw-1","VpcId":"vpc-2"})");
  EXPECT_EQ(checks, (std::vector<Check>{
                        C("ec2:AttachInternetGateway", "arn:aws:ec2:us-east-1:000000000000:internet-gateway/igw-1"),
                        C("ec2:AttachInternetGateway", "arn:aws:ec2:us-east-1:000000000000:vpc/vpc-2"),
                    }));

  checks = For("ec2", "CreateSubnet", R"({"VpcId":"vpc-2","CidrBlock":"10.0.1.0/24",
      "TagSpecifications":[{"ResourceType":"subnet","Tags":[{"Key":"Name","Value":"a"}]}]})");
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0], C("ec2:CreateSubnet", "arn:aws:ec2:us-east-1:000000000000:subnet/*",
                         {{"aws:RequestTag/Name", "a"}, {"aws:TagKeys", "Name"}}));
  EXPECT_EQ(checks[1], C("ec2:CreateSubnet", "arn:aws:ec2:us-east-1:000000000000:vpc/vpc-2"));
  EXPECT_EQ(checks[2], C("ec2:CreateTags", "arn:aws:ec2:us-east-1:000000000000:subnet/*",
                         {{"aws:RequestTag/Name", "a"}, {"aws:TagKeys", "Name"}, {"ec2:CreateAction", "CreateSubnet"}}));

  checks = For("ec2", "CreateTags", R"({"Resources":["sg-1","nat-2","eipalloc-3"],"Tags":[{"Key":"k","Value":"v"}]})");
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0].resource, "arn:aws:ec2:us-east-1:000000000000:security-group/sg-1");
  EXPECT_EQ(checks[1].resource, "arn:aws:ec2:us-east-1:000000000000:natgateway/nat-2");
  EXPECT_EQ(checks[2].resource, "arn:aws:ec2:us-east-1:000000000000:elastic-ip/eipalloc-3");

  checks = For("ec2", "DescribeSecurityGroups", R"({"GroupIds":["sg-1"]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("ec2:DescribeSecurityGroups", "*")}));
}

TEST(AuthzChecksTest, CloudWatchAlarmsAndNamespaces) {
  auto checks = For("monitoring", "PutMetricData", R"({"Namespace":"MyApp","MetricData":[]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("cloudwatch:PutMetricData", "*", {{"cloudwatch:namespace", "MyApp"}})}));
  checks = For("monitoring", "DeleteAlarms", R"({"AlarmNames":["a","b"]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a"),
                                        C("cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:b")}));
  checks = For("monitoring", "PutMetricAlarm", R"({"AlarmName":"high-cpu"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("cloudwatch:PutMetricAlarm",
                                          "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu")}));
  checks = For("monitoring", "PutCompositeAlarm", R"j({"AlarmName":"svc","AlarmRule":"ALARM(a)"})j");
  EXPECT_EQ(checks, (std::vector<Check>{C("cloudwatch:PutCompositeAlarm",
                                          "arn:aws:cloudwatch:us-east-1:000000000000:alarm:svc")}));
}

TEST(AuthzChecksTest, LogsGroupsAndStreams) {
  auto checks = For("logs", "PutLogEvents", R"({"logGroupName":"/ecs/web","logStreamName":"ecs/app/1","logEvents":[]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("logs:PutLogEvents",
                                          "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:log-stream:ecs/app/1")}));
  checks = For("logs", "CreateLogStream", R"({"logGroupName":"/ecs/web","logStreamName":"s"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("logs:CreateLogStream",
                                          "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:log-stream:s")}));
  checks = For("logs", "DescribeLogStreams",
               R"({"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("logs:DescribeLogStreams", "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*")}));
  checks = For("logs", "CreateLogGroup", R"({"logGroupName":"g","tags":{"team":"a"}})");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0], C("logs:CreateLogGroup", "arn:aws:logs:us-east-1:000000000000:log-group:g:*",
                         {{"aws:RequestTag/team", "a"}, {"aws:TagKeys", "team"}}));
  EXPECT_EQ(checks[1].action, "logs:TagResource");
}

TEST(AuthzChecksTest, EcrOperations) {
  auto checks = For("ecr", "GetAuthorizationToken", "{}");
  EXPECT_EQ(checks, (std::vector<Check>{C("ecr:GetAuthorizationToken", "*")}));
  checks = For("ecr", "BatchGetImage", R"({"repositoryName":"team/web","imageIds":[]})");
  EXPECT_EQ(checks, (std::vector<Check>{C("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:000000000000:repository/team/web")}));
  checks = For("ecr", "DescribeImages", R"({"registryId":"222222222222","repositoryName":"web"})");
  EXPECT_EQ(checks[0].resource, "arn:aws:ecr:us-east-1:222222222222:repository/web");
}

TEST(AuthzChecksTest, RegistryPaths) {
  const std::string repo = "arn:aws:ecr:us-east-1:000000000000:repository/team/web";
  auto one = [&](std::string_view method, std::string_view path) {
    auto checks = RegistryChecks(method, path, kScope);
    std::vector<std::string> actions;
    for (const Check& c : checks) {
      EXPECT_EQ(c.resource, repo) << method << " " << path;
      actions.push_back(c.action);
    }
    return actions;
  };
  using A = std::vector<std::string>;
  EXPECT_EQ(one("GET", "/v2/team/web/manifests/latest"), A{"ecr:BatchGetImage"});
  EXPECT_EQ(one("HEAD", "/v2/team/web/manifests/sha256:abc"), A{"ecr:BatchGetImage"});
  EXPECT_EQ(one("PUT", "/v2/team/web/manifests/v1"), A{"ecr:PutImage"});
  EXPECT_EQ(one("DELETE", "/v2/team/web/manifests/sha256:abc"), A{"ecr:BatchDeleteImage"});
  EXPECT_EQ(one("GET", "/v2/team/web/blobs/sha256:abc"), A{"ecr:GetDownloadUrlForLayer"});
  EXPECT_EQ(one("HEAD", "/v2/team/web/blobs/sha256:abc"), A{"ecr:BatchCheckLayerAvailability"});
  EXPECT_EQ(one("POST", "/v2/team/web/blobs/uploads/"), A{"ecr:InitiateLayerUpload"});
  EXPECT_EQ(one("PATCH", "/v2/team/web/blobs/uploads/5f1c"), A{"ecr:UploadLayerPart"});
  EXPECT_EQ(one("PUT", "/v2/team/web/blobs/uploads/5f1c?digest=sha256:abc"), A{"ecr:CompleteLayerUpload"});
  EXPECT_EQ(one("POST", "/v2/team/web/blobs/uploads/?digest=sha256:abc"),
            (A{"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"}));
  EXPECT_EQ(one("GET", "/v2/team/web/tags/list?n=10"), A{"ecr:ListImages"});
  EXPECT_TRUE(RegistryChecks("GET", "/v2/", kScope).empty());
  // What the mapping does not know is never unchecked.
  EXPECT_EQ(RegistryChecks("POST", "/v2/team/web/manifests/latest", kScope), (std::vector<Check>{C("ecr:*", repo)}));
  EXPECT_EQ(RegistryChecks("GET", "/v2/team/web/other", kScope), (std::vector<Check>{C("ecr:*", "*")}));
  EXPECT_EQ(RegistryChecks("GET", "/v2/_catalog", kScope), (std::vector<Check>{C("ecr:DescribeRepositories", "*")}));
}

TEST(AuthzChecksTest, IamEntities) {
  auto checks = For("iam", "AttachRolePolicy",
                    R"({"RoleName":"app","PolicyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("iam:AttachRolePolicy", "arn:aws:iam::000000000000:role/app",
                                          {{"iam:PolicyARN", "arn:aws:iam::aws:policy/ReadOnlyAccess"}})}));
  // Only a create knows the path.
  checks = For("iam", "CreateUser", R"({"UserName":"ci","Path":"/robots/"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("iam:CreateUser", "arn:aws:iam::000000000000:user/robots/ci")}));
  checks = For("iam", "DeleteUser", R"({"UserName":"ci"})");
  EXPECT_EQ(checks[0].resource, "arn:aws:iam::000000000000:user/ci");
  // UserName defaults to the caller.
  checks = For("iam", "CreateAccessKey", "{}", Scope{"us-east-1", "000000000000", "alice"});
  EXPECT_EQ(checks, (std::vector<Check>{C("iam:CreateAccessKey", "arn:aws:iam::000000000000:user/alice")}));
  checks = For("iam", "AddRoleToInstanceProfile", R"({"InstanceProfileName":"p","RoleName":"r"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("iam:AddRoleToInstanceProfile", "arn:aws:iam::000000000000:instance-profile/p"),
                                        C("iam:PassRole", "arn:aws:iam::000000000000:role/r",
                                          {{"iam:PassedToService", "ec2.amazonaws.com"}})}));
  checks = For("iam", "GetServiceLinkedRoleDeletionStatus",
               R"({"DeletionTaskId":"task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/1234"})");
  EXPECT_EQ(checks[0].resource, "arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS");
}

TEST(AuthzChecksTest, StsCallerIdentityNeedsNothing) {
  EXPECT_TRUE(For("sts", "GetCallerIdentity", "{}").empty());
  auto checks = For("sts", "AssumeRole", R"({"RoleArn":"arn:aws:iam::000000000000:role/deploy","RoleSessionName":"s1"})");
  EXPECT_EQ(checks, (std::vector<Check>{C("sts:AssumeRole", "arn:aws:iam::000000000000:role/deploy",
                                          {{"sts:RoleSessionName", "s1"}})}));
  // Session tags and a source identity are actions of their own on the role.
  checks = For("sts", "AssumeRole", R"({"RoleArn":"arn:aws:iam::000000000000:role/deploy","RoleSessionName":"s1",
      "SourceIdentity":"alice","Tags":[{"Key":"project","Value":"x"}]})");
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[1], C("sts:SetSourceIdentity", "arn:aws:iam::000000000000:role/deploy", {{"sts:SourceIdentity", "alice"}}));
  EXPECT_EQ(checks[2], C("sts:TagSession", "arn:aws:iam::000000000000:role/deploy",
                         {{"aws:RequestTag/project", "x"}, {"aws:TagKeys", "project"}}));
}

TEST(AuthzChecksTest, UnknownOperationsFallBackToTheActionOnEverything) {
  EXPECT_EQ(For("ecs", "CreateTaskSet", "{}"), (std::vector<Check>{C("ecs:CreateTaskSet", "*")}));
  EXPECT_EQ(For("elasticloadbalancing", "DescribeSSLPolicies", "{}"),
            (std::vector<Check>{C("elasticloadbalancing:DescribeSSLPolicies", "*")}));
  EXPECT_EQ(For("kms", "Encrypt", "{}"), (std::vector<Check>{C("kms:Encrypt", "*")}));
  // Cloud Map: a service's operations on the service, given by id or by ARN.
  EXPECT_EQ(For("servicediscovery", "RegisterInstance", R"({"ServiceId":"srv-abc","InstanceId":"i"})"),
            (std::vector<Check>{C("servicediscovery:RegisterInstance",
                                  "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-abc",
                                  {{"servicediscovery:ServiceArn",
                                    "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-abc"}})}));
  // A known operation whose request names none of its resources is still checked.
  EXPECT_EQ(For("ec2", "DeleteVpc", "{}"), (std::vector<Check>{C("ec2:DeleteVpc", "*")}));
}

// KMS: a key by id, ARN or alias (kept as kms:RequestAlias for the endpoint to resolve); a
// ciphertext blob names its key; the encryption context as condition keys.
TEST(AuthzChecksTest, KmsOperationsAreCheckedOnTheirKey) {
  const std::string key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  EXPECT_EQ(For("kms", "DescribeKey", R"({"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"})"),
            (std::vector<Check>{C("kms:DescribeKey", key)}));
  EXPECT_EQ(For("kms", "Encrypt", R"({"KeyId":"alias/app","Plaintext":"aGk=","EncryptionContext":{"app":"web"}})"),
            (std::vector<Check>{C("kms:Encrypt", "arn:aws:kms:us-east-1:000000000000:alias/app",
                                  {{"kms:RequestAlias", "alias/app"},
                                   {"kms:EncryptionContext:app", "web"},
                                   {"kms:EncryptionContextKeys", "app"}})}));
  // "WKM" 1, the id's length, the id, then what Decrypt's handler reads.
  std::string blob = std::string("WKM\x01", 4) + char(36) + "1234abcd-12ab-34cd-56ef-1234567890ab" + std::string(32, 'x');
  EXPECT_EQ(For("kms", "Decrypt", R"({"CiphertextBlob":")" + Base64Encode(blob) + R"("})"),
            (std::vector<Check>{C("kms:Decrypt", key)}));
  EXPECT_EQ(For("kms", "Decrypt", R"({"CiphertextBlob":"bm90IGEgYmxvYg=="})"),
            (std::vector<Check>{C("kms:Decrypt", "*")}));
  EXPECT_EQ(For("kms", "CreateAlias", R"({"AliasName":"alias/app","TargetKeyId":")" + key + R"("})"),
            (std::vector<Check>{C("kms:CreateAlias", "arn:aws:kms:us-east-1:000000000000:alias/app"),
                                C("kms:CreateAlias", key)}));
  EXPECT_EQ(For("kms", "ListKeys", "{}"), (std::vector<Check>{C("kms:ListKeys", "*")}));
}

// What an ECS execution role needs to read a task's secrets: secretsmanager:GetSecretValue on
// the secret, ssm:GetParameters on each parameter (AWS's message names the parameter's ARN).
TEST(AuthzChecksTest, SecretValuesAndParametersAreCheckedOnTheirArns) {
  const std::string secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
  EXPECT_EQ(For("secretsmanager", "GetSecretValue", R"({"SecretId":")" + secret + R"(","VersionStage":"AWSPREVIOUS"})"),
            (std::vector<Check>{C("secretsmanager:GetSecretValue", secret,
                                  {{"secretsmanager:SecretId", secret}, {"secretsmanager:VersionStage", "AWSPREVIOUS"}})}));
  EXPECT_EQ(For("secretsmanager", "DescribeSecret", R"({"SecretId":"db"})")[0].resource,
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:db");
  EXPECT_EQ(For("ssm", "GetParameters", R"({"Names":["/prod/db/password","plain:2",
      "arn:aws:ssm:eu-west-1:000000000000:parameter/x"],"WithDecryption":true})"),
            (std::vector<Check>{C("ssm:GetParameters", "arn:aws:ssm:us-east-1:000000000000:parameter/prod/db/password"),
                                C("ssm:GetParameters", "arn:aws:ssm:us-east-1:000000000000:parameter/plain"),
                                C("ssm:GetParameters", "arn:aws:ssm:eu-west-1:000000000000:parameter/x")}));
}

TEST(AuthzChecksTest, CloudFormationStacks) {
  EXPECT_EQ(For("cloudformation", "DeleteStack", R"({"StackName":"web"})"),
            (std::vector<Check>{C("cloudformation:DeleteStack", "arn:aws:cloudformation:us-east-1:000000000000:stack/web/*")}));
  std::string arn = "arn:aws:cloudformation:us-east-1:000000000000:stack/web/1234";
  EXPECT_EQ(For("cloudformation", "ExecuteChangeSet", R"({"StackName":")" + arn + R"(","ChangeSetName":"cs1"})"),
            (std::vector<Check>{C("cloudformation:ExecuteChangeSet", arn, {{"cloudformation:ChangeSetName", "cs1"}})}));
  EXPECT_EQ(For("cloudformation", "ListStacks", "{}"), (std::vector<Check>{C("cloudformation:ListStacks", "*")}));
  EXPECT_EQ(For("cloudformation", "DescribeStacks", "{}"), (std::vector<Check>{C("cloudformation:DescribeStacks", "*")}));
  auto tagged = For("cloudformation", "CreateStack", R"({"StackName":"web","Tags":[{"Key":"team","Value":"a"}]})");
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0].action, "cloudformation:CreateStack");
  EXPECT_NE(std::find(tagged[0].keys.begin(), tagged[0].keys.end(), std::pair<std::string, std::string>{"aws:TagKeys", "team"}),
            tagged[0].keys.end());
}

// Every operation in the table is an operation of the service's model, so a misspelt name
// cannot sit in the table unused while the real operation falls back to "*".
TEST(AuthzChecksTest, EveryTableOperationIsInTheModel) {
  const std::pair<std::string_view, std::string_view> services[] = {
      {"ecs", "ecs"}, {"elasticloadbalancing", "elbv2"}, {"ecr", "ecr"}, {"logs", "logs"},
      {"ec2", "ec2"}, {"iam", "iam"},                    {"sts", "sts"},
      {"secretsmanager", "secretsmanager"}, {"ssm", "ssm"}, {"servicediscovery", "servicediscovery"},
      {"monitoring", "cloudwatch"}, {"application-autoscaling", "application-autoscaling"},
      {"cloudformation", "cloudformation"}, {"kms", "kms"}};
  for (const auto& [signing_name, model_name] : services) {
    auto model = ServiceModel::LoadEmbedded(model_name);
    ASSERT_TRUE(model.ok()) << model_name;
    auto ops = KnownOperations(signing_name);
    EXPECT_FALSE(ops.empty()) << signing_name;
    for (std::string_view op : ops) {
      EXPECT_NE((*model)->FindOperation(op), nullptr) << signing_name << ":" << op << " is not in the " << model_name
                                                      << " model";
    }
    for (size_t i = 1; i < ops.size(); ++i) EXPECT_NE(ops[i - 1], ops[i]) << "listed twice: " << ops[i];
  }
}

}  // namespace
}  // namespace wharf::api::authz
