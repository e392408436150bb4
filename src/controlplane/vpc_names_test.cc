#include "controlplane/vpc_names.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "model/keys.h"
#include "model/vpc_endpoint_names.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {
class VpcNamesTest : public ::testing::Test {
 protected:
  void Put(const std::string& key, std::string_view value) {
    store::Txn txn;
    txn.ops.push_back(store::Op::Put(key, std::string(value)));
    auto r = store_.Commit(txn);
    ASSERT_TRUE(r.ok() && r->succeeded);
  }
  void SetUp() override {
    Put(model::keys::CloudMapNamespaceKey("ns-1"), R"({"Id":"ns-1","Name":"local","Type":"DNS_PRIVATE","Vpc":"vpc-1"})");
    Put(model::keys::CloudMapServiceKey("srv-1"),
        R"({"Id":"srv-1","Name":"api","NamespaceId":"ns-1",
            "DnsConfig":{"RoutingPolicy":"MULTIVALUE","DnsRecords":[{"Type":"A","TTL":10}]}})");
    Put(model::keys::CloudMapInstanceKey("srv-1", "i-1"), R"({"Id":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.4"}})");
    Put(model::keys::LoadBalancerKey("inside"),
        R"({"loadBalancer":{"LoadBalancerName":"inside","DNSName":"internal-inside-1.us-east-1.elb.localhost",
            "Scheme":"internal","VpcId":"vpc-1"},
            "interfaces":[{"subnetId":"subnet-a","ip":"10.0.0.9","networkInterfaceId":"eni-a"},
                          {"subnetId":"subnet-b","ip":"10.0.16.9","networkInterfaceId":"eni-b"}]})");
    Put(model::keys::LoadBalancerKey("outside"),
        R"({"loadBalancer":{"LoadBalancerName":"outside","DNSName":"outside-2.us-east-1.elb.localhost",
            "Scheme":"internet-facing","VpcId":"vpc-1"},
            "interfaces":[{"subnetId":"subnet-a","ip":"10.0.0.10","networkInterfaceId":"eni-c","publicIp":"198.51.100.7"},
                          {"subnetId":"subnet-b","ip":"10.0.16.10","networkInterfaceId":"eni-d","publicIp":"198.51.100.8"}]})");
  }
  store::MemoryStore store_;
};

TEST_F(VpcNamesTest, TheNamespacesNamesAreTheVpcsOwn) {
  auto a = LookupVpcName(store_, "vpc-1", "Api.Local.", "A", 0);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->ours && a->name_exists);
  ASSERT_EQ(a->answers.size(), 1u);
  EXPECT_EQ(a->answers[0].value, "10.0.0.4");
  auto aaaa = LookupVpcName(store_, "vpc-1", "api.local", "AAAA", 0);
  EXPECT_TRUE(aaaa->ours && aaaa->name_exists && aaaa->answers.empty());  // NOERROR, no records
  auto missing = LookupVpcName(store_, "vpc-1", "web.local", "A", 0);
  EXPECT_TRUE(missing->ours && !missing->name_exists);  // NXDOMAIN
  auto apex = LookupVpcName(store_, "vpc-1", "local", "SOA", 0);
  EXPECT_TRUE(apex->ours && apex->name_exists);
  // Other names, and the namespace from another VPC, are forwarded.
  EXPECT_FALSE(LookupVpcName(store_, "vpc-1", "example.com", "A", 0)->ours);
  EXPECT_FALSE(LookupVpcName(store_, "vpc-1", "notlocal", "A", 0)->ours);
  EXPECT_FALSE(LookupVpcName(store_, "vpc-2", "api.local", "A", 0)->ours);
}

TEST_F(VpcNamesTest, LoadBalancerNamesResolveToTheirInterfaces) {
  auto lb = LookupVpcName(store_, "vpc-1", "INTERNAL-inside-1.us-east-1.elb.localhost", "A", 0);
  ASSERT_TRUE(lb.ok());
  EXPECT_TRUE(lb->ours && lb->name_exists);
  ASSERT_EQ(lb->answers.size(), 2u);
  EXPECT_EQ(lb->answers[0].value, "10.0.0.9");
  EXPECT_EQ(lb->answers[1].value, "10.0.16.9");
  EXPECT_EQ(lb->answers[0].ttl, kLoadBalancerTtl);
  auto gone = LookupVpcName(store_, "vpc-1", "other-2.us-east-1.elb.localhost", "A", 0);
  EXPECT_TRUE(gone->ours && !gone->name_exists);
  // An internet-facing one's name gives its public addresses, inside its VPC too, as AWS's
  // DNS does (its interfaces are reached by address).
  auto outside = LookupVpcName(store_, "vpc-1", "outside-2.us-east-1.elb.localhost", "A", 0);
  ASSERT_TRUE(outside.ok());
  ASSERT_EQ(outside->answers.size(), 2u);
  EXPECT_EQ(outside->answers[0].value, "198.51.100.7");
  EXPECT_EQ(outside->answers[1].value, "198.51.100.8");
}

// An interface endpoint with private DNS is the service's name in its VPC, a zone of its own.
TEST_F(VpcNamesTest, InterfaceEndpointsAnswerTheirServicesNames) {
  auto endpoint = [&](const std::string& id, const std::string& service, bool private_dns, const std::string& ip) {
    Put(model::keys::VpcEndpointKey(id),
        R"({"VpcEndpointId":")" + id + R"(","VpcId":"vpc-1","VpcEndpointType":"Interface","State":"available",)" +
            R"("OwnerId":"000000000000","ServiceName":"com.amazonaws.us-east-1.)" + service +
            R"(","PrivateDnsEnabled":)" + (private_dns ? "true" : "false") +
            R"(,"SubnetIds":["subnet-a"],"_wharf":{"addresses":{"subnet-a":")" + ip + R"("}}})");
  };
  endpoint("vpce-1", "ecr.dkr", true, "10.0.2.9");
  endpoint("vpce-2", "ecr.api", true, "10.0.2.10");
  endpoint("vpce-3", "secretsmanager", true, "10.0.2.11");
  endpoint("vpce-4", "ssm", false, "10.0.2.12");
  auto a = [&](const std::string& name) {
    auto got = LookupVpcName(store_, "vpc-1", name, "A", 0, "us-east-1");
    return got.ok() && got->answers.size() == 1 ? got->answers[0].value : std::string();
  };
  EXPECT_EQ(a("000000000000.dkr.ecr.us-east-1.amazonaws.com"), "10.0.2.9");
  EXPECT_EQ(a("api.ecr.us-east-1.amazonaws.com"), "10.0.2.10");
  EXPECT_EQ(a("secretsmanager.us-east-1.amazonaws.com"), "10.0.2.11");
  EXPECT_EQ(LookupVpcName(store_, "vpc-1", "secretsmanager.us-east-1.amazonaws.com", "A", 0, "us-east-1")->answers[0].ttl,
            kEndpointTtl);
  EXPECT_FALSE(LookupVpcName(store_, "vpc-1", "ssm.us-east-1.amazonaws.com", "A", 0, "us-east-1")->ours)
      << "without private DNS the name is forwarded";
  EXPECT_FALSE(LookupVpcName(store_, "vpc-2", "api.ecr.us-east-1.amazonaws.com", "A", 0, "us-east-1")->ours);
  EXPECT_FALSE(LookupVpcName(store_, "vpc-1", "sts.us-east-1.amazonaws.com", "A", 0, "us-east-1")->ours);
  // The registry's zone is a wildcard, as AWS's: every account's registry name.
  EXPECT_EQ(a("123456789012.dkr.ecr.us-east-1.amazonaws.com"), "10.0.2.9");
  EXPECT_TRUE(LookupVpcName(store_, "vpc-1", "dkr.ecr.us-east-1.amazonaws.com", "A", 0, "us-east-1")->answers.empty())
      << "the apex is not the wildcard's";
}

// An interface endpoint's own names (vpce-...) are public: answered in every VPC, private
// DNS or not; the zonal one with its zone's interface only.
TEST_F(VpcNamesTest, AnInterfaceEndpointsOwnNamesAnswerInEveryVpc) {
  const std::string record =
      R"({"VpcEndpointId":"vpce-0a1b","VpcId":"vpc-1","VpcEndpointType":"Interface","State":"available",
          "OwnerId":"000000000000","ServiceName":"com.amazonaws.us-east-1.ssm","PrivateDnsEnabled":false,
          "SubnetIds":["subnet-a","subnet-b"],
          "_wharf":{"addresses":{"subnet-a":"10.0.1.9","subnet-b":"10.0.2.9"},
                    "zones":{"subnet-a":"us-east-1a","subnet-b":"us-east-1b"}}})";
  Put(model::keys::VpcEndpointKey("vpce-0a1b"), record);
  Put(model::keys::VpcKey("vpc-2"),
      R"({"VpcId":"vpc-2","CidrBlock":"10.1.0.0/16","IsDefault":false,
          "_wharf":{"attributes":{"enableDnsSupport":true,"enableDnsHostnames":false}}})");
  auto names = model::EndpointDnsNames(boost::json::parse(record).as_object());
  ASSERT_EQ(names.size(), 3u);
  for (const std::string vpc : {"vpc-1", "vpc-2"}) {
    auto regional = LookupVpcName(store_, vpc, names[0].name, "A", 0, "us-east-1");
    ASSERT_TRUE(regional.ok()) << regional.status().ToString();
    ASSERT_EQ(regional->answers.size(), 2u) << vpc;
    auto zonal = LookupVpcName(store_, vpc, names[2].name, "A", 0, "us-east-1");
    ASSERT_EQ(zonal->answers.size(), 1u) << vpc;
    EXPECT_EQ(zonal->answers[0].value, "10.0.2.9");
  }
  auto other = LookupVpcName(store_, "vpc-2", "vpce-0ffff-abcdefgh.ssm.us-east-1.vpce.amazonaws.com", "A", 0, "us-east-1");
  EXPECT_TRUE(other->ours && !other->name_exists) << "the region's vpce zone is answered here";
  EXPECT_FALSE(LookupVpcName(store_, "vpc-2", "ssm.us-east-1.amazonaws.com", "A", 0, "us-east-1")->ours);
}

TEST_F(VpcNamesTest, HostnamesWhileDnsHostnamesIsOn) {
  Put(model::keys::VpcKey("vpc-1"),
      R"({"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16","IsDefault":false,
          "_wharf":{"attributes":{"enableDnsSupport":true,"enableDnsHostnames":true}}})");
  auto a = LookupVpcName(store_, "vpc-1", "ip-10-0-16-9.eu-west-1.compute.internal", "A", 0, "eu-west-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->answers.size(), 1u);  // the load balancer's interface in the VPC
  EXPECT_EQ(a->answers[0].value, "10.0.16.9");
  auto ptr = LookupVpcName(store_, "vpc-1", "9.0.0.10.in-addr.arpa", "PTR", 0, "eu-west-1");
  ASSERT_EQ(ptr->answers.size(), 1u);
  EXPECT_EQ(ptr->answers[0].value, "ip-10-0-0-9.eu-west-1.compute.internal");
  auto nobody = LookupVpcName(store_, "vpc-1", "7.0.0.10.in-addr.arpa", "PTR", 0, "eu-west-1");
  EXPECT_TRUE(nobody->ours && !nobody->name_exists);  // NXDOMAIN
  // Hostnames off: the names are forwarded; DNS support off: no answer at all.
  Put(model::keys::VpcKey("vpc-1"),
      R"({"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16","IsDefault":false,
          "_wharf":{"attributes":{"enableDnsSupport":true,"enableDnsHostnames":false}}})");
  EXPECT_FALSE(LookupVpcName(store_, "vpc-1", "9.0.0.10.in-addr.arpa", "PTR", 0, "eu-west-1")->ours);
  EXPECT_TRUE(LookupVpcName(store_, "vpc-1", "api.local", "A", 0)->ours);
  Put(model::keys::VpcKey("vpc-1"),
      R"({"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16","IsDefault":false,
          "_wharf":{"attributes":{"enableDnsSupport":false,"enableDnsHostnames":false}}})");
  EXPECT_TRUE(LookupVpcName(store_, "vpc-1", "api.local", "A", 0)->silent);
}

}  // namespace
}  // namespace wharf::controlplane
