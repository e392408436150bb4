#include "api/ec2/ec2.h"

#include "api/ec2/common.h"
#include "api/ec2/handlers.h"
#include "base/logging.h"

namespace wharf::api::ec2 {

Result<ServiceEndpoint> MakeEc2Endpoint(const Ec2Deps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("ec2"));
  endpoint.validation_error = "InvalidParameterValue";
  endpoint.to_error = Ec2Error;
  auto context = std::make_shared<Context>(deps);
  using Fn = Outcome (*)(Context&, const RequestContext&, boost::json::object&);
  const std::pair<const char*, Fn> operations[] = {
      {"DescribeVpcs", DescribeVpcs},
      {"DescribeSubnets", DescribeSubnets},
      {"DescribeAvailabilityZones", DescribeAvailabilityZones},
      {"DescribeSecurityGroups", DescribeSecurityGroups},
      {"CreateSecurityGroup", CreateSecurityGroup},
      {"DeleteSecurityGroup", DeleteSecurityGroup},
      {"AuthorizeSecurityGroupIngress", AuthorizeSecurityGroupIngress},
      {"AuthorizeSecurityGroupEgress", AuthorizeSecurityGroupEgress},
      {"RevokeSecurityGroupIngress", RevokeSecurityGroupIngress},
      {"RevokeSecurityGroupEgress", RevokeSecurityGroupEgress},
      {"CreateVpc", CreateVpc},
      {"DeleteVpc", DeleteVpc},
      {"DescribeVpcAttribute", DescribeVpcAttribute},
      {"ModifyVpcAttribute", ModifyVpcAttribute},
      {"CreateSubnet", CreateSubnet},
      {"DeleteSubnet", DeleteSubnet},
      {"ModifySubnetAttribute", ModifySubnetAttribute},
      {"ModifySecurityGroupRules", ModifySecurityGroupRules},
      {"DescribeSecurityGroupRules", DescribeSecurityGroupRules},
      {"CreateInternetGateway", CreateInternetGateway},
      {"AttachInternetGateway", AttachInternetGateway},
      {"DetachInternetGateway", DetachInternetGateway},
      {"DeleteInternetGateway", DeleteInternetGateway},
      {"DescribeInternetGateways", DescribeInternetGateways},
      {"AllocateAddress", AllocateAddress},
      {"ReleaseAddress", ReleaseAddress},
      {"DescribeAddresses", DescribeAddresses},
      {"DescribeAddressesAttribute", DescribeAddressesAttribute},
      {"AssociateAddress", AssociateAddress},
      {"DisassociateAddress", DisassociateAddress},
      {"CreateNatGateway", CreateNatGateway},
      {"DeleteNatGateway", DeleteNatGateway},
      {"DescribeNatGateways", DescribeNatGateways},
      {"CreateRouteTable", CreateRouteTable},
      {"DeleteRouteTable", DeleteRouteTable},
      {"DescribeRouteTables", DescribeRouteTables},
      {"CreateRoute", CreateRoute},
      {"ReplaceRoute", ReplaceRoute},
      {"DeleteRoute", DeleteRoute},
      {"AssociateRouteTable", AssociateRouteTable},
      {"DisassociateRouteTable", DisassociateRouteTable},
      {"ReplaceRouteTableAssociation", ReplaceRouteTableAssociation},
      {"CreateTags", CreateTags},
      {"DeleteTags", DeleteTags},
      {"DescribeTags", DescribeTags},
      {"DescribeAccountAttributes", DescribeAccountAttributes},
      {"DescribePrefixLists", DescribePrefixLists},
      {"DescribeNetworkAcls", DescribeNetworkAcls},
      {"DescribeNetworkInterfaces", DescribeNetworkInterfaces},
      {"DescribeInstances", DescribeInstances},
      {"DescribeRegions", DescribeRegions},
      {"CreateVpcEndpoint", CreateVpcEndpoint},
      {"DescribeVpcEndpoints", DescribeVpcEndpoints},
      {"DeleteVpcEndpoints", DeleteVpcEndpoints},
      {"ModifyVpcEndpoint", ModifyVpcEndpoint},
      {"DescribeVpcEndpointServices", DescribeVpcEndpointServices},
  };
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("EC2 model has no operation ") + name);
    }
    endpoint.operations[name] = [context, fn = fn](const RequestContext& ctx,
                                                   boost::json::object& in) -> Outcome {
      // After a dev-mode reset the store is empty: the default VPC comes back on first use.
      Status ensured = EnsureDefaultVpc(context->store(), context->network());
      if (!ensured.ok()) {
        LOG_WARN("msg=\"default VPC not ensured\" error=\"{}\"", ensured.ToString());
      }
      if (GetBool(in, "DryRun").value_or(false)) {
        return AwsError{"DryRunOperation", "Request would have succeeded, but DryRun flag is set.",
                        412};
      }
      return fn(*context, ctx, in);
    };
  }
  // aws:ResourceTag/<key> of VPCs, subnets, security groups, gateways, route tables...
  endpoint.resource_tags = [context](std::string_view arn) { return ResourceTagsOf(*context, arn); };
  return endpoint;
}

}  // namespace wharf::api::ec2
