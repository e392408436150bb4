#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "api/ec2/common.h"
#include "api/ec2/handlers.h"
#include "api/ec2/network.h"
#include "api/query_protocol.h"
#include "model/keys.h"

namespace wharf::api::ec2 {
namespace {

TEST(Ec2Protocol, DecodesFlattenedListsByCapitalisedLocationName) {
  auto model = ServiceModel::LoadEmbedded("ec2");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Operation* op = (*model)->FindOperation("AuthorizeSecurityGroupIngress");
  ASSERT_NE(op, nullptr);
  auto input = DecodeEc2Input(
      *op->input(), ParseForm("Action=AuthorizeSecurityGroupIngress&GroupId=sg-1"
                            "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80"
                            "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0"
                            "&IpPermissions.1.Groups.1.GroupId=sg-2&DryRun=true"));
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(boost::json::serialize(*input),
            R"({"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"tcp","FromPort":80,"ToPort":80,)"
            R"("UserIdGroupPairs":[{"GroupId":"sg-2"}],"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}],"DryRun":true})");
  const Operation* subnets = (*model)->FindOperation("DescribeSubnets");
  auto filters = DecodeEc2Input(*subnets->input(),
                                ParseForm("Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&SubnetId.1=subnet-1"));
  ASSERT_TRUE(filters.ok());
  EXPECT_EQ(boost::json::serialize(*filters),
            R"({"Filters":[{"Name":"vpc-id","Values":["vpc-1"]}],"SubnetIds":["subnet-1"]})");
}

TEST(Ec2Protocol, EncodesMembersByLocationNameWithItemsAndRequestId) {
  auto model = ServiceModel::LoadEmbedded("ec2");
  ASSERT_TRUE(model.ok());
  const Operation* op = (*model)->FindOperation("DescribeSubnets");
  boost::json::object out{{"Subnets", boost::json::array{boost::json::object{
                                          {"SubnetId", "subnet-1"}, {"DefaultForAz", true}}}}};
  EXPECT_EQ(EncodeEc2Response(**model, *op, out, "r-1"),
            "<DescribeSubnetsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
            "<requestId>r-1</requestId><subnetSet><item><subnetId>subnet-1</subnetId>"
            "<defaultForAz>true</defaultForAz></item></subnetSet></DescribeSubnetsResponse>");
  EXPECT_EQ(EncodeEc2Error(AwsError::Client("InvalidGroup.NotFound", "a<b"), "r-2"),
            "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>a&lt;b</Message>"
            "</Error></Errors><RequestID>r-2</RequestID></Response>");
}

TEST(Ec2Filters, WildcardsAsAws) {
  EXPECT_TRUE(WildcardMatch("us-east-1*", "us-east-1a"));
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_TRUE(WildcardMatch("*b*d", "abcbd"));
  EXPECT_FALSE(WildcardMatch("a\\*", "ab"));
  EXPECT_TRUE(WildcardMatch("a\\*", "a*"));
}

TEST(Ec2Network, DefaultVpcIsCreatedOnceWithStableIds) {
  auto store = store::OpenStore("memory", "");
  ASSERT_TRUE(store.ok());
  NetworkOptions options;
  ASSERT_TRUE(EnsureDefaultVpc(**store, options).ok());
  auto rev = (*store)->CurrentRevision();
  ASSERT_TRUE(EnsureDefaultVpc(**store, options).ok());
  EXPECT_EQ(*(*store)->CurrentRevision(), *rev);  // nothing written the second time

  auto subnets = (*store)->List(kSubnetsPrefix, "", 0);
  ASSERT_TRUE(subnets.ok());
  ASSERT_EQ(subnets->items.size(), 3u);
  std::string id = subnets->items[0].key.substr(kSubnetsPrefix.size());
  EXPECT_EQ(id.size(), 24u);
  auto subnet = FindSubnet(**store, id);
  ASSERT_TRUE(subnet.ok() && subnet->has_value());
  EXPECT_EQ((*subnet)->vpc_id, DefaultVpcId(options));
  EXPECT_EQ((*subnet)->id, id);
  EXPECT_FALSE(FindSubnet(**store, "subnet-0123456789abcdef0")->has_value());
  EXPECT_FALSE(FindSubnet(**store, "nonsense")->has_value());

  auto groups = (*store)->List(kSecurityGroupsPrefix, "", 0);
  ASSERT_EQ(groups->items.size(), 1u);
  EXPECT_TRUE(*SecurityGroupExists(**store, groups->items[0].key.substr(kSecurityGroupsPrefix.size())));
  EXPECT_FALSE(*SecurityGroupExists(**store, "sg-0123456789abcdef0"));

  // Another store with the same account and region: the same ids.
  auto other = store::OpenStore("memory", "");
  ASSERT_TRUE(EnsureDefaultVpc(**other, options).ok());
  EXPECT_TRUE(FindSubnet(**other, id)->has_value());
}

TEST(Ec2Network, SubnetsFollowTheVpcCidr) {
  auto store = store::OpenStore("memory", "");
  NetworkOptions options;
  options.vpc_cidr = "10.99.0.0/16";
  ASSERT_TRUE(EnsureDefaultVpc(**store, options).ok());
  std::vector<std::string> cidrs;
  auto page = (*store)->List(kSubnetsPrefix, "", 0);
  ASSERT_TRUE(page.ok());
  for (const auto& kv : page->items) {
    auto s = FindSubnet(**store, kv.key.substr(kSubnetsPrefix.size()));
    cidrs.push_back((*s)->cidr_block + " " + (*s)->availability_zone);
  }
  std::sort(cidrs.begin(), cidrs.end());
  EXPECT_EQ(cidrs, (std::vector<std::string>{"10.99.0.0/20 us-east-1a", "10.99.16.0/20 us-east-1b",
                                             "10.99.32.0/20 us-east-1c"}));
  options.vpc_cidr = "not-a-cidr";
  auto fresh = store::OpenStore("memory", "");
  EXPECT_FALSE(EnsureDefaultVpc(**fresh, options).ok());
}

TEST(Ec2Filters, DottedPathsWalkThroughLists) {
  auto filters = Filters::Parse(object{{"Filters", boost::json::array{object{
                                            {"Name", "association.main"}, {"Values", boost::json::array{"true"}}}}}},
                                {{"association.main", "Associations.Main"}});
  ASSERT_TRUE(std::holds_alternative<Filters>(filters));
  object main{{"Associations", boost::json::array{object{{"Main", false}}, object{{"Main", true}}}}};
  object other{{"Associations", boost::json::array{object{{"Main", false}}}}};
  EXPECT_TRUE(std::get<Filters>(filters).Match(main));
  EXPECT_FALSE(std::get<Filters>(filters).Match(other));
  EXPECT_FALSE(std::get<Filters>(filters).Match(object{}));
}

TEST(Ec2Paging, TokensResumeAfterTheLastIdShown) {
  auto items = [] {
    boost::json::array a;
    for (const char* id : {"a", "b", "c", "d", "e", "f", "g"}) a.push_back(object{{"Id", id}});
    return a;
  };
  object out;
  ASSERT_FALSE(PageInto(object{{"MaxResults", 5}}, items(), "Id", "Items", PageLimits{5, 1000}, false, "ids", out));
  EXPECT_EQ(out["Items"].as_array().size(), 5u);
  EXPECT_EQ(GetString(out, "NextToken"), "e");
  object next;
  ASSERT_FALSE(PageInto(object{{"MaxResults", 5}, {"NextToken", "e"}}, items(), "Id", "Items", PageLimits{5, 1000},
                        false, "ids", next));
  EXPECT_EQ(next["Items"].as_array().size(), 2u);
  EXPECT_FALSE(next.contains("NextToken"));
  object bad;
  auto err = PageInto(object{{"MaxResults", 4}}, items(), "Id", "Items", PageLimits{5, 1000}, false, "ids", bad);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, "InvalidParameterValue");
  err = PageInto(object{{"MaxResults", 5}}, items(), "Id", "Items", PageLimits{5, 1000}, true, "vpcIds", bad);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, "InvalidParameterCombination");
}

TEST(Ec2Network, DefaultVpcHasItsMainRouteTableAclAndGateway) {
  auto store = store::OpenStore("memory", "");
  ASSERT_TRUE(store.ok());
  NetworkOptions options;
  ASSERT_TRUE(EnsureDefaultVpc(**store, options).ok());
  auto main = MainRouteTableId(**store, DefaultVpcId(options));
  ASSERT_TRUE(main.ok());
  EXPECT_TRUE(main->starts_with("rtb-")) << *main;
  EXPECT_EQ((*store)->List(kNetworkAclsPrefix, "", 0)->items.size(), 1u);
  EXPECT_EQ((*store)->List(kInternetGatewaysPrefix, "", 0)->items.size(), 1u);
}

// An awsvpc task's interface shows in DescribeNetworkInterfaces as ECS's, while the task holds it.
TEST(Ec2NetworkInterfaces, TaskInterfacesAsEcsShowsThem) {
  auto store = store::OpenStore("memory", "");
  ASSERT_TRUE(store.ok());
  NetworkOptions options;
  ASSERT_TRUE(EnsureDefaultVpc(**store, options).ok());
  auto subnets = (*store)->List(kSubnetsPrefix, "", 0);
  std::string subnet = subnets->items[0].key.substr(kSubnetsPrefix.size());
  auto groups = (*store)->List(kSecurityGroupsPrefix, "", 0);
  std::string group = groups->items[0].key.substr(kSecurityGroupsPrefix.size());
  auto put_task = [&](const std::string& id, const char* status) {
    object task{{"taskArn", "arn:aws:ecs:us-east-1:000000000000:task/c/" + id},
                {"lastStatus", status},
                {"_wharf", object{{"eni", object{{"subnetId", subnet}, {"ip", "172.31.0.9"}, {"mac", "02:77:ac:1f:00:09"},
                                                 {"eniId", "eni-" + id}, {"attachmentId", "att-" + id},
                                                 {"publicIp", "198.51.100.9"}}},
                                  {"securityGroups", boost::json::array{group.c_str()}}}}};
    store::Txn txn{{}, {store::Op::Put(model::keys::TaskKey("c", id), Serialize(task))}};
    ASSERT_TRUE((*store)->Commit(txn).ok());
  };
  put_task("running", "RUNNING");
  put_task("stopped", "STOPPED");
  Ec2Deps deps{**store, options, nullptr};
  Context context(deps);
  RequestContext ctx;
  ctx.region = "us-east-1";
  ctx.account_id = "000000000000";
  object in{{"Filters", boost::json::array{object{{"Name", "subnet-id"}, {"Values", boost::json::array{subnet.c_str()}}}}}};
  Outcome out = DescribeNetworkInterfaces(context, ctx, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  const auto& enis = out.output()["NetworkInterfaces"].as_array();
  ASSERT_EQ(enis.size(), 1u);  // the stopped task's interface is gone
  const object& eni = enis[0].as_object();
  EXPECT_EQ(GetString(eni, "NetworkInterfaceId"), "eni-running");
  EXPECT_EQ(GetString(eni, "InterfaceType"), "interface");
  EXPECT_EQ(GetString(eni, "Description"), "arn:aws:ecs:us-east-1:000000000000:attachment/att-running");
  EXPECT_EQ(GetString(eni, "PrivateIpAddress"), "172.31.0.9");
  EXPECT_EQ(GetString(eni, "VpcId"), DefaultVpcId(options));
  EXPECT_EQ(GetString(GetArray(eni, "Groups")[0].as_object(), "GroupName"), "default");
  // assignPublicIp ENABLED: the address with EC2's public DNS name (us-east-1's compute-1).
  const object& association = GetObject(eni, "Association");
  EXPECT_EQ(GetString(association, "PublicIp"), "198.51.100.9");
  EXPECT_EQ(GetString(association, "PublicDnsName"), "ec2-198-51-100-9.compute-1.amazonaws.com");
  EXPECT_EQ(GetString(association, "IpOwnerId"), "amazon");
  EXPECT_EQ(GetString(GetObject(GetArray(eni, "PrivateIpAddresses")[0].as_object(), "Association"), "PublicDnsName"),
            "ec2-198-51-100-9.compute-1.amazonaws.com");
  object by_type{{"Filters", boost::json::array{object{{"Name", "interface-type"},
                                                       {"Values", boost::json::array{"nat_gateway"}}}}}};
  EXPECT_TRUE(DescribeNetworkInterfaces(context, ctx, by_type).output()["NetworkInterfaces"].as_array().empty());
}

TEST(Ec2Network, ZoneIdsAsAws) {
  EXPECT_EQ(AvailabilityZoneId("us-east-1a"), "use1-az1");
  EXPECT_EQ(AvailabilityZoneId("eu-west-2c"), "euw2-az3");
  EXPECT_EQ(AvailabilityZoneId("ap-southeast-1b"), "apse1-az2");
}

}  // namespace
}  // namespace wharf::api::ec2
