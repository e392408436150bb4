// The EC2 operations, one function each, grouped by resource in the .cc files.
#pragma once

#include "api/aws_error.h"
#include "api/ec2/common.h"
#include "api/front_door.h"

namespace wharf::api::ec2 {

// describe.cc: the built-in network.
Outcome DescribeVpcs(Context&, const RequestContext&, object& in);
Outcome DescribeSubnets(Context&, const RequestContext&, object& in);
Outcome DescribeAvailabilityZones(Context&, const RequestContext&, object& in);

// vpcs.cc
Outcome CreateVpc(Context&, const RequestContext&, object& in);
Outcome DeleteVpc(Context&, const RequestContext&, object& in);
Outcome DescribeVpcAttribute(Context&, const RequestContext&, object& in);
Outcome ModifyVpcAttribute(Context&, const RequestContext&, object& in);
std::variant<Record, AwsError> FindVpc(Context& c, std::string_view id);
// Adds `parent` to `txn` compared and rewritten unchanged: a child created in a VPC (or
// subnet) bumps its parent's revision, so a delete of the parent that read it childless and
// compares its revision fails instead of leaving an orphan.
void TouchParent(store::Txn& txn, const Record& parent);

// subnets.cc
Outcome CreateSubnet(Context&, const RequestContext&, object& in);
Outcome DeleteSubnet(Context&, const RequestContext&, object& in);
Outcome ModifySubnetAttribute(Context&, const RequestContext&, object& in);
std::variant<Record, AwsError> FindSubnetRecord(Context& c, std::string_view id);

// security_groups.cc
Outcome DescribeSecurityGroups(Context&, const RequestContext&, object& in);
Outcome CreateSecurityGroup(Context&, const RequestContext&, object& in);
Outcome DeleteSecurityGroup(Context&, const RequestContext&, object& in);
// The group a request names by GroupId, or else by GroupName in the default VPC.
std::variant<Record, AwsError> FindGroup(Context& c, const object& in);

// permissions.cc: the rules of a security group.
Outcome AuthorizeSecurityGroupIngress(Context&, const RequestContext&, object& in);
Outcome AuthorizeSecurityGroupEgress(Context&, const RequestContext&, object& in);
Outcome RevokeSecurityGroupIngress(Context&, const RequestContext&, object& in);
Outcome RevokeSecurityGroupEgress(Context&, const RequestContext&, object& in);
Outcome ModifySecurityGroupRules(Context&, const RequestContext&, object& in);
Outcome DescribeSecurityGroupRules(Context&, const RequestContext&, object& in);
// Stores a group's rules with their ids when it has none stored yet (so a rule's tags have a
// place); true when it changed the record.
bool StoreRuleIds(const RequestContext& ctx, object& group);
// The stored SecurityGroupRule shape with this id in a group record, or null.
object* FindStoredRule(object& group, std::string_view rule_id);

// gateways.cc: internet gateways.
Outcome CreateInternetGateway(Context&, const RequestContext&, object& in);
Outcome AttachInternetGateway(Context&, const RequestContext&, object& in);
Outcome DetachInternetGateway(Context&, const RequestContext&, object& in);
Outcome DeleteInternetGateway(Context&, const RequestContext&, object& in);
Outcome DescribeInternetGateways(Context&, const RequestContext&, object& in);

// addresses.cc: elastic IPs.
Outcome AllocateAddress(Context&, const RequestContext&, object& in);
Outcome ReleaseAddress(Context&, const RequestContext&, object& in);
Outcome AssociateAddress(Context&, const RequestContext&, object& in);
Outcome DescribeAddresses(Context&, const RequestContext&, object& in);
Outcome DescribeAddressesAttribute(Context&, const RequestContext&, object& in);
Outcome DisassociateAddress(Context&, const RequestContext&, object& in);
std::variant<Record, AwsError> FindAddress(Context& c, std::string_view allocation_id);
// Whether an address is associated with an interface that still exists (a task's association
// ends with the task).
std::variant<bool, AwsError> AddressHeld(Context& c, const RequestContext& ctx, const object& address);

// nat_gateways.cc
Outcome CreateNatGateway(Context&, const RequestContext&, object& in);
Outcome DeleteNatGateway(Context&, const RequestContext&, object& in);
Outcome DescribeNatGateways(Context&, const RequestContext&, object& in);

// route_tables.cc
Outcome CreateRouteTable(Context&, const RequestContext&, object& in);
Outcome DeleteRouteTable(Context&, const RequestContext&, object& in);
Outcome DescribeRouteTables(Context&, const RequestContext&, object& in);
Outcome CreateRoute(Context&, const RequestContext&, object& in);
Outcome ReplaceRoute(Context&, const RequestContext&, object& in);
Outcome DeleteRoute(Context&, const RequestContext&, object& in);
Outcome AssociateRouteTable(Context&, const RequestContext&, object& in);
Outcome DisassociateRouteTable(Context&, const RequestContext&, object& in);
Outcome ReplaceRouteTableAssociation(Context&, const RequestContext&, object& in);

// tags.cc
Outcome CreateTags(Context&, const RequestContext&, object& in);
Outcome DeleteTags(Context&, const RequestContext&, object& in);
Outcome DescribeTags(Context&, const RequestContext&, object& in);
// The tags of an EC2 resource ARN (<type>/<id>), for aws:ResourceTag; empty when none.
ResourceTags ResourceTagsOf(Context& c, std::string_view arn);

// account.cc: what is read but not made by hand.
Outcome DescribeAccountAttributes(Context&, const RequestContext&, object& in);
Outcome DescribePrefixLists(Context&, const RequestContext&, object& in);
Outcome DescribeNetworkAcls(Context&, const RequestContext&, object& in);
Outcome DescribeNetworkInterfaces(Context&, const RequestContext&, object& in);
// Every network interface there is (NAT gateways', load balancers', awsvpc tasks'), as
// DescribeNetworkInterfaces shows them, in id order: they are made from their owners' records.
std::variant<std::vector<object>, AwsError> NetworkInterfaces(Context& c, const RequestContext& ctx);

// instances.cc: the ECS nodes as EC2 instances, and the regions served.
Outcome DescribeInstances(Context&, const RequestContext&, object& in);
Outcome DescribeRegions(Context&, const RequestContext&, object& in);
json::array RegionList(const std::vector<std::string>& regions);
// The managed prefix list of an AWS service ("com.amazonaws.us-east-1.s3").
std::string PrefixListId(std::string_view service_name);

// vpc_endpoints.cc
Outcome CreateVpcEndpoint(Context&, const RequestContext&, object& in);
Outcome DescribeVpcEndpoints(Context&, const RequestContext&, object& in);
// vpc_endpoint_services.cc
Outcome DescribeVpcEndpointServices(Context&, const RequestContext&, object& in);
Outcome DeleteVpcEndpoints(Context&, const RequestContext&, object& in);
Outcome ModifyVpcEndpoint(Context&, const RequestContext&, object& in);

}  // namespace wharf::api::ec2
