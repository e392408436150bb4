#include "model/ec2_network.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>

namespace wharf::model {
namespace {

namespace json = boost::json;

TEST(Ec2NetworkRecords, VpcAttributesDefaultAsAwsUntilSet) {
  json::object vpc{{"VpcId", "vpc-1"}, {"IsDefault", false}};
  EXPECT_TRUE(VpcRecord(vpc).attribute("enableDnsSupport"));
  EXPECT_FALSE(VpcRecord(vpc).attribute("enableDnsHostnames"));
  json::object default_vpc{{"IsDefault", true}};
  EXPECT_TRUE(VpcRecord(default_vpc).attribute("enableDnsHostnames"));
  SetVpcAttribute(vpc, "enableDnsHostnames", true);
  EXPECT_TRUE(VpcRecord(vpc).attribute("enableDnsHostnames"));
  EXPECT_TRUE(VpcRecord(vpc).attribute("enableDnsSupport"));  // the others kept
  EXPECT_FALSE(VpcRecord(vpc).attribute("enableNetworkAddressUsageMetrics"));
}

TEST(Ec2NetworkRecords, RouteTableAssociations) {
  json::object main{{"Associations", json::array{json::object{{"Main", true}}}}};
  json::object subnet{{"Associations", json::array{json::object{{"Main", false}, {"SubnetId", "subnet-1"}}}}};
  json::object none{{"Associations", json::array()}};
  EXPECT_TRUE(RouteTableRecord(main).is_main());
  EXPECT_FALSE(RouteTableRecord(subnet).is_main());
  EXPECT_TRUE(RouteTableRecord(subnet).associated_with_subnet("subnet-1"));
  EXPECT_FALSE(RouteTableRecord(subnet).associated_with_subnet("subnet-2"));
  EXPECT_FALSE(RouteTableRecord(none).has_associations());
}

TEST(Ec2NetworkRecords, ASubnetUsesItsOwnTableElseTheMainOneAndIsPublicByAnInternetGatewayRoute) {
  json::array local{json::object{{"DestinationCidrBlock", "10.0.0.0/16"}, {"GatewayId", "local"}}};
  json::array internet = local;
  internet.push_back(json::object{{"DestinationCidrBlock", "0.0.0.0/0"}, {"GatewayId", "igw-1"}, {"State", "active"}});
  json::array nat = local;
  nat.push_back(json::object{{"DestinationCidrBlock", "0.0.0.0/0"}, {"NatGatewayId", "nat-1"}});
  std::vector<json::object> tables{
      {{"RouteTableId", "rtb-main"}, {"VpcId", "vpc-1"}, {"Routes", nat},
       {"Associations", json::array{json::object{{"Main", true}}}}},
      {{"RouteTableId", "rtb-public"}, {"VpcId", "vpc-1"}, {"Routes", internet},
       {"Associations", json::array{json::object{{"Main", false}, {"SubnetId", "subnet-public"}}}}},
  };
  const json::object* public_table = RouteTableOfSubnet(tables, "subnet-public", "vpc-1");
  const json::object* private_table = RouteTableOfSubnet(tables, "subnet-private", "vpc-1");
  ASSERT_TRUE(public_table && private_table);
  EXPECT_EQ(RouteTableRecord(*public_table).id(), "rtb-public");
  EXPECT_EQ(RouteTableRecord(*private_table).id(), "rtb-main");
  EXPECT_TRUE(RouteTableRecord(*public_table).routes_to_internet_gateway());
  EXPECT_FALSE(RouteTableRecord(*private_table).routes_to_internet_gateway());
  EXPECT_EQ(RouteTableOfSubnet(tables, "subnet-x", "vpc-2"), nullptr);
}

TEST(Ec2NetworkRecords, InternetGatewayAttachment) {
  json::object attached{{"Attachments", json::array{json::object{{"State", "available"}, {"VpcId", "vpc-1"}}}}};
  EXPECT_EQ(InternetGatewayRecord(attached).attached_vpc(), "vpc-1");
  EXPECT_EQ(InternetGatewayRecord(json::object{{"Attachments", json::array()}}).attached_vpc(), "");
}

TEST(Ec2NetworkRecords, NatGatewayPendingThenAvailableThenDeletingThenDeleted) {
  json::object g{{"CreateTime", 100.0}};
  EXPECT_EQ(NatGatewayRecord(g).state(101.0, 2.0), "pending");
  EXPECT_EQ(NatGatewayRecord(g).state(102.5, 2.0), "available");
  EXPECT_FALSE(NatGatewayRecord(g).deleted());
  EXPECT_TRUE(NatGatewayRecord(g).is_public());
  g["DeleteTime"] = 200.0;
  EXPECT_TRUE(NatGatewayRecord(g).deleted());
  EXPECT_EQ(NatGatewayRecord(g).state(201.0, 2.0), "deleting");
  EXPECT_EQ(NatGatewayRecord(g).state(203.0, 2.0), "deleted");
  EXPECT_FALSE(NatGatewayRecord(g).holds_resources());
}

TEST(Ec2NetworkRecords, AFailedNatGatewayIsPendingThenFailedAndHoldsNothing) {
  json::object g{{"CreateTime", 100.0}, {"FailureCode", "Gateway.NotAttached"}};
  EXPECT_EQ(NatGatewayRecord(g).state(101.0, 2.0), "pending");
  EXPECT_EQ(NatGatewayRecord(g).state(103.0, 2.0), "failed");
  EXPECT_TRUE(NatGatewayRecord(g).failed());
  EXPECT_FALSE(NatGatewayRecord(g).holds_resources());
}

// The names a node gives a VPC's pieces: the agent and the load balancer both use them.
TEST(Ec2NetworkRecords, NodeNamesForSubnetsAndVpcs) {
  EXPECT_EQ(SubnetBridgeName("subnet-0a1b2c3d4e5f67890"), "wh-c3d4e5f67890");
  EXPECT_EQ(SubnetBridgeName("subnet-0a1b2c3d4e5f67890").size(), 15u);  // IFNAMSIZ - 1
  EXPECT_EQ(SubnetBridgeName("sub-1"), "wh-sub-1");
  uint32_t a = VpcRouteTable("vpc-0123456789abcdef0");
  EXPECT_EQ(a, VpcRouteTable("vpc-0123456789abcdef0"));  // stable across runs and nodes
  EXPECT_NE(a, VpcRouteTable("vpc-0123456789abcdef1"));
  for (const char* id : {"vpc-1", "vpc-0123456789abcdef0", "vpc-ffffffffffffffff0"}) {
    uint32_t t = VpcRouteTable(id);
    EXPECT_GE(t, 65536u) << id;  // never main (254), local (255), default (253)
    EXPECT_LT(t, 65536u + (1u << 20)) << id;
  }
}

}  // namespace
}  // namespace wharf::model
