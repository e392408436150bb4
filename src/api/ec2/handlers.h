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

}  // namespace wharf::api::ec2
