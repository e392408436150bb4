#include "server/default_vpc.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(DefaultVpcTest, AwssUnlessTheHostUsesPartOfIt) {
  EXPECT_EQ(ChooseDefaultVpcCidr({}), "172.31.0.0/16");
  EXPECT_EQ(ChooseDefaultVpcCidr({"192.0.2.2/24", "10.0.0.0/8", "172.16.0.0/16", "172.30.255.1/32"}), "172.31.0.0/16");
  // An EC2 instance in AWS's default VPC: its address, its subnet, its router.
  EXPECT_EQ(ChooseDefaultVpcCidr({"172.31.37.10/20"}), "10.213.0.0/16");
  EXPECT_EQ(ChooseDefaultVpcCidr({"172.31.0.1/32"}), "10.213.0.0/16");
  // A Docker network from its default pools, a supernet of it.
  EXPECT_EQ(ChooseDefaultVpcCidr({"172.31.0.0/20"}), "10.213.0.0/16");
  EXPECT_EQ(ChooseDefaultVpcCidr({"172.16.0.0/12"}), "10.213.0.0/16");
  // The default route overlaps everything: it is not a use of the range.
  EXPECT_EQ(ChooseDefaultVpcCidr({"0.0.0.0/0", "not a cidr"}), "172.31.0.0/16");
}

TEST(DefaultVpcTest, ReadsThisHostsNetworks) {
  for (const std::string& n : HostIpv4Networks()) {
    EXPECT_NE(n.find('/'), std::string::npos) << n;
    EXPECT_NE(n.rfind("127.", 0), 0u) << "loopback is left out: " << n;
  }
}

}  // namespace
}  // namespace wharf
