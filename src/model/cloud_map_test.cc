// Cloud Map's rules: DNS configurations per namespace type, instance attributes, operation
// states over time, DiscoverInstances' choice and the DNS answers a service gives.
#include "model/cloud_map.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace wharf::model {
namespace {
namespace json = boost::json;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

TEST(CloudMapDnsConfig, FollowsCloudMapsRecordRules) {
  auto dns = [](std::string_view text) { return Obj(text); };
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"DnsRecords":[{"Type":"A","TTL":10}]})")).ok());
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"DnsRecords":[{"Type":"A","TTL":10},{"Type":"SRV","TTL":10}]})")).ok());
  EXPECT_TRUE(CheckDnsConfig("DNS_PUBLIC",
                             dns(R"({"RoutingPolicy":"WEIGHTED","DnsRecords":[{"Type":"CNAME","TTL":10}]})")).ok());
  // No DNS in an HTTP namespace; CNAME only alone and WEIGHTED; no two of one type.
  EXPECT_TRUE(CheckDnsConfig("HTTP", dns(R"({"DnsRecords":[{"Type":"A","TTL":10}]})")).IsInvalidArgument());
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"DnsRecords":[{"Type":"CNAME","TTL":10}]})")).IsInvalidArgument());
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"RoutingPolicy":"WEIGHTED",
      "DnsRecords":[{"Type":"CNAME","TTL":10},{"Type":"A","TTL":10}]})")).IsInvalidArgument());
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"DnsRecords":[{"Type":"A","TTL":10},{"Type":"A","TTL":5}]})"))
                  .IsInvalidArgument());
  EXPECT_TRUE(CheckDnsConfig("DNS_PRIVATE", dns(R"({"DnsRecords":[]})")).IsInvalidArgument());
}

TEST(CloudMapInstance, AttributesMustServeTheServicesRecords) {
  json::object a_srv = Obj(R"({"DnsConfig":{"DnsRecords":[{"Type":"A","TTL":10},{"Type":"SRV","TTL":10}]}})");
  EXPECT_TRUE(CheckInstanceAttributes(a_srv, Obj(R"({"AWS_INSTANCE_IPV4":"10.0.0.5","AWS_INSTANCE_PORT":"80"})")).ok());
  EXPECT_TRUE(CheckInstanceAttributes(a_srv, Obj(R"({"AWS_INSTANCE_IPV4":"10.0.0.5"})")).IsInvalidArgument());
  EXPECT_TRUE(CheckInstanceAttributes(a_srv, Obj(R"({"AWS_INSTANCE_PORT":"80"})")).IsInvalidArgument());
  EXPECT_TRUE(CheckInstanceAttributes(a_srv, Obj(R"({"AWS_INSTANCE_IPV4":"10.0.0.5","AWS_INSTANCE_PORT":"99999"})"))
                  .IsInvalidArgument());
  json::object http = Obj(R"({"Name":"api"})");
  EXPECT_TRUE(CheckInstanceAttributes(http, Obj(R"({"color":"blue"})")).ok());
  EXPECT_TRUE(CheckInstanceAttributes(http, Obj(R"({})")).IsInvalidArgument());
  EXPECT_TRUE(CheckInstanceAttributes(http, Obj(R"({"AWS_ALIAS_DNS_NAME":"x.elb.amazonaws.com"})")).IsInvalidArgument());
  EXPECT_TRUE(CheckInstanceAttributes(http, Obj(R"({"AWS_INIT_HEALTH_STATUS":"MAYBE"})")).IsInvalidArgument());
}

TEST(CloudMapOperation, SubmittedThenSuccess) {
  json::object op = Obj(R"({"Id":"o","Status":"SUBMITTED","CreateDate":100,"SubmitDate":100})");
  EXPECT_EQ(OperationStatusAt(op, 100.1), "SUBMITTED");
  EXPECT_EQ(OperationStatusAt(op, 100 + kOperationSettleSeconds), "SUCCESS");
  json::object shown = PresentOperation(op, 200);
  EXPECT_EQ(shown.at("Status"), "SUCCESS");
  EXPECT_FALSE(shown.contains("SubmitDate"));
  EXPECT_DOUBLE_EQ(shown.at("UpdateDate").to_number<double>(), 100 + kOperationSettleSeconds);
}

std::vector<json::object> Instances() {
  return {Obj(R"({"Id":"a","HealthStatus":"HEALTHY","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1","AWS_INSTANCE_PORT":"80","stage":"prod"}})"),
          Obj(R"({"Id":"b","HealthStatus":"UNHEALTHY","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.2","AWS_INSTANCE_PORT":"80","stage":"prod"}})"),
          Obj(R"({"Id":"c","HealthStatus":"HEALTHY","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.3","AWS_INSTANCE_PORT":"81","stage":"test"}})")};
}

std::vector<std::string> Ids(const std::vector<json::object>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.emplace_back(i.at("Id").as_string());
  return out;
}

TEST(CloudMapDiscover, FiltersByQueryOptionalAndHealth) {
  json::object custom = Obj(R"({"HealthCheckCustomConfig":{}})");
  DiscoverQuery q;
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"a", "c"}));
  q.query_parameters = {{"stage", "prod"}};
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"a"}));
  q.health_status = "ALL";
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"a", "b"}));
  q.optional_parameters = {{"AWS_INSTANCE_IPV4", "10.0.0.2"}};
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"b"}));
  q.optional_parameters = {{"AWS_INSTANCE_IPV4", "10.9.9.9"}};  // none match: ignored
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"a", "b"}));
  q = {};
  q.health_status = "UNHEALTHY";
  q.query_parameters = {{"stage", "test"}};
  EXPECT_TRUE(DiscoverInstances(custom, Instances(), q).empty());
  q.health_status = "HEALTHY_OR_ELSE_ALL";
  q.query_parameters = {{"AWS_INSTANCE_IPV4", "10.0.0.2"}};
  EXPECT_EQ(Ids(DiscoverInstances(custom, Instances(), q)), (std::vector<std::string>{"b"}));
  // Without health checks the filter is ignored.
  DiscoverQuery healthy;
  EXPECT_EQ(DiscoverInstances(Obj("{}"), Instances(), healthy).size(), 3u);
  healthy.max_results = 2;
  EXPECT_EQ(DiscoverInstances(Obj("{}"), Instances(), healthy).size(), 2u);
}

TEST(CloudMapDns, HealthyAnswersWithTheRecordsTtl) {
  json::object ns = Obj(R"({"Name":"local"})");
  json::object service = Obj(R"({"Name":"api","HealthCheckCustomConfig":{},"DnsConfig":{"RoutingPolicy":"MULTIVALUE",
      "DnsRecords":[{"Type":"A","TTL":30},{"Type":"SRV","TTL":20}]}})");
  auto a = DnsAnswers(ns, service, Instances(), "A", 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].value, "10.0.0.1");
  EXPECT_EQ(a[0].ttl, 30);
  EXPECT_EQ(a[1].value, "10.0.0.3");
  auto srv = DnsAnswers(ns, service, Instances(), "SRV", 0);
  ASSERT_EQ(srv.size(), 2u);
  EXPECT_EQ(srv[0].value, "1 1 80 a.api.local");
  EXPECT_TRUE(DnsAnswers(ns, service, Instances(), "AAAA", 0).empty());
  // At most 8 multivalue answers; WEIGHTED answers one.
  std::vector<json::object> many;
  for (int i = 0; i < 12; ++i) {
    many.push_back(Obj(R"({"Id":"i","Attributes":{"AWS_INSTANCE_IPV4":"10.0.1.)" + std::to_string(i) + R"("}})"));
  }
  EXPECT_EQ(DnsAnswers(ns, service, many, "A", 5).size(), kMaxMultivalueAnswers);
  json::object weighted = Obj(R"({"Name":"api","DnsConfig":{"RoutingPolicy":"WEIGHTED","DnsRecords":[{"Type":"A","TTL":5}]}})");
  auto one = DnsAnswers(ns, weighted, many, "A", 3);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].value, "10.0.1.3");
}

}  // namespace
}  // namespace wharf::model
