#include "controlplane/vpc_rules.h"

#include <gtest/gtest.h>

namespace wharf::controlplane::vpc {
namespace {

TEST(VpcRulesTest, ParsesAndFormatsCidrBlocks) {
  auto c = ParseIpv4Cidr("10.0.1.0/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix, 24);
  EXPECT_EQ(FormatIpv4Cidr(*c), "10.0.1.0/24");
  EXPECT_EQ(c->Size(), 256u);
  EXPECT_EQ(FormatIpv4(c->Last()), "10.0.1.255");
  EXPECT_EQ(FormatIpv4(ParseIpv4Cidr("10.0.1.7/24")->Network()), "10.0.1.0");
  for (const char* bad : {"10.0.0/16", "10.0.0.0", "10.0.0.256/16", "10.0.0.0/33", "10.0.0.0/", "a.b.c.d/8",
                          "10.0.0.0/16x", "0010.0.0.0/16"}) {
    EXPECT_FALSE(ParseIpv4Cidr(bad)) << bad;
  }
}

TEST(VpcRulesTest, ContainmentAndOverlap) {
  auto vpc = *ParseIpv4Cidr("10.0.0.0/16");
  EXPECT_TRUE(vpc.Contains(*ParseIpv4Cidr("10.0.255.0/24")));
  EXPECT_FALSE(vpc.Contains(*ParseIpv4Cidr("10.1.0.0/24")));
  EXPECT_FALSE(vpc.Contains(*ParseIpv4Cidr("10.0.0.0/15")));  // larger than the VPC
  EXPECT_TRUE(ParseIpv4Cidr("10.0.0.0/23")->Overlaps(*ParseIpv4Cidr("10.0.1.0/24")));
  EXPECT_TRUE(ParseIpv4Cidr("10.0.1.0/24")->Overlaps(*ParseIpv4Cidr("10.0.0.0/23")));
  EXPECT_FALSE(ParseIpv4Cidr("10.0.0.0/24")->Overlaps(*ParseIpv4Cidr("10.0.1.0/24")));
}

TEST(VpcRulesTest, VpcBlocksAreSlash16ToSlash28) {
  EXPECT_EQ(CheckVpcCidr("10.0.0.0/16"), CidrVerdict::kOk);
  EXPECT_EQ(CheckVpcCidr("10.0.0.0/28"), CidrVerdict::kOk);
  EXPECT_EQ(CheckVpcCidr("10.0.0.0/15"), CidrVerdict::kOutOfRange);
  EXPECT_EQ(CheckVpcCidr("10.0.0.0/29"), CidrVerdict::kOutOfRange);
  EXPECT_EQ(CheckVpcCidr("10.0.0/16"), CidrVerdict::kMalformed);
}

TEST(VpcRulesTest, SubnetsLieInTheirVpcWithoutOverlap) {
  std::set<std::string> siblings{"10.0.1.0/24", "10.0.2.0/24"};
  EXPECT_EQ(CheckSubnetCidr("10.0.3.0/24", "10.0.0.0/16", siblings), CidrVerdict::kOk);
  EXPECT_EQ(CheckSubnetCidr("10.0.1.0/24", "10.0.0.0/16", siblings), CidrVerdict::kConflict);
  EXPECT_EQ(CheckSubnetCidr("10.0.0.0/22", "10.0.0.0/16", siblings), CidrVerdict::kConflict);
  EXPECT_EQ(CheckSubnetCidr("10.0.2.128/25", "10.0.0.0/16", siblings), CidrVerdict::kConflict);
  EXPECT_EQ(CheckSubnetCidr("10.1.0.0/24", "10.0.0.0/16", siblings), CidrVerdict::kOutOfRange);
  EXPECT_EQ(CheckSubnetCidr("10.0.0.0/29", "10.0.0.0/16", {}), CidrVerdict::kOutOfRange);
  EXPECT_EQ(CheckSubnetCidr("10.0.0.0/16", "10.0.0.0/16", {}), CidrVerdict::kOk);
  EXPECT_EQ(CheckSubnetCidr("10.0.0.0/33", "10.0.0.0/16", {}), CidrVerdict::kMalformed);
}

TEST(VpcRulesTest, FiveAddressesAreReserved) {
  EXPECT_EQ(AvailableAddresses(*ParseIpv4Cidr("10.0.1.0/24"), 0), 251);
  EXPECT_EQ(AvailableAddresses(*ParseIpv4Cidr("10.0.0.0/28"), 0), 11);
  EXPECT_EQ(AvailableAddresses(*ParseIpv4Cidr("10.0.1.0/24"), 2), 249);
  EXPECT_EQ(AvailableAddresses(*ParseIpv4Cidr("10.0.0.0/28"), 20), 0);
}

TEST(VpcRulesTest, FirstFreeAddressSkipsTheReservedAndTaken) {
  auto subnet = *ParseIpv4Cidr("10.0.1.0/28");
  EXPECT_EQ(FirstFreeAddress(subnet, {}), "10.0.1.4");
  EXPECT_EQ(FirstFreeAddress(subnet, {"10.0.1.4", "10.0.1.5"}), "10.0.1.6");
  std::set<std::string> all;
  for (int i = 4; i <= 14; ++i) all.insert("10.0.1." + std::to_string(i));
  EXPECT_EQ(FirstFreeAddress(subnet, all), std::nullopt);  // .15 is the broadcast address
}

TEST(VpcRulesTest, DependenciesKeepAVpcAndASubnet) {
  EXPECT_FALSE(HasDependencies(VpcContents{}));
  EXPECT_TRUE(HasDependencies(VpcContents{.subnets = 1}));
  EXPECT_TRUE(HasDependencies(VpcContents{.internet_gateways = 1}));
  EXPECT_TRUE(HasDependencies(VpcContents{.route_tables = 1}));
  EXPECT_TRUE(HasDependencies(VpcContents{.security_groups = 1}));
  EXPECT_FALSE(HasDependencies(SubnetContents{}));
  EXPECT_TRUE(HasDependencies(SubnetContents{.nat_gateways = 1}));
  EXPECT_TRUE(HasDependencies(SubnetContents{.network_interfaces = 1}));
}

}  // namespace
}  // namespace wharf::controlplane::vpc
