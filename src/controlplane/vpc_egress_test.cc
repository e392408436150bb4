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
  endpoints[1] = Endpoint("vpce-dkr", "ecr.dkr", "Interface", false);
  EXPECT_FALSE(ReachesEcrThroughEndpoints(endpoints, tables, "subnet-priv", "vpc-1"))
      << "without private DNS the registry's name is its public address";
}

}  // namespace
}  // namespace wharf::controlplane
