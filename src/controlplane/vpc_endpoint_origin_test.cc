// Which interface endpoint a DNAT'd connection reached: by the address the task dialled, and
// between two VPCs sharing a CIDR by the VPC mark the connection carries.
#include "controlplane/vpc_endpoint_origin.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "model/ec2_network.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

namespace json = boost::json;

json::object Endpoint(std::string id, std::string vpc, std::string service, std::string address,
                      std::string policy = R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})") {
  return json::object{{"VpcEndpointId", id},
                      {"VpcId", vpc},
                      {"VpcEndpointType", "Interface"},
                      {"State", "available"},
                      {"ServiceName", "com.amazonaws.us-east-1." + service},
                      {"PolicyDocument", policy},
                      {"_wharf", json::object{{"addresses", json::object{{"subnet-1", address}}}}}};
}

TEST(EndpointOrigin, AConnectionToAnEndpointsAddressOn443IsThatEndpoints) {
  EndpointTable table = EndpointTableOf({Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4"),
                                         Endpoint("vpce-b", "vpc-1", "ecr.dkr", "10.0.2.5")});
  auto found = FindEndpoint(table, "10.0.2.4:443", 0);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->vpce_id, "vpce-a");
  EXPECT_EQ(found->vpc_id, "vpc-1");
  EXPECT_EQ(found->service, "secretsmanager");
  EXPECT_EQ(found->region, "us-east-1");
  ASSERT_NE(found->policy, nullptr);
  EXPECT_EQ(FindEndpoint(table, "10.0.2.5:443", 0)->service, "ecr.dkr");
  // Another port, another address (the front's), no port at all: no endpoint.
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:80", 0), nullptr);
  EXPECT_EQ(FindEndpoint(table, "198.18.0.1:443", 0), nullptr);
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4", 0), nullptr);
}

TEST(EndpointOrigin, TwoVpcsWithOneAddressAreToldApartByTheConnectionsMark) {
  EndpointTable table = EndpointTableOf({Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4"),
                                         Endpoint("vpce-b", "vpc-2", "ssm", "10.0.2.4")});
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:443", model::VpcReplyMark("vpc-1"))->vpce_id, "vpce-a");
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:443", model::VpcReplyMark("vpc-2"))->vpce_id, "vpce-b");
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:443", 0), nullptr);  // neither for sure
}

// The server finds a VPC connection's conntrack zone from its mark alone (net/conntrack_origin.h).
TEST(EndpointOrigin, AVpcsMarkNamesItsConntrackZone) {
  for (std::string vpc : {"vpc-1", "vpc-0aaaabbbbccccdddd", "vpc-ce94774d78a4ab1c4"}) {
    // The zone the agent tracks the VPC's connections in (agent/network/network.cc calls the same).
    EXPECT_EQ(model::VpcConntrackZoneOfMark(model::VpcReplyMark(vpc)), model::VpcConntrackZone(vpc)) << vpc;
    EXPECT_NE(model::VpcConntrackZone(vpc), 0) << vpc;
  }
  EXPECT_EQ(model::VpcReplyMark("vpc-1"), model::ReplyMarkOfRouteTable(model::VpcRouteTable("vpc-1")));
  EXPECT_EQ(model::VpcConntrackZoneOfMark(0), 0);
}

TEST(EndpointOrigin, OnlyAvailableInterfaceEndpointsAndAPolicyThatDoesNotParseAllowsNothing) {
  json::object gateway = Endpoint("vpce-g", "vpc-1", "s3", "10.0.2.6");
  gateway["VpcEndpointType"] = "Gateway";
  json::object pending = Endpoint("vpce-p", "vpc-1", "ssm", "10.0.2.7");
  pending["State"] = "pending";
  EndpointTable table = EndpointTableOf({gateway, pending, Endpoint("vpce-x", "vpc-1", "kms", "10.0.2.8", "{nope")});
  EXPECT_EQ(FindEndpoint(table, "10.0.2.6:443", 0), nullptr);
  EXPECT_EQ(FindEndpoint(table, "10.0.2.7:443", 0), nullptr);
  auto broken = FindEndpoint(table, "10.0.2.8:443", 0);
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(broken->policy, nullptr);
}

TEST(EndpointOrigin, ServiceNamesFollowTheSigningNameButForEcrsApi) {
  EXPECT_EQ(EndpointServiceOf("ecr"), "ecr.api");
  EXPECT_EQ(EndpointServiceOf("secretsmanager"), "secretsmanager");
  EXPECT_EQ(EndpointServiceOf("ssm"), "ssm");
  EXPECT_EQ(EndpointServiceOf("logs"), "logs");
}

// A change to an endpoint (ModifyVpcEndpoint's policy) is seen by the very next lookup.
TEST(EndpointDirectory, ReadsTheStoreOnceAndFollowsItsWatch) {
  store::MemoryStore store;
  auto put = [&](const json::object& e) {
    std::string key = std::string(model::keys::kVpcEndpoints) + std::string(e.at("VpcEndpointId").as_string());
    ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(key, json::serialize(e))}}).ok());
  };
  put(Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4"));
  EndpointDirectory directory(store);
  ASSERT_TRUE(directory.Start().ok());
  const uint32_t mark = model::VpcReplyMark("vpc-1");
  auto first = directory.Find("10.0.2.4:443", mark);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(directory.Find("10.0.2.4:443", mark), first);  // kept while nothing changed
  put(Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4", "{nope"));
  auto second = directory.Find("10.0.2.4:443", mark);  // the memory store's watch is synchronous
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->policy, nullptr);
  EXPECT_EQ(directory.Find("10.0.2.9:443", mark), nullptr);
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Delete(std::string(model::keys::kVpcEndpoints) + "vpce-a")}}).ok());
  EXPECT_EQ(directory.Find("10.0.2.4:443", mark), nullptr);
}

// Fail closed: a VPC's connection is served through its endpoint, or through the front as
// through none; one whose destination is unknown or names no endpoint is refused.
TEST(EndpointDirectory, AdmitsAVpcsConnectionOnlyThroughTheFrontOrAnEndpoint) {
  store::MemoryStore store;
  std::string key = std::string(model::keys::kVpcEndpoints) + "vpce-a";
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(key, json::serialize(Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4")))}}).ok());
  EndpointDirectory directory(store);
  ASSERT_TRUE(directory.Start().ok());
  const std::string front = "198.18.0.1:443";
  const uint32_t mark = model::VpcReplyMark("vpc-1");
  std::shared_ptr<const EndpointOrigin> via;
  EXPECT_TRUE(directory.Admit(0, false, "", front, via));  // not a VPC's connection
  EXPECT_EQ(via, nullptr);
  EXPECT_TRUE(directory.Admit(mark, false, front, front, via));
  EXPECT_EQ(via, nullptr);
  EXPECT_TRUE(directory.Admit(mark, false, "10.0.2.4:443", front, via));
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->vpce_id, "vpce-a");
  EXPECT_FALSE(directory.Admit(mark, true, "", front, via));  // conntrack could not say
  EXPECT_FALSE(directory.Admit(mark, false, "10.99.0.1:8080", front, via));  // neither
  EXPECT_FALSE(directory.Admit(model::VpcReplyMark("vpc-2"), false, "10.0.2.4:443", front, via));
  ASSERT_TRUE(store.Commit(store::Txn{{}, {store::Op::Delete(key)}}).ok());
  EXPECT_FALSE(directory.Admit(mark, false, "10.0.2.4:443", front, via));  // deleted, DNAT still there
}

// Terraform's replace: the endpoint deleted and made again gets the same address; a kept-alive
// connection opened through the first is not served under the second.
TEST(EndpointOrigin, AConnectionStaysItsFirstRequestsEndpoint) {
  EndpointOrigin first{"vpce-first", "vpc-1", "ssm", "us-east-1", nullptr};
  EndpointOrigin second{"vpce-second", "vpc-1", "ssm", "us-east-1", nullptr};
  std::string note;
  EXPECT_TRUE(SameEndpointAsBefore(&note, &first));
  EXPECT_EQ(note, "vpce-first");
  EXPECT_TRUE(SameEndpointAsBefore(&note, &first)) << "its next request, through the same endpoint";
  EXPECT_FALSE(SameEndpointAsBefore(&note, &second)) << "another endpoint at the same address";
  std::string front;
  EXPECT_TRUE(SameEndpointAsBefore(&front, nullptr));
  EXPECT_TRUE(SameEndpointAsBefore(&front, nullptr));
  EXPECT_FALSE(SameEndpointAsBefore(&front, &first));
  EXPECT_TRUE(SameEndpointAsBefore(nullptr, &second)) << "no note kept: nothing to compare";
}

// One VPC's endpoint at an address is not another VPC's connection's: its mark must match.
TEST(EndpointOrigin, AVpcsConnectionReachesOnlyItsOwnVpcsEndpoint) {
  EndpointTable table = EndpointTableOf({Endpoint("vpce-a", "vpc-1", "secretsmanager", "10.0.2.4")});
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:443", model::VpcReplyMark("vpc-1"))->vpce_id, "vpce-a");
  EXPECT_EQ(FindEndpoint(table, "10.0.2.4:443", model::VpcReplyMark("vpc-2")), nullptr);
}

}  // namespace
}  // namespace wharf::controlplane
