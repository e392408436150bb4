// The EC2 API (the "ec2" dialect of the Query protocol, 2016-11-15), for networking only:
// what the aws CLI, boto3 and Terraform's aws_vpc, aws_subnet, aws_internet_gateway, aws_eip,
// aws_nat_gateway, aws_route_table(_association), aws_route, aws_security_group(_rule),
// aws_vpc_security_group_ingress/egress_rule and aws_default_* resources call.
//
// Operations: VPCs (Create/Delete/DescribeVpcs, Modify/DescribeVpcAttribute), subnets
// (Create/Delete/DescribeSubnets, ModifySubnetAttribute), DescribeAvailabilityZones, internet
// gateways, elastic IPs, NAT gateways, route tables with routes and associations, security
// groups and their rules (by IpPermissions or SecurityGroupRuleIds), tags, account
// attributes, prefix lists, network ACLs and network interfaces (handlers.h lists them).
// Filters, id lists, MaxResults/NextToken, DryRun and the error codes and messages are
// AWS's (InvalidVpcID.NotFound, InvalidSubnet.Range, InvalidSubnet.Conflict,
// DependencyViolation, ...). Deletes refuse while something depends on the resource.
//
// State is network.h's. Every operation first makes sure the default VPC exists, so a
// dev-mode reset of the store does not leave EC2 without one.
//
// Thread-safety: handlers may run on many loops at once; writes are revision-checked
// transactions retried on conflict.
#pragma once

#include <string>
#include <vector>

#include "api/ec2/network.h"
#include "api/front_door.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api::ec2 {

struct Ec2Deps {
  store::Store& store;
  NetworkOptions network;
  Random* random = nullptr;  // ids of new groups and rules; a SecureRandom of its own when null
  // The regions the server answers for, as DescribeRegions lists them; empty: network.region.
  std::vector<std::string> regions = {};
};

// Builds the endpoint with every implemented operation.
Result<ServiceEndpoint> MakeEc2Endpoint(const Ec2Deps& deps);

}  // namespace wharf::api::ec2
