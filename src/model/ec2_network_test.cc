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

}  // namespace
}  // namespace wharf::model
