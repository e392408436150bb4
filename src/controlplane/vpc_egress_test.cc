#include "controlplane/vpc_egress.h"

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

json::object Table(const std::string& id, const std::string& subnet, bool main, json::object default_route) {
  json::array routes{json::object{{"DestinationCidrBlock", "10.0.0.0/16"}, {"GatewayId", "local"}}};
  if (!default_route.empty()) {
    default_route["DestinationCidrBlock"] = "0.0.0.0/0";
    routes.push_back(std::move(default_route));
  }
  json::object association{{"Main", main}};
  if (!subnet.empty()) association["SubnetId"] = subnet;
  return json::object{{"RouteTableId", id}, {"VpcId", "vpc-1"}, {"Routes", std::move(routes)},
                      {"Associations", json::array{std::move(association)}}};
}

json::object Nat(const std::string& id, const std::string& ip, bool deleted = false) {
  json::object nat{{"NatGatewayId", id},
                   {"NatGatewayAddresses", json::array{json::object{{"PublicIp", ip}, {"PrivateIp", "10.0.1.4"}}}}};
  if (deleted) nat["DeleteTime"] = 1.0;
  return nat;
}

TEST(VpcEgressTest, PublicSubnetLeavesWithTheTasksPublicAddressOnly) {
  std::vector<json::object> tables{Table("rtb-main", "", true, {}),
                                   Table("rtb-pub", "subnet-pub", false, {{"GatewayId", "igw-1"}})};
  EniEgress with = ResolveEniEgress(tables, {}, "subnet-pub", "vpc-1", "198.51.100.7");
  EXPECT_TRUE(with.routes_outside);
  EXPECT_EQ(with.outside_address, "198.51.100.7");
  EniEgress without = ResolveEniEgress(tables, {}, "subnet-pub", "vpc-1", "");
  EXPECT_TRUE(without.routes_outside);
  EXPECT_EQ(without.outside_address, "") << "no public address: nothing outside answers it, as on AWS";
}

TEST(VpcEgressTest, PrivateSubnetLeavesThroughItsNatGatewaysElasticIp) {
  std::vector<json::object> tables{Table("rtb-main", "", true, {}),
                                   Table("rtb-priv", "subnet-priv", false, {{"NatGatewayId", "nat-1"}})};
  EniEgress way = ResolveEniEgress(tables, {Nat("nat-1", "198.51.100.3")}, "subnet-priv", "vpc-1", "");
  EXPECT_TRUE(way.routes_outside);
  EXPECT_EQ(way.outside_address, "198.51.100.3");
  EXPECT_EQ(PullReach(way, false), "any");
  EniEgress gone = ResolveEniEgress(tables, {Nat("nat-1", "198.51.100.3", true)}, "subnet-priv", "vpc-1", "");
  EXPECT_EQ(gone.outside_address, "") << "a deleted NAT gateway takes nobody out";
  EXPECT_EQ(PullReach(gone, false), "");
}

TEST(VpcEgressTest, ASubnetOnTheMainTableWithoutADefaultRouteReachesNothing) {
  std::vector<json::object> tables{Table("rtb-main", "", true, {}),
                                   Table("rtb-pub", "subnet-pub", false, {{"GatewayId", "igw-1"}})};
  EniEgress way = ResolveEniEgress(tables, {}, "subnet-other", "vpc-1", "198.51.100.7");
  EXPECT_FALSE(way.routes_outside);
  EXPECT_EQ(way.outside_address, "");
  EXPECT_FALSE(ResolveEniEgress({}, {}, "subnet-x", "vpc-1", "").routes_outside);
}

json::object Endpoint(const std::string& id, const std::string& service, const std::string& type, bool private_dns = true) {
  return json::object{{"VpcEndpointId", id}, {"VpcId", "vpc-1"}, {"ServiceName", "com.amazonaws.us-east-1." + service},
                      {"VpcEndpointType", type}, {"State", "available"}, {"PrivateDnsEnabled", private_dns}};
}

TEST(VpcEgressTest, EcrIsReachedThroughItsInterfaceEndpointsAndTheS3GatewayRoute) {
  std::vector<json::object> tables{Table("rtb-main", "", true, {}), Table("rtb-priv", "subnet-priv", false, {})};
  std::vector<json::object> endpoints{Endpoint("vpce-api", "ecr.api", "Interface"),
                                      Endpoint("vpce-dkr", "ecr.dkr", "Interface"),
                                      Endpoint("vpce-s3", "s3", "Gateway")};
  EXPECT_FALSE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-priv", "vpc-1"))
      << "the s3 gateway endpoint is not routed from the subnet's table";
  tables[1]["Routes"].as_array().push_back(
      json::object{{"DestinationPrefixListId", "pl-63a5400a"}, {"GatewayId", "vpce-s3"}});
  EXPECT_TRUE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-priv", "vpc-1"));
  EXPECT_FALSE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-other", "vpc-1"))
      << "the main table has no route to the s3 endpoint";
  EXPECT_EQ(PullReach(ResolveEniEgress(tables, {}, "subnet-priv", "vpc-1", ""), true), "ecr");
  EXPECT_EQ(PullReach(ResolveEniEgress(tables, {}, "subnet-priv", "vpc-1", ""), false), "");
  EXPECT_FALSE(ReachesEcrThroughEndpoints({endpoints[0], endpoints[2]}, tables, "subnet-priv", "vpc-1"))
      << "no ecr.dkr endpoint";
  EXPECT_EQ(EndpointServices(endpoints, tables, "subnet-priv", "vpc-1"),
            (std::vector<std::string>{"ecr.api", "ecr.dkr", "s3"}));
  // A VPC without DNS hostnames (or support) answers no endpoint's private name.
  EXPECT_EQ(EndpointServices(endpoints, tables, "subnet-priv", "vpc-1", false), (std::vector<std::string>{"s3"}));
  EXPECT_FALSE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-priv", "vpc-1", false));
  json::object vpc{{"VpcId", "vpc-1"}, {"_wharf", json::object{{"attributes", json::object{
      {"enableDnsSupport", true}, {"enableDnsHostnames", false}}}}}};
  EXPECT_FALSE(PrivateDnsWorks(&vpc));
  vpc["_wharf"].as_object()["attributes"].as_object()["enableDnsHostnames"] = true;
  EXPECT_TRUE(PrivateDnsWorks(&vpc));
  EXPECT_TRUE(PrivateDnsWorks(nullptr)) << "older data without a record";
  endpoints[1] = Endpoint("vpce-dkr", "ecr.dkr", "Interface", false);
  EXPECT_FALSE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-priv", "vpc-1"))
      << "without private DNS the registry's name is its public address";
}

json::object Interface(const std::string& id, const std::string& service, json::object addresses,
                       std::vector<std::string> groups) {
  json::object e = Endpoint(id, service, "Interface");
  json::array subnets, group_list;
  for (const auto& [subnet, _] : addresses) subnets.push_back(json::string(subnet));
  for (const auto& g : groups) group_list.push_back(json::object{{"GroupId", g}});
  e["SubnetIds"] = std::move(subnets);
  e["Groups"] = std::move(group_list);
  e["_wharf"] = json::object{{"addresses", std::move(addresses)}};
  return e;
}

json::object Group(const std::string& id, json::array ingress) {
  return json::object{{"GroupId", id}, {"VpcId", "vpc-1"}, {"IpPermissions", std::move(ingress)}};
}

json::object Permission(const std::string& protocol, int from, int to, const std::string& cidr,
                        const std::string& group = "") {
  json::object p{{"IpProtocol", protocol}, {"FromPort", from}, {"ToPort", to}};
  if (!cidr.empty()) p["IpRanges"] = json::array{json::object{{"CidrIp", cidr}}};
  if (!group.empty()) p["UserIdGroupPairs"] = json::array{json::object{{"GroupId", group}}};
  return p;
}

// Which addresses the node redirects to the server: each service's endpoint interface in the
// task's subnet (else another of its subnets), admitted only by a rule for 443.
TEST(VpcEgressTest, InterfaceEndpointsAnswerInTheTasksSubnetAndAdmitItByTheirGroups) {
  std::vector<json::object> endpoints{
      Interface("vpce-dkr", "ecr.dkr", json::object{{"subnet-a", "10.0.1.9"}, {"subnet-b", "10.0.2.9"}}, {"sg-vpce"}),
      Interface("vpce-api", "ecr.api", json::object{{"subnet-a", "10.0.1.10"}}, {"sg-vpce"}),
      Interface("vpce-ssm", "ssm", json::object{{"subnet-a", "10.0.1.11"}}, {"sg-default"}),
      Endpoint("vpce-s3", "s3", "Gateway")};
  std::vector<json::object> groups{
      Group("sg-vpce", json::array{Permission("tcp", 443, 443, "", "sg-task")}),
      Group("sg-default", json::array{Permission("-1", -1, -1, "", "sg-default")})};
  auto got = EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {"sg-task"});
  ASSERT_EQ(got.size(), 3u) << "the gateway endpoint has no interface";
  EXPECT_EQ(got[0].service, "ecr.api");
  EXPECT_EQ(got[0].address, "10.0.1.10") << "no interface in the task's subnet: another of the endpoint's";
  EXPECT_TRUE(got[0].admitted);
  EXPECT_EQ(got[1].service, "ecr.dkr");
  EXPECT_EQ(got[1].address, "10.0.2.9") << "the interface in the task's own subnet";
  // Its name answers both interfaces: the node redirects both.
  EXPECT_EQ(got[1].addresses, (std::vector<std::string>{"10.0.1.9", "10.0.2.9"}));
  EXPECT_TRUE(got[1].admitted);
  EXPECT_EQ(got[2].service, "ssm");
  EXPECT_FALSE(got[2].admitted) << "the default group admits only its own members";

  // A rule for another port, or a CIDR that does not hold the task, admits nothing.
  groups[0] = Group("sg-vpce", json::array{Permission("tcp", 80, 80, "10.0.0.0/16"),
                                           Permission("tcp", 443, 443, "10.0.1.0/24")});
  got = EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {"sg-task"});
  EXPECT_FALSE(got[0].admitted);
  EXPECT_FALSE(got[1].admitted);
  got = EndpointInterfaces(endpoints, groups, "subnet-a", "vpc-1", "10.0.1.5", {"sg-task"});
  EXPECT_TRUE(got[1].admitted) << "10.0.1.0/24 holds the task";
  EXPECT_EQ(got[1].address, "10.0.1.9");
  // All traffic, a port range holding 443.
  groups[0] = Group("sg-vpce", json::array{Permission("tcp", 400, 500, "10.0.2.5/32")});
  EXPECT_TRUE(EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {})[1].admitted);
  groups[0] = Group("sg-vpce", json::array{Permission("-1", -1, -1, "0.0.0.0/0")});
  EXPECT_TRUE(EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {})[1].admitted);

  EXPECT_TRUE(got[0].private_dns && got[1].private_dns && got[2].private_dns);
  EXPECT_EQ(got[1].vpc_endpoint_id, "vpce-dkr");

  // Without private DNS the service's name answers the public service, but the endpoint's own
  // vpce names still answer it: the node still reaches it. Another VPC's is not this one's.
  endpoints[0]["PrivateDnsEnabled"] = false;
  endpoints[1]["VpcId"] = "vpc-2";
  got = EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].service, "ecr.dkr");
  EXPECT_FALSE(got[0].private_dns);
  EXPECT_EQ(got[1].service, "ssm");
  EXPECT_TRUE(got[1].private_dns);
  // Two endpoints of one service: both reached, the private name answers the lowest id; none
  // in a VPC whose DNS attributes are off.
  endpoints[0]["PrivateDnsEnabled"] = true;
  endpoints.push_back(Interface("vpce-dkr0", "ecr.dkr", json::object{{"subnet-b", "10.0.2.20"}}, {"sg-vpce"}));
  got = EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].vpc_endpoint_id, "vpce-dkr");
  EXPECT_TRUE(got[0].private_dns);
  EXPECT_EQ(got[1].vpc_endpoint_id, "vpce-dkr0");
  EXPECT_FALSE(got[1].private_dns);
  got = EndpointInterfaces(endpoints, groups, "subnet-b", "vpc-1", "10.0.2.5", {}, false);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_FALSE(got[0].private_dns || got[1].private_dns || got[2].private_dns);
}

}  // namespace
}  // namespace wharf::controlplane
