// The EC2 API (the "ec2" dialect of the Query protocol, 2016-11-15), for networking only:
// the default VPC, its subnets and availability zones, and security groups with their rules,
// so that `aws ec2 describe-subnets` gives the ids an ECS awsvpcConfiguration takes and
// terraform's aws_security_group works.
//
// Operations: DescribeVpcs, DescribeSubnets, DescribeAvailabilityZones,
// DescribeSecurityGroups, CreateSecurityGroup, DeleteSecurityGroup,
// AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupIngress/Egress. Filters, id and
// name lists, DryRun and the error codes are AWS's (InvalidSubnetID.NotFound,
// InvalidGroup.NotFound, InvalidGroup.Duplicate, InvalidPermission.Duplicate, ...). Results
// are not paged: a server has a handful of these resources.
//
// State is network.h's. Every operation first makes sure the default VPC exists, so a
// dev-mode reset of the store does not leave EC2 without one.
//
// Thread-safety: handlers may run on many loops at once; writes are revision-checked
// transactions retried on conflict.
#pragma once

#include "api/ec2/network.h"
#include "api/front_door.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api::ec2 {

struct Ec2Deps {
  store::Store& store;
  NetworkOptions network;
  Random* random = nullptr;  // ids of new groups and rules; a SecureRandom of its own when null
};

// Builds the endpoint with every implemented operation.
Result<ServiceEndpoint> MakeEc2Endpoint(const Ec2Deps& deps);

}  // namespace wharf::api::ec2
