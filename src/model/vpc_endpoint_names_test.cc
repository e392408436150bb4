#include "model/vpc_endpoint_names.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <algorithm>
#include <regex>

namespace wharf::model {
namespace {

TEST(VpcEndpointNames, BaseNamesAreTheServicesUnderTheRegionsVpceZone) {
  EXPECT_EQ(EndpointBaseDnsName("secretsmanager", "us-east-1"), "secretsmanager.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(EndpointBaseDnsName("ecr.api", "eu-west-1"), "api.ecr.eu-west-1.vpce.amazonaws.com");
  EXPECT_EQ(EndpointBaseDnsName("ecr.dkr", "us-east-1"), "dkr.ecr.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(EndpointDnsZone("us-east-1"), "us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(EndpointDnsHostedZoneId("us-east-1"), "Z7HUB22UULQXV") << "AWS's own";
  EXPECT_TRUE(std::regex_match(EndpointDnsHostedZoneId("eu-west-1"), std::regex("Z[A-Z0-9]{13}")));
  EXPECT_NE(EndpointDnsHostedZoneId("eu-west-1"), EndpointDnsHostedZoneId("eu-west-2"));
}

TEST(VpcEndpointNames, AServiceNameIsReadOnce) {
  auto name = EndpointServiceName::Parse("com.amazonaws.eu-west-1.ecr.dkr");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->region, "eu-west-1");
  EXPECT_EQ(name->service, "ecr.dkr");
  EXPECT_EQ(name->ToString(), "com.amazonaws.eu-west-1.ecr.dkr");
  for (const char* bad : {"com.amazonaws.us-east-1", "com.amazonaws.us-east-1.", "com.example.us-east-1.ssm",
                          "com.amazonaws..ssm", "com.amazonaws.vpce.us-east-1.vpce-svc-0123"}) {
    EXPECT_FALSE(EndpointServiceName::Parse(bad)) << bad;
  }
  EXPECT_TRUE(FindOfferedEndpointService("ecr.dkr"));
  EXPECT_EQ(FindOfferedEndpointService("s3")->type, "Gateway");
  EXPECT_FALSE(FindOfferedEndpointService("nothing"));
  EXPECT_TRUE(std::is_sorted(OfferedEndpointServices().begin(), OfferedEndpointServices().end(),
                             [](const auto& a, const auto& b) { return a.service < b.service; }));
}

// What DescribeVpcEndpoints shows of a record, made before the names were kept or not.
TEST(VpcEndpointNames, DnsEntriesFollowTheRecord) {
  auto endpoint = boost::json::parse(R"({"VpcEndpointId":"vpce-0a","VpcEndpointType":"Interface","VpcId":"vpc-1",
      "ServiceName":"com.amazonaws.us-east-1.ssm","PrivateDnsEnabled":true,
      "_wharf":{"addresses":{"subnet-a":"10.0.1.9"}}})").as_object();
  auto entries = EndpointDnsEntries(endpoint);
  ASSERT_EQ(entries.size(), 2u) << "no zones kept: the regional name and the private one";
  EXPECT_EQ(entries[0].as_object().at("HostedZoneId").as_string(), "Z7HUB22UULQXV");
  EXPECT_EQ(entries[1].as_object().at("DnsName").as_string(), "ssm.us-east-1.amazonaws.com");
  EXPECT_EQ(entries[1].as_object().at("HostedZoneId").as_string(),
            EndpointPrivateHostedZoneId("vpc-1", "ssm.us-east-1.amazonaws.com"));
  endpoint["PrivateDnsEnabled"] = false;
  EXPECT_EQ(EndpointDnsEntries(endpoint).size(), 1u);
}

TEST(VpcEndpointNames, RegionalFirstThenOnePerZoneWithThatZonesInterfaces) {
  auto endpoint = boost::json::parse(R"({"VpcEndpointId":"vpce-0a1b2c3d4e5f60718","VpcEndpointType":"Interface",
      "ServiceName":"com.amazonaws.us-east-1.ecr.api",
      "_wharf":{"addresses":{"subnet-a":"10.0.1.9","subnet-b":"10.0.2.9","subnet-c":"10.0.3.9"},
                "zones":{"subnet-a":"us-east-1b","subnet-b":"us-east-1a","subnet-c":"us-east-1a"}}})").as_object();
  auto names = EndpointDnsNames(endpoint);
  ASSERT_EQ(names.size(), 3u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(names[0].name, m,
                               std::regex(R"(vpce-0a1b2c3d4e5f60718-([a-z0-9]{8})\.api\.ecr\.us-east-1\.vpce\.amazonaws\.com)")))
      << names[0].name;
  const std::string suffix = m[1];
  EXPECT_EQ(names[0].availability_zone, "");
  EXPECT_EQ(names[0].addresses, (std::vector<std::string>{"10.0.1.9", "10.0.2.9", "10.0.3.9"}));
  EXPECT_EQ(names[1].name, "vpce-0a1b2c3d4e5f60718-" + suffix + "-us-east-1a.api.ecr.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(names[1].addresses, (std::vector<std::string>{"10.0.2.9", "10.0.3.9"}));
  EXPECT_EQ(names[2].availability_zone, "us-east-1b");
  EXPECT_EQ(names[2].addresses, (std::vector<std::string>{"10.0.1.9"}));
  EXPECT_EQ(EndpointDnsNames(endpoint)[0].name, names[0].name) << "the same every time";

  endpoint["VpcEndpointType"] = "Gateway";
  EXPECT_TRUE(EndpointDnsNames(endpoint).empty());
  endpoint["VpcEndpointType"] = "Interface";
  endpoint["ServiceName"] = "com.example.svc";
  EXPECT_TRUE(EndpointDnsNames(endpoint).empty());
}

}  // namespace
}  // namespace wharf::model
