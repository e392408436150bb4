#include "api/query_protocol.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace wharf::api {
namespace {

namespace json = boost::json;

class QueryProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ServiceModel::LoadEmbedded("elbv2");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  std::unique_ptr<ServiceModel> model_;
};

TEST_F(QueryProtocol, DecodesListsOfScalarsAndStructures) {
  auto form = ParseForm(
      "Action=CreateLoadBalancer&Name=my-alb&Subnets.member.1=subnet-a&Subnets.member.2=subnet-b"
      "&Tags.member.1.Key=team&Tags.member.1.Value=blue%20green&Scheme=internal");
  const Operation* op = model_->FindOperation("CreateLoadBalancer");
  ASSERT_NE(op, nullptr);
  auto input = DecodeQueryInput(*op->input(), form);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(json::serialize(*input),
            R"({"Name":"my-alb","Subnets":["subnet-a","subnet-b"],"Scheme":"internal",)"
            R"("Tags":[{"Key":"team","Value":"blue green"}]})");
}

TEST_F(QueryProtocol, DecodesIntegersAndBooleansAndRefusesNonsense) {
  const Operation* op = model_->FindOperation("CreateTargetGroup");
  auto input = DecodeQueryInput(*op->input(),
                                ParseForm("Name=tg&Port=5050&HealthCheckEnabled=true&Protocol=HTTP"));
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->at("Port").as_int64(), 5050);
  EXPECT_EQ(input->at("HealthCheckEnabled").as_bool(), true);
  EXPECT_FALSE(DecodeQueryInput(*op->input(), ParseForm("Name=tg&Port=eighty")).ok());
}

TEST_F(QueryProtocol, EncodesResultAsXmlWithMembers) {
  const Operation* op = model_->FindOperation("DescribeTags");
  json::object out{{"TagDescriptions",
                    json::array{json::object{{"ResourceArn", "arn:x"},
                                             {"Tags", json::array{json::object{{"Key", "a&b"}, {"Value", "1"}}}}}}}};
  std::string xml = EncodeQueryResponse(*model_, *op, out, "req-1");
  EXPECT_EQ(xml,
            "<DescribeTagsResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
            "<DescribeTagsResult><TagDescriptions><member><ResourceArn>arn:x</ResourceArn><Tags><member>"
            "<Key>a&amp;b</Key><Value>1</Value></member></Tags></member></TagDescriptions>"
            "</DescribeTagsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
            "</DescribeTagsResponse>");
}

TEST_F(QueryProtocol, ErrorsUseTheErrorResponseShape) {
  std::string xml = EncodeQueryError(model_->xml_namespace(),
                                     AwsError{"LoadBalancerNotFound", "One or more load balancers not found", 400},
                                     "req-2");
  EXPECT_NE(xml.find("<Type>Sender</Type><Code>LoadBalancerNotFound</Code>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<RequestId>req-2</RequestId>"), std::string::npos);
}

}  // namespace
}  // namespace wharf::api
