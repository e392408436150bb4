#include "model/vpc_dns.h"

#include <gtest/gtest.h>

namespace wharf::model {
namespace {

VpcDnsTable Table() {
  VpcDnsTable t;
  t.vpc_id = "vpc-1";
  t.zones = {"local", "ec2.internal"};
  t.reverse_cidrs = {"10.0.0.0/16"};
  DnsRecordSet many{"A", 10, {}, 8};
  for (int i = 0; i < 10; ++i) many.values.push_back("10.0.9." + std::to_string(i));
  t.Add("Big.Local", many);
  t.Add("alias.local", {"CNAME", 30, {"big.local"}, 0});
  t.Add(PrivateDnsName("10.0.1.5", "us-east-1"), {"A", 60, {"10.0.1.5"}, 0});
  t.Add(ReverseName("10.0.1.5"), {"PTR", 60, {PrivateDnsName("10.0.1.5", "us-east-1")}, 0});
  return t;
}

TEST(VpcDnsTest, PrivateDnsNamesAsEc2GivesThem) {
  EXPECT_EQ(PrivateDnsName("10.0.1.5", "us-east-1"), "ip-10-0-1-5.ec2.internal");
  EXPECT_EQ(PrivateDnsName("10.0.1.5", "eu-west-1"), "ip-10-0-1-5.eu-west-1.compute.internal");
  EXPECT_EQ(ReverseName("10.0.1.5"), "5.1.0.10.in-addr.arpa");
  EXPECT_EQ(ReverseName("fd00::1"), "");
}

TEST(VpcDnsTest, PublicDnsNamesAsEc2GivesThem) {
  EXPECT_EQ(PublicDnsName("198.51.100.7", "us-east-1"), "ec2-198-51-100-7.compute-1.amazonaws.com");
  EXPECT_EQ(PublicDnsName("198.51.100.7", "eu-west-1"), "ec2-198-51-100-7.eu-west-1.compute.amazonaws.com");
  EXPECT_EQ(PublicDnsName("198.51.100.7", "us-east-2"), "ec2-198-51-100-7.us-east-2.compute.amazonaws.com");
}

TEST(VpcDnsTest, AnswersFromItsZonesAndForwardsTheRest) {
  VpcDnsTable t = Table();
  auto big = LookupVpcDns(t, "BIG.local.", "A", 3);
  EXPECT_TRUE(big.ours && big.name_exists);
  ASSERT_EQ(big.answers.size(), 8u);
  EXPECT_EQ(big.answers[0].value, "10.0.9.3");  // rotated by the pick
  EXPECT_EQ(LookupVpcDns(t, "alias.local", "A", 0).answers.at(0).type, "CNAME");
  auto missing = LookupVpcDns(t, "nope.local", "A", 0);
  EXPECT_TRUE(missing.ours && !missing.name_exists);
  auto host = LookupVpcDns(t, "ip-10-0-1-5.ec2.internal", "A", 0);
  ASSERT_EQ(host.answers.size(), 1u);
  EXPECT_EQ(host.answers[0].value, "10.0.1.5");
  auto ptr = LookupVpcDns(t, "5.1.0.10.in-addr.arpa", "PTR", 0);
  ASSERT_EQ(ptr.answers.size(), 1u);
  EXPECT_EQ(ptr.answers[0].value, "ip-10-0-1-5.ec2.internal");
  auto nobody = LookupVpcDns(t, "6.1.0.10.in-addr.arpa", "PTR", 0);  // in the VPC, no interface
  EXPECT_TRUE(nobody.ours && !nobody.name_exists);
  EXPECT_FALSE(LookupVpcDns(t, "5.1.0.192.in-addr.arpa", "PTR", 0).ours);  // outside: forwarded
  EXPECT_FALSE(LookupVpcDns(t, "example.com", "A", 0).ours);
  t.support = false;
  EXPECT_TRUE(LookupVpcDns(t, "big.local", "A", 0).silent);
}

TEST(VpcDnsTest, AWildcardAnswersNamesWithoutRecordsOfTheirOwnBelowItsParent) {
  VpcDnsTable t;
  t.vpc_id = "vpc-1";
  t.zones = {"dkr.ecr.us-east-1.amazonaws.com", "local"};
  t.Add("*.dkr.ecr.us-east-1.amazonaws.com", DnsRecordSet{"A", 60, {"10.0.2.9"}, 0});
  t.Add("000000000000.dkr.ecr.us-east-1.amazonaws.com", DnsRecordSet{"TXT", 60, {"x"}, 0});
  t.Add("api.local", DnsRecordSet{"A", 60, {"10.0.0.4"}, 0});
  t.Add("*.local", DnsRecordSet{"A", 60, {"10.0.0.5"}, 0});
  auto any = LookupVpcDns(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com", "A", 0);
  ASSERT_EQ(any.answers.size(), 1u);
  EXPECT_EQ(any.answers[0].value, "10.0.2.9");
  EXPECT_TRUE(any.name_exists);
  EXPECT_TRUE(LookupVpcDns(t, "000000000000.dkr.ecr.us-east-1.amazonaws.com", "A", 0).answers.empty())
      << "a name with records of its own is not the wildcard's (NODATA for A)";
  EXPECT_EQ(LookupVpcDns(t, "a.b.local", "A", 0).answers.at(0).value, "10.0.0.5") << "more labels down";
  EXPECT_TRUE(LookupVpcDns(t, "x.api.local", "A", 0).answers.empty()) << "api.local exists: the closest encloser";
  EXPECT_TRUE(LookupVpcDns(t, "dkr.ecr.us-east-1.amazonaws.com", "A", 0).answers.empty()) << "the apex";
}

TEST(VpcDnsTest, RoundTripsThroughJsonAndRefusesMalformed) {
  VpcDnsTable t = Table();
  auto back = VpcDnsTable::FromJson(t.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, t);
  boost::json::object bad = t.ToJson();
  bad["names"] = boost::json::object{{"x.local", boost::json::array{boost::json::object{{"type", "A"}}}}};
  EXPECT_FALSE(VpcDnsTable::FromJson(bad).ok());
  EXPECT_FALSE(VpcDnsTable::FromJson(boost::json::object{{"support", true}}).ok());
}

}  // namespace
}  // namespace wharf::model
