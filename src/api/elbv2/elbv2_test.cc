// The ELBv2 handlers against a MemoryStore, a ManualClock and a fake data plane.
#include "api/elbv2/elbv2.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "api/ec2/network.h"
#include "api/json_util.h"
#include "api/query_protocol.h"
#include "controlplane/lb_config.h"
#include "model/keys.h"
#include "model/load_balancer.h"
#include "store/memory_store.h"

namespace wharf::api::elbv2 {
namespace {

namespace json = boost::json;

class FakeDataPlane final : public lb::DataPlaneControl {
 public:
  Status OpenListener(const std::string& arn, uint16_t port) override {
    if (busy_ports.contains(port)) return Status::Unavailable("Address already in use");
    open[arn] = port;
    return Status::OK();
  }
  void CloseListener(const std::string& arn) override { open.erase(arn); }
  void Apply(std::shared_ptr<const lb::Config> c) override {
    config = std::move(c);
    ++applies;
  }
  std::vector<lb::TargetHealth> Health(const std::string&) const override { return health; }

  std::set<uint16_t> busy_ports;
  std::map<std::string, uint16_t> open;
  std::shared_ptr<const lb::Config> config;
  int applies = 0;
  std::vector<lb::TargetHealth> health;
};

class Elbv2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    controlplane::InstanceAddress instance_address = [](const std::string& id) -> std::optional<std::string> {
      if (id == "i-0local") return "127.0.0.1";  // the server's own node
      return std::nullopt;
    };
    // Publishing as the server's LoadBalancerPublisher does after a change, on this thread
    // (its watch and thread have their own tests).
    auto publish = [this, instance_address] {
      auto config = controlplane::BuildLbConfig(store_, clock_, instance_address);
      ASSERT_TRUE(config.ok()) << config.status().ToString();
      data_plane_.Apply(std::move(config).value());
    };
    // The EC2 side: the default VPC, and the seed's subnets and group in it.
    ec2::NetworkOptions where;
    ASSERT_TRUE(ec2::EnsureDefaultVpc(store_, where).ok());
    vpc_id_ = ec2::DefaultVpcId(where);
    Put(ec2::SubnetKey("subnet-1"), ec2::MakeSubnet(where, "subnet-1", vpc_id_, "10.213.64.0/24", "us-east-1a", false));
    Put(ec2::SubnetKey("subnet-2"), ec2::MakeSubnet(where, "subnet-2", vpc_id_, "10.213.65.0/24", "us-east-1b", false));
    Put(ec2::SubnetKey("subnet-3"), ec2::MakeSubnet(where, "subnet-3", vpc_id_, "10.213.66.0/24", "us-east-1a", false));
    Put(ec2::SubnetKey("subnet-other"), ec2::MakeSubnet(where, "subnet-other", "vpc-other", "10.9.0.0/24", "us-east-1c", false));
    Put(ec2::SecurityGroupKey("sg-1"), json::object{{"GroupId", "sg-1"}, {"GroupName", "one"}, {"VpcId", vpc_id_}});
    Put(ec2::SecurityGroupKey("sg-other"), json::object{{"GroupId", "sg-other"}, {"GroupName", "x"}, {"VpcId", "vpc-other"}});
    Elbv2Deps deps{store_, clock_, "us-east-1", "000000000000", data_plane_, "127.0.0.1",
                   nullptr, instance_address, publish, nullptr};
    deps.public_ip_pool = public_ip_pool_;
    deps.reserved_ports[53] = "the VPC resolver";
    deps.held_ports = [] { return std::map<uint16_t, std::string>{{41234, "the task metadata endpoint"}}; };
    auto made = MakeElbv2Endpoint(deps);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    endpoint_ = std::move(made).value();
  }

  Outcome Call(const std::string& op, std::string_view input) {
    json::object in = json::parse(input).as_object();
    RequestContext ctx{
        "req", "us-east-1", "000000000000", "AKIA", "arn:aws:iam::000000000000:root", clock_.Now(), "000000000000", "", {}, {}};
    return endpoint_.operations.at(op)(ctx, in);
  }
  json::object Ok(const std::string& op, std::string_view input) {
    Outcome out = Call(op, input);
    EXPECT_TRUE(out.ok()) << op << ": "
                          << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }
  std::string ErrorCode(const std::string& op, std::string_view input) {
    Outcome out = Call(op, input);
    return out.ok() ? "ok" : out.error().code;
  }

  // The seed's load balancer, target group and a listener forwarding to it.
  void CreateSeed(int port = 18080) {
    lb_arn_ = GetString(Ok("CreateLoadBalancer", R"({"Name": "alba-digi-load-balancer",
        "Subnets": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-1"], "Scheme": "internet-facing"})")
                            ["LoadBalancers"]
                                .as_array()[0]
                                .as_object(),
                        "LoadBalancerArn");
    tg_arn_ =
        GetString(Ok("CreateTargetGroup", R"({"Name": "alba-digi-target-group", "Protocol": "HTTP",
        "Port": 5050, "VpcId": "vpc-1", "TargetType": "ip", "HealthCheckPath": "/alive"})")
                      ["TargetGroups"]
                          .as_array()[0]
                          .as_object(),
                  "TargetGroupArn");
    json::object in{{"LoadBalancerArn", lb_arn_},
                    {"Protocol", "HTTP"},
                    {"Port", port},
                    {"DefaultActions",
                     json::array{json::object{{"Type", "forward"}, {"TargetGroupArn", tg_arn_}}}}};
    listener_arn_ =
        GetString(Ok("CreateListener", json::serialize(in))["Listeners"].as_array()[0].as_object(),
                  "ListenerArn");
  }

  std::string RuleInput(int priority, std::string_view conditions) {
    return R"({"ListenerArn": ")" + listener_arn_ + R"(", "Priority": )" +
           std::to_string(priority) + R"(, "Conditions": )" + std::string(conditions) +
           R"(, "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]})";
  }

  void Put(const std::string& key, const json::object& value) {
    ASSERT_TRUE(store_.Commit(store::Txn{{}, {store::Op::Put(key, json::serialize(value))}}).ok());
  }
  // The addresses claimed in a subnet.
  std::vector<std::string> Claims(const std::string& subnet) {
    auto page = store_.List(model::keys::EniIpPrefix(subnet), "", 0);
    std::vector<std::string> out;
    for (const auto& kv : page->items) out.push_back(kv.key.substr(model::keys::EniIpPrefix(subnet).size()));
    return out;
  }

  std::string public_ip_pool_;  // none unless a test's fixture sets it before SetUp
  store::MemoryStore store_;
  std::string vpc_id_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  FakeDataPlane data_plane_;
  ServiceEndpoint endpoint_;
  std::string lb_arn_, tg_arn_, listener_arn_;
};

TEST_F(Elbv2Test, SeedFlowBuildsTheConfigAndBindsThePort) {
  CreateSeed();
  json::object lb =
      Ok("DescribeLoadBalancers", R"({"Names": ["alba-digi-load-balancer"]})")["LoadBalancers"]
          .as_array()[0]
          .as_object();
  EXPECT_EQ(GetString(GetObject(lb, "State"), "Code"), "provisioning");
  EXPECT_TRUE(
      lb_arn_.starts_with("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/"
                          "alba-digi-load-balancer/"));
  EXPECT_TRUE(GetString(lb, "DNSName").ends_with(".us-east-1.elb.localhost"));
  EXPECT_EQ(GetString(GetArray(lb, "AvailabilityZones")[1].as_object(), "ZoneName"), "us-east-1b");
  clock_.Advance(std::chrono::seconds(2));
  lb = Ok("DescribeLoadBalancers", "{}")["LoadBalancers"].as_array()[0].as_object();
  EXPECT_EQ(GetString(GetObject(lb, "State"), "Code"), "active");

  EXPECT_EQ(data_plane_.open.at(listener_arn_), 18080);
  ASSERT_TRUE(data_plane_.config);
  ASSERT_EQ(data_plane_.config->listeners.size(), 1u);
  const lb::Listener& l = data_plane_.config->listeners[0];
  ASSERT_EQ(l.rules.size(), 1u);
  EXPECT_TRUE(l.rules[0].is_default);
  EXPECT_EQ(l.rules[0].actions[0].target_groups[0].arn, tg_arn_);
  EXPECT_EQ(data_plane_.config->target_groups.at(tg_arn_).health_check.path, "/alive");

  json::object tg =
      Ok("DescribeTargetGroups", R"({"Names": ["alba-digi-target-group"]})")["TargetGroups"]
          .as_array()[0]
          .as_object();
  EXPECT_EQ(GetArray(tg, "LoadBalancerArns"), json::array{json::value(lb_arn_)});
  EXPECT_EQ(GetInt(tg, "HealthCheckIntervalSeconds"), 30);
  EXPECT_EQ(GetString(GetObject(tg, "Matcher"), "HttpCode"), "200");

  // What the aws CLI receives: the model's XML.
  auto model = ServiceModel::LoadEmbedded("elbv2");
  ASSERT_TRUE(model.ok());
  std::string xml = EncodeQueryResponse(**model, *(*model)->FindOperation("DescribeLoadBalancers"),
                                        json::object{{"LoadBalancers", json::array{lb}}}, "req");
  EXPECT_NE(xml.find("<State><Code>active</Code></State>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<CreatedTime>2023-11-14T22:13:20"), std::string::npos) << xml;
}

TEST_F(Elbv2Test, CreateIsIdempotentButNamesAreUnique) {
  CreateSeed();
  EXPECT_EQ(
      ErrorCode("CreateLoadBalancer", R"({"Name": "alba-digi-load-balancer", "Subnets": ["subnet-1",
      "subnet-2"], "SecurityGroups": ["sg-1"]})"),
      "ok");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer",
                      R"({"Name": "alba-digi-load-balancer", "Scheme": "internal"})"),
            "DuplicateLoadBalancerName");
  EXPECT_EQ(ErrorCode("CreateTargetGroup", R"({"Name": "alba-digi-target-group", "Protocol": "HTTP",
      "Port": 8080, "VpcId": "vpc-1", "TargetType": "ip"})"),
            "DuplicateTargetGroupName");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "nlb", "Type": "network"})"),
            "InvalidConfigurationRequest");
  EXPECT_EQ(ErrorCode("CreateTargetGroup", R"({"Name": "fn", "TargetType": "lambda"})"),
            "InvalidConfigurationRequest");
  EXPECT_EQ(ErrorCode("DescribeLoadBalancers", R"({"Names": ["nope"]})"), "LoadBalancerNotFound");
  EXPECT_EQ(ErrorCode("DescribeTargetGroups", R"({"Names": ["nope"]})"), "TargetGroupNotFound");
  json::object in{
      {"LoadBalancerArn", lb_arn_},
      {"Protocol", "HTTP"},
      {"Port", 18080},
      {"DefaultActions",
       json::array{json::object{{"Type", "fixed-response"},
                                {"FixedResponseConfig", json::object{{"StatusCode", "200"}}}}}}};
  EXPECT_EQ(ErrorCode("CreateListener", json::serialize(in)), "DuplicateListener");
}

TEST_F(Elbv2Test, APortInUseIsRefusedAndNothingIsStored) {
  CreateSeed();
  data_plane_.busy_ports.insert(19999);
  json::object in{{"LoadBalancerArn", lb_arn_},
                  {"Port", 19999},
                  {"DefaultActions",
                   json::array{json::object{{"Type", "forward"}, {"TargetGroupArn", tg_arn_}}}}};
  Outcome out = Call("CreateListener", json::serialize(in));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "InvalidConfigurationRequest");
  EXPECT_NE(out.error().message.find("19999"), std::string::npos);
  json::object lb{{"LoadBalancerArn", lb_arn_}};
  EXPECT_EQ(Ok("DescribeListeners", json::serialize(lb))["Listeners"].as_array().size(), 1u);
  EXPECT_EQ(data_plane_.open.size(), 1u);
}

// A port wharf holds itself (the VPC resolver's 53) is refused at once, in AWS's form, for a
// new listener and for one moving there; nothing is bound or stored.
TEST_F(Elbv2Test, APortWharfUsesItselfIsRefused) {
  CreateSeed();
  json::object in{{"LoadBalancerArn", lb_arn_},
                  {"Port", 53},
                  {"DefaultActions",
                   json::array{json::object{{"Type", "forward"}, {"TargetGroupArn", tg_arn_}}}}};
  Outcome out = Call("CreateListener", json::serialize(in));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "InvalidConfigurationRequest");
  EXPECT_NE(out.error().message.find("VPC resolver"), std::string::npos) << out.error().message;
  EXPECT_EQ(data_plane_.open.size(), 1u);
  json::object modify{{"ListenerArn", listener_arn_}, {"Port", 53}};
  Outcome moved = Call("ModifyListener", json::serialize(modify));
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "InvalidConfigurationRequest");
  EXPECT_EQ(data_plane_.open.at(listener_arn_), 18080);
  // A port the node took when it started (its task metadata endpoint's), in the same words.
  in["Port"] = 41234;
  out = Call("CreateListener", json::serialize(in));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "InvalidConfigurationRequest");
  EXPECT_EQ(out.error().message,
            "Port 41234 is used by wharf itself (the task metadata endpoint): a listener cannot take it");
  modify["Port"] = 41234;
  moved = Call("ModifyListener", json::serialize(modify));
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "InvalidConfigurationRequest");
  EXPECT_EQ(data_plane_.open.size(), 1u);
}

TEST_F(Elbv2Test, RulesPrioritiesAndConditionLimits) {
  CreateSeed();
  std::string first =
      GetString(Ok("CreateRule",
                   RuleInput(10, R"([{"Field": "path-pattern", "Values": ["/api/*"]}])"))["Rules"]
                    .as_array()[0]
                    .as_object(),
                "RuleArn");
  EXPECT_EQ(ErrorCode("CreateRule",
                      RuleInput(10, R"([{"Field": "host-header", "Values": ["a.example"]}])")),
            "PriorityInUse");
  std::string second =
      GetString(Ok("CreateRule", RuleInput(20, R"([{"Field": "http-header", "HttpHeaderConfig":
      {"HttpHeaderName": "X-Env", "Values": ["blue"]}}])"))["Rules"]
                    .as_array()[0]
                    .as_object(),
                "RuleArn");
  EXPECT_EQ(ErrorCode("CreateRule",
                      RuleInput(30, R"([{"Field": "path-pattern", "Values": ["/a", "/b", "/c"]},
      {"Field": "host-header", "HostHeaderConfig": {"Values": ["a", "b", "c"]}}])")),
            "ValidationError");
  EXPECT_EQ(ErrorCode("CreateRule", RuleInput(30, R"([{"Field": "cookie", "Values": ["x"]}])")),
            "ValidationError");

  json::object swap{
      {"RulePriorities", json::array{json::object{{"RuleArn", first}, {"Priority", 20}}}}};
  EXPECT_EQ(ErrorCode("SetRulePriorities", json::serialize(swap)), "PriorityInUse");
  swap["RulePriorities"] = json::array{json::object{{"RuleArn", first}, {"Priority", 20}},
                                       json::object{{"RuleArn", second}, {"Priority", 5}}};
  EXPECT_EQ(Ok("SetRulePriorities", json::serialize(swap))["Rules"].as_array().size(), 2u);
  json::array rules =
      Ok("DescribeRules", R"({"ListenerArn": ")" + listener_arn_ + R"("})")["Rules"].as_array();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(GetString(rules[0].as_object(), "RuleArn"), second);
  EXPECT_EQ(GetString(rules[1].as_object(), "Priority"), "20");
  EXPECT_EQ(GetString(rules[2].as_object(), "Priority"), "default");
  EXPECT_EQ(ErrorCode("DeleteRule", R"({"RuleArn": ")" +
                                        std::string(GetString(rules[2].as_object(), "RuleArn")) +
                                        R"("})"),
            "OperationNotPermitted");

  const lb::Listener& l = data_plane_.config->listeners[0];
  ASSERT_EQ(l.rules.size(), 3u);
  EXPECT_EQ(l.rules[0].priority, 5);
  EXPECT_EQ(l.rules[0].conditions[0].http_header_name, "X-Env");
  EXPECT_EQ(l.rules[1].conditions[0].values, std::vector<std::string>{"/api/*"});
  EXPECT_EQ(l.rules[1].actions[0].fixed_status, 404);
  Ok("DeleteRule", R"({"RuleArn": ")" + first + R"("})");
  EXPECT_EQ(ErrorCode("DeleteRule", R"({"RuleArn": ")" + first + R"("})"), "RuleNotFound");
}

TEST_F(Elbv2Test, TargetsDrainThenDisappear) {
  CreateSeed();
  std::string tg = R"("TargetGroupArn": ")" + tg_arn_ + R"(")";
  Ok("RegisterTargets",
     "{" + tg + R"(, "Targets": [{"Id": "10.0.0.5"}, {"Id": "10.0.0.6", "Port": 6060}]})");
  EXPECT_EQ(ErrorCode("RegisterTargets", "{" + tg + R"(, "Targets": [{"Id": "i-0123"}]})"),
            "InvalidTarget");
  data_plane_.health = {{"10.0.0.5", 5050, "healthy", "", ""}};
  json::array health =
      Ok("DescribeTargetHealth", "{" + tg + "}")["TargetHealthDescriptions"].as_array();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(GetString(GetObject(health[0].as_object(), "TargetHealth"), "State"), "healthy");
  EXPECT_EQ(GetString(GetObject(health[1].as_object(), "TargetHealth"), "Reason"),
            "Elb.RegistrationInProgress");

  Ok("ModifyTargetGroupAttributes",
     "{" + tg +
         R"(, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]})");
  Ok("DeregisterTargets", "{" + tg + R"(, "Targets": [{"Id": "10.0.0.5"}]})");
  health = Ok("DescribeTargetHealth", "{" + tg + "}")["TargetHealthDescriptions"].as_array();
  EXPECT_EQ(GetString(GetObject(health[0].as_object(), "TargetHealth"), "State"), "draining");
  EXPECT_TRUE(data_plane_.config->target_groups.at(tg_arn_).targets[0].draining);
  clock_.Advance(std::chrono::seconds(31));
  health = Ok("DescribeTargetHealth", "{" + tg + "}")["TargetHealthDescriptions"].as_array();
  ASSERT_EQ(health.size(), 1u);
  auto config = controlplane::BuildLbConfig(store_, clock_);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ((*config)->target_groups.at(tg_arn_).targets.size(), 1u);

  EXPECT_EQ(ErrorCode("DeleteTargetGroup", "{" + tg + "}"), "ResourceInUse");
  Ok("DeleteListener", R"({"ListenerArn": ")" + listener_arn_ + R"("})");
  EXPECT_TRUE(data_plane_.open.empty());
  health = Ok("DescribeTargetHealth", "{" + tg + "}")["TargetHealthDescriptions"].as_array();
  EXPECT_EQ(GetString(GetObject(health[0].as_object(), "TargetHealth"), "Reason"),
            "Target.NotInUse");
  Ok("DeleteTargetGroup", "{" + tg + "}");
  EXPECT_EQ(ErrorCode("DescribeTargetGroups", R"({"TargetGroupArns": [")" + tg_arn_ + R"("]})"),
            "TargetGroupNotFound");
}

// As ECS registers a bridge-mode task: the node's instance id and the task's host port.
TEST_F(Elbv2Test, InstanceTargetsAreTheNodesByInstanceId) {
  CreateSeed();
  std::string tg_arn = GetString(
      Ok("CreateTargetGroup", R"({"Name": "by-instance", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1",
          "TargetType": "instance"})")["TargetGroups"].as_array()[0].as_object(), "TargetGroupArn");
  std::string tg = R"("TargetGroupArn": ")" + tg_arn + R"(")";
  EXPECT_EQ(ErrorCode("RegisterTargets", "{" + tg + R"(, "Targets": [{"Id": "i-0elsewhere", "Port": 49200}]})"),
            "InvalidTarget");
  Ok("RegisterTargets", "{" + tg + R"(, "Targets": [{"Id": "i-0local", "Port": 49200}]})");
  json::array health = Ok("DescribeTargetHealth", "{" + tg + "}")["TargetHealthDescriptions"].as_array();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(GetString(GetObject(health[0].as_object(), "Target"), "Id"), "i-0local");
  const lb::Target& target = data_plane_.config->target_groups.at(tg_arn).targets.at(0);
  EXPECT_EQ(target.id, "i-0local");
  EXPECT_EQ(target.ip, "127.0.0.1");  // where the data plane connects
  EXPECT_EQ(target.port, 49200);
  // An ip target group takes no instance ids.
  EXPECT_EQ(ErrorCode("RegisterTargets", R"({"TargetGroupArn": ")" + tg_arn_ + R"(", "Targets": [{"Id": "i-0local"}]})"),
            "InvalidTarget");
}

TEST_F(Elbv2Test, AttributesAndTags) {
  CreateSeed();
  std::string lb = R"("LoadBalancerArn": ")" + lb_arn_ + R"(")";
  json::array attrs = Ok("DescribeLoadBalancerAttributes", "{" + lb + "}")["Attributes"].as_array();
  auto value = [](const json::array& a, std::string_view key) {
    for (const auto& x : a) {
      if (GetString(x.as_object(), "Key") == key) return GetString(x.as_object(), "Value");
    }
    return std::string("<absent>");
  };
  EXPECT_EQ(value(attrs, "idle_timeout.timeout_seconds"), "60");
  EXPECT_EQ(value(attrs, "routing.http.desync_mitigation_mode"), "defensive");
  EXPECT_EQ(ErrorCode("ModifyLoadBalancerAttributes",
                      "{" + lb + R"(, "Attributes": [{"Key": "nope", "Value": "1"}]})"),
            "ValidationError");
  EXPECT_EQ(
      ErrorCode(
          "ModifyLoadBalancerAttributes",
          "{" + lb + R"(, "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "0"}]})"),
      "InvalidConfigurationRequest");
  Ok("ModifyLoadBalancerAttributes",
     "{" + lb + R"(, "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "120"},
      {"Key": "deletion_protection.enabled", "Value": "true"}]})");
  EXPECT_EQ(data_plane_.config->listeners[0].idle_timeout_seconds, 120);
  EXPECT_EQ(ErrorCode("DeleteLoadBalancer", "{" + lb + "}"), "OperationNotPermitted");

  attrs = Ok("DescribeTargetGroupAttributes",
             R"({"TargetGroupArn": ")" + tg_arn_ + R"("})")["Attributes"]
              .as_array();
  EXPECT_EQ(value(attrs, "deregistration_delay.timeout_seconds"), "300");
  EXPECT_EQ(value(attrs, "stickiness.lb_cookie.duration_seconds"), "86400");

  Ok("AddTags", R"({"ResourceArns": [")" + lb_arn_ + R"(", ")" + tg_arn_ +
                    R"("], "Tags": [{"Key": "Name", "Value": "alba"}]})");
  Ok("RemoveTags", R"({"ResourceArns": [")" + tg_arn_ + R"("], "TagKeys": ["Name"]})");
  json::array tags = Ok("DescribeTags", R"({"ResourceArns": [")" + lb_arn_ + R"(", ")" + tg_arn_ +
                                            R"("]})")["TagDescriptions"]
                         .as_array();
  EXPECT_EQ(GetArray(tags[0].as_object(), "Tags").size(), 1u);
  EXPECT_EQ(GetArray(tags[1].as_object(), "Tags").size(), 0u);
  EXPECT_EQ(ErrorCode("AddTags", R"({"ResourceArns": [")" + lb_arn_ +
                                     R"("], "Tags": [{"Key": "a", "Value": "1"},
      {"Key": "a", "Value": "2"}]})"),
            "DuplicateTagKeys");

  Ok("ModifyLoadBalancerAttributes",
     "{" + lb + R"(, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]})");
  Ok("DeleteLoadBalancer", "{" + lb + "}");
  EXPECT_TRUE(data_plane_.open.empty());
  EXPECT_TRUE(data_plane_.config->listeners.empty());
  EXPECT_EQ(ErrorCode("DescribeLoadBalancers", R"({"LoadBalancerArns": [")" + lb_arn_ + R"("]})"),
            "LoadBalancerNotFound");
  EXPECT_EQ(ErrorCode("DeleteLoadBalancer", "{" + lb + "}"), "ok");
}

TEST_F(Elbv2Test, ATargetGroupServesOneLoadBalancer) {
  CreateSeed();
  std::string other = GetString(
      Ok("CreateLoadBalancer", R"({"Name": "other"})")["LoadBalancers"].as_array()[0].as_object(),
      "LoadBalancerArn");
  json::object in{{"LoadBalancerArn", other},
                  {"Port", 18081},
                  {"DefaultActions",
                   json::array{json::object{{"Type", "forward"}, {"TargetGroupArn", tg_arn_}}}}};
  EXPECT_EQ(ErrorCode("CreateListener", json::serialize(in)), "TargetGroupAssociationLimit");
  in["Port"] = 18080;
  in["DefaultActions"] = json::array{
      json::object{{"Type", "redirect"},
                   {"RedirectConfig", json::object{{"Port", "8443"}, {"StatusCode", "HTTP_301"}}}}};
  EXPECT_EQ(ErrorCode("CreateListener", json::serialize(in)),
            "InvalidConfigurationRequest");  // port taken
  in["Port"] = 18082;
  json::object l = Ok("CreateListener", json::serialize(in))["Listeners"].as_array()[0].as_object();
  EXPECT_EQ(
      GetString(GetObject(GetArray(l, "DefaultActions")[0].as_object(), "RedirectConfig"), "Path"),
      "/#{path}");
  json::object modify{{"ListenerArn", GetString(l, "ListenerArn")}, {"Port", 18083}};
  EXPECT_EQ(
      GetInt(Ok("ModifyListener", json::serialize(modify))["Listeners"].as_array()[0].as_object(),
             "Port"),
      18083);
  EXPECT_EQ(data_plane_.open.at(GetString(l, "ListenerArn")), 18083);
}

// AWS refuses an internet-facing load balancer in a VPC without an internet gateway; an
// internal one is fine there, and its listeners open.
TEST_F(Elbv2Test, AnInternetFacingLoadBalancerNeedsItsVpcsInternetGateway) {
  ec2::NetworkOptions where;
  Put(ec2::SubnetKey("subnet-other-a"),
      ec2::MakeSubnet(where, "subnet-other-a", "vpc-other", "10.9.1.0/24", "us-east-1a", false));
  std::string in = R"({"Name": "out", "Subnets": ["subnet-other", "subnet-other-a"]})";
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", in), "InvalidSubnet");
  EXPECT_TRUE(Claims("subnet-other").empty());
  json::object lb = Ok("CreateLoadBalancer", R"({"Name": "in", "Scheme": "internal",
      "Subnets": ["subnet-other", "subnet-other-a"], "SecurityGroups": ["sg-other"]})")["LoadBalancers"]
                        .as_array()[0]
                        .as_object();
  json::object listener{{"LoadBalancerArn", GetString(lb, "LoadBalancerArn")},
                        {"Port", 18090},
                        {"DefaultActions", json::array{json::object{
                                               {"Type", "fixed-response"},
                                               {"FixedResponseConfig", json::object{{"StatusCode", "200"}}}}}}};
  std::string arn =
      GetString(Ok("CreateListener", json::serialize(listener))["Listeners"].as_array()[0].as_object(), "ListenerArn");
  EXPECT_TRUE(data_plane_.open.contains(arn));
  Put(model::keys::InternetGatewayKey("igw-1"),
      json::object{{"InternetGatewayId", "igw-1"},
                   {"Attachments", json::array{json::object{{"VpcId", "vpc-other"}, {"State", "available"}}}}});
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", in), "ok");
}

TEST_F(Elbv2Test, LoadBalancersAreInTheirSubnetsVpcWithAnAddressInEach) {
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "a", "Subnets": ["subnet-1", "subnet-nope"]})"),
            "SubnetNotFound");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "a", "Subnets": ["subnet-1", "subnet-3"]})"),
            "InvalidConfigurationRequest");  // one zone
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "a", "Subnets": ["subnet-1"]})"),
            "InvalidConfigurationRequest");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "a", "Subnets": ["subnet-1", "subnet-other"]})"),
            "InvalidConfigurationRequest");  // two VPCs
  EXPECT_EQ(ErrorCode("CreateLoadBalancer",
                      R"({"Name": "a", "Subnets": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-other"]})"),
            "InvalidConfigurationRequest");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer",
                      R"({"Name": "a", "Subnets": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-gone"]})"),
            "InvalidSecurityGroup");
  EXPECT_EQ(ErrorCode("CreateLoadBalancer",
                      R"({"Name": "a", "Subnets": ["subnet-1", "subnet-2"], "IpAddressType": "dualstack"})"),
            "InvalidConfigurationRequest");
  EXPECT_TRUE(Claims("subnet-1").empty());  // nothing refused holds an address

  json::object lb = Ok("CreateLoadBalancer", R"({"Name": "a", "SubnetMappings": [{"SubnetId": "subnet-2"},
      {"SubnetId": "subnet-1"}]})")["LoadBalancers"].as_array()[0].as_object();
  EXPECT_EQ(GetString(lb, "VpcId"), vpc_id_);
  EXPECT_EQ(json::serialize(lb["AvailabilityZones"]),
            R"([{"ZoneName":"us-east-1a","SubnetId":"subnet-1","LoadBalancerAddresses":[]},)"
            R"({"ZoneName":"us-east-1b","SubnetId":"subnet-2","LoadBalancerAddresses":[]}])");
  EXPECT_EQ(Claims("subnet-1"), std::vector<std::string>{"10.213.64.4"});
  EXPECT_EQ(Claims("subnet-2"), std::vector<std::string>{"10.213.65.4"});
  std::string arn = GetString(lb, "LoadBalancerArn");

  // SetSubnets: subnet-1 stays (same address), subnet-2 is released, the default subnet of
  // zone c gets one; another VPC's subnets are refused.
  auto default_c = store_.List(model::keys::kSubnets, "", 0);
  std::string subnet_c;
  for (const auto& kv : default_c->items) {
    json::object s = json::parse(kv.value).as_object();
    if (GetString(s, "VpcId") == vpc_id_ && GetString(s, "AvailabilityZone") == "us-east-1c") subnet_c = GetString(s, "SubnetId");
  }
  ASSERT_FALSE(subnet_c.empty());
  json::object in{{"LoadBalancerArn", arn}, {"Subnets", json::array{"subnet-1", json::string(subnet_c)}}};
  json::object set = Ok("SetSubnets", json::serialize(in));
  EXPECT_EQ(set["AvailabilityZones"].as_array().size(), 2u);
  EXPECT_EQ(Claims("subnet-1"), std::vector<std::string>{"10.213.64.4"});
  EXPECT_TRUE(Claims("subnet-2").empty());
  EXPECT_EQ(Claims(subnet_c).size(), 1u);
  in["Subnets"] = json::array{"subnet-1", "subnet-other"};
  EXPECT_EQ(ErrorCode("SetSubnets", json::serialize(in)), "InvalidConfigurationRequest");

  json::object type{{"LoadBalancerArn", arn}, {"IpAddressType", "dualstack"}};
  EXPECT_EQ(ErrorCode("SetIpAddressType", json::serialize(type)), "InvalidConfigurationRequest");
  type["IpAddressType"] = "ipv4";
  EXPECT_EQ(GetString(Ok("SetIpAddressType", json::serialize(type)), "IpAddressType"), "ipv4");
  json::object groups{{"LoadBalancerArn", arn}, {"SecurityGroups", json::array{"sg-other"}}};
  EXPECT_EQ(ErrorCode("SetSecurityGroups", json::serialize(groups)), "InvalidConfigurationRequest");

  json::object del{{"LoadBalancerArn", arn}};
  Ok("DeleteLoadBalancer", json::serialize(del));
  EXPECT_TRUE(Claims("subnet-1").empty());
  EXPECT_TRUE(Claims(subnet_c).empty());
}

class Elbv2PublicTest : public Elbv2Test {
 protected:
  void SetUp() override {
    public_ip_pool_ = "198.51.100.0/29";  // .1 to .6
    Elbv2Test::SetUp();
  }
  std::vector<std::string> PublicClaims() {
    auto page = store_.List(model::keys::kPublicIps, "", 0);
    std::vector<std::string> out;
    for (const auto& kv : page->items) out.push_back(kv.key.substr(model::keys::kPublicIps.size()));
    return out;
  }
  std::vector<std::string> PublicIps(const std::string& name) {
    auto kv = store_.Get(model::keys::LoadBalancerKey(name));
    std::vector<std::string> out;
    if (!kv.ok() || !*kv) return out;
    json::object record = json::parse((*kv)->value).as_object();
    for (const auto& i : model::LoadBalancerRecord(record).interfaces()) out.push_back(i.public_ip);
    return out;
  }
};

TEST_F(Elbv2PublicTest, InternetFacingLoadBalancersHoldAPublicAddressPerSubnet) {
  CreateSeed();  // internet-facing, subnets 1 and 2
  EXPECT_EQ(PublicIps("alba-digi-load-balancer"), (std::vector<std::string>{"198.51.100.1", "198.51.100.2"}));
  EXPECT_EQ(PublicClaims(), (std::vector<std::string>{"198.51.100.1", "198.51.100.2"}));
  // The data plane's listeners carry them (lb/public_addresses.h DNATs them).
  ASSERT_TRUE(data_plane_.config);
  ASSERT_EQ(data_plane_.config->listeners.size(), 1u);
  EXPECT_EQ(data_plane_.config->listeners[0].public_addresses,
            (std::vector<std::string>{"198.51.100.1", "198.51.100.2"}));

  // Internal: private addresses only.
  Ok("CreateLoadBalancer", R"({"Name": "inside", "Subnets": ["subnet-1", "subnet-2"], "Scheme": "internal"})");
  EXPECT_EQ(PublicIps("inside"), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(PublicClaims().size(), 2u);

  // SetSubnets: subnet-1 (zone a) is replaced by subnet-3 (zone a): its public address is released, subnet-3 gets one.
  json::object in{{"LoadBalancerArn", lb_arn_}, {"Subnets", json::array{"subnet-3", "subnet-2"}}};
  Ok("SetSubnets", json::serialize(in));
  EXPECT_EQ(PublicIps("alba-digi-load-balancer"), (std::vector<std::string>{"198.51.100.3", "198.51.100.2"}));
  EXPECT_EQ(PublicClaims(), (std::vector<std::string>{"198.51.100.2", "198.51.100.3"}));

  // The pool used up: refused, nothing claimed.
  Ok("CreateLoadBalancer", R"({"Name": "b", "Subnets": ["subnet-1", "subnet-2"]})");  // .1 and .4
  Ok("CreateLoadBalancer", R"({"Name": "c", "Subnets": ["subnet-1", "subnet-2"]})");  // .5 and .6
  EXPECT_EQ(ErrorCode("CreateLoadBalancer", R"({"Name": "d", "Subnets": ["subnet-1", "subnet-2"]})"),
            "InvalidConfigurationRequest");
  EXPECT_EQ(PublicClaims().size(), 6u);

  json::object del{{"LoadBalancerArn", lb_arn_}};
  Ok("DeleteLoadBalancer", json::serialize(del));
  EXPECT_EQ(PublicClaims(), (std::vector<std::string>{"198.51.100.1", "198.51.100.4", "198.51.100.5", "198.51.100.6"}));
}

}  // namespace
}  // namespace wharf::api::elbv2
