#include "model/security_group.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace wharf::model {
namespace {
namespace json = boost::json;

// A group as DescribeSecurityGroups shows it (and the store keeps it).
TEST(SecurityGroupRecordTest, FlattensPermissionsIntoOneRulePerPeer) {
  json::object record = json::parse(R"({"GroupId": "sg-1", "VpcId": "vpc-1",
      "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 81,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
         "UserIdGroupPairs": [{"UserId": "000000000000", "GroupId": "sg-2"}], "PrefixListIds": []},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
      "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]})")
                           .as_object();
  SecurityGroupRules rules = SecurityGroupRecord(record).rules();
  EXPECT_EQ(rules.group_id, "sg-1");
  ASSERT_EQ(rules.ingress.size(), 4u);
  EXPECT_EQ(rules.ingress[0], (SecurityGroupRule{"tcp", 80, 81, "10.0.0.0/16", "", ""}));
  EXPECT_EQ(rules.ingress[1], (SecurityGroupRule{"tcp", 80, 81, "::/0", "", ""}));
  EXPECT_EQ(rules.ingress[2], (SecurityGroupRule{"tcp", 80, 81, "", "sg-2", ""}));
  EXPECT_EQ(rules.ingress[3], (SecurityGroupRule{"icmp", 8, -1, "0.0.0.0/0", "", ""}));
  ASSERT_EQ(rules.egress.size(), 1u);
  EXPECT_EQ(rules.egress[0], (SecurityGroupRule{"-1", -1, -1, "0.0.0.0/0", "", ""}));
}

TEST(NodeSecurityTest, RoundTripsAndRefusesMalformedMessages) {
  NodeSecurity s;
  s.groups = {{"sg-1", {{"tcp", 80, 80, "", "sg-2", ""}}, {{"-1", -1, -1, "0.0.0.0/0", "", ""}}}};
  s.members["sg-2"] = {{"10.0.1.5"}, {LoadBalancerMark("arn:aws:elasticloadbalancing:x")}};
  json::object answer;
  s.AddTo(answer);
  auto back = NodeSecurity::FromAnswer(answer);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);

  auto empty = NodeSecurity::FromAnswer(json::object{});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  json::object two_peers = answer;
  two_peers["securityGroups"].as_array()[0].as_object()["ingress"].as_array()[0].as_object()["cidr"] = "10.0.0.0/8";
  EXPECT_TRUE(NodeSecurity::FromAnswer(two_peers).status().IsInvalidArgument());
  json::object bad_mark = answer;
  bad_mark["groupMembers"].as_array()[0].as_object()["marks"] = json::array{"x"};
  EXPECT_TRUE(NodeSecurity::FromAnswer(bad_mark).status().IsInvalidArgument());
}

TEST(NodeSecurityTest, LoadBalancerMarksAreStableAndTagged) {
  uint32_t m = LoadBalancerMark("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/a/1");
  EXPECT_EQ(m, LoadBalancerMark("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/a/1"));
  EXPECT_NE(m, LoadBalancerMark("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/b/2"));
  EXPECT_EQ(m >> 24, 0x77u);
  EXPECT_EQ(m & 0xf000u, 0u);  // portmap's and kube-proxy's masquerade bits
}

}  // namespace
}  // namespace wharf::model
