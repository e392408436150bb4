// The VPC itself and its routing, as the AWS resource reference documents them:
//   AWS::EC2::VPC                          Ref: vpc id; GetAtt VpcId, CidrBlock, CidrBlockAssociations,
//                                          DefaultSecurityGroup, DefaultNetworkAcl, Ipv6CidrBlocks
//   AWS::EC2::Subnet                       Ref: subnet id; GetAtt SubnetId, VpcId, AvailabilityZone,
//                                          AvailabilityZoneId, CidrBlock, Ipv6CidrBlocks, NetworkAclAssociationId
//   AWS::EC2::InternetGateway              Ref: gateway id; GetAtt InternetGatewayId
//   AWS::EC2::VPCGatewayAttachment         Ref: "IGW|<vpc id>" (the provider's physical id)
//   AWS::EC2::RouteTable                   Ref: route table id; GetAtt RouteTableId
//   AWS::EC2::Route                        Ref: "<route table id>|<destination>"; GetAtt CidrBlock
//   AWS::EC2::SubnetRouteTableAssociation  Ref: association id; GetAtt Id
// Tags change in place (CreateTags/DeleteTags), as do a VPC's DNS attributes, a subnet's
// MapPublicIpOnLaunch, a route's target (ReplaceRoute) and an association's route table
// (ReplaceRouteTableAssociation); every other change replaces, as AWS documents.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

json::object First(const json::object& out, std::string_view list) {
  const auto& items = GetArray(out, list);
  return items.empty() || !items[0].is_object() ? json::object() : items[0].get_object();
}

json::array OneId(const std::string& id) { return json::array{json::string(id)}; }

json::object Filter(std::string_view name, std::string_view value) {
  return json::object{{"Name", name}, {"Values", json::array{json::string(value)}}};
}

// ---- VPC ----

Status ApplyVpcAttributes(const Caller& c, const std::string& id, const json::object& p) {
  for (const char* attribute : {"EnableDnsSupport", "EnableDnsHostnames"}) {
    if (!p.contains(attribute)) continue;
    ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("ec2", "ModifyVpcAttribute"),
                                             json::object{{"VpcId", id}, {attribute, json::object{{"Value", p.at(attribute)}}}}));
    RETURN_IF_ERROR(c.Call("ec2", "ModifyVpcAttribute", std::move(in.get_object())).status());
  }
  return Status::OK();
}

Result<ProvisionedResource> VpcMade(const Caller& c, const std::string& id) {
  ASSIGN_OR_RETURN(auto vpcs, c.Call("ec2", "DescribeVpcs", {{"VpcIds", OneId(id)}}));
  json::object vpc = First(vpcs, "Vpcs");
  json::array associations, ipv6;
  for (const auto& a : GetArray(vpc, "CidrBlockAssociationSet")) {
    if (a.is_object()) associations.push_back(json::string(GetString(a.get_object(), "AssociationId")));
  }
  ASSIGN_OR_RETURN(auto groups, c.Call("ec2", "DescribeSecurityGroups",
                                       {{"Filters", json::array{Filter("vpc-id", id), Filter("group-name", "default")}}}));
  ASSIGN_OR_RETURN(auto acls, c.Call("ec2", "DescribeNetworkAcls",
                                     {{"Filters", json::array{Filter("vpc-id", id), Filter("default", "true")}}}));
  return Made(id, {{"VpcId", id},
                   {"CidrBlock", GetString(vpc, "CidrBlock")},
                   {"CidrBlockAssociations", std::move(associations)},
                   {"DefaultSecurityGroup", GetString(First(groups, "SecurityGroups"), "GroupId")},
                   {"DefaultNetworkAcl", GetString(First(acls, "NetworkAcls"), "NetworkAclId")},
                   {"Ipv6CidrBlocks", std::move(ipv6)}});
}

Result<ProvisionedResource> CreateVpc(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"Ipv4IpamPoolId", "Ipv4NetmaskLength"}));
  json::object in = Without(p, {"Tags", "EnableDnsSupport", "EnableDnsHostnames"});
  if (auto tags = TagSpecifications(p, "vpc"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateVpc"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateVpc", std::move(input.get_object())));
  std::string id = GetString(GetObject(out, "Vpc"), "VpcId");
  c.Record(id);
  RETURN_IF_ERROR(ApplyVpcAttributes(c, id, p));
  return VpcMade(c, id);
}

Result<ProvisionedResource> UpdateVpc(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"CidrBlock", "InstanceTenancy"})) {
    return controlplane::ReplacementNeeded("CidrBlock or InstanceTenancy changed");
  }
  RETURN_IF_ERROR(ApplyVpcAttributes(c, r.physical_id, p));
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return VpcMade(c, r.physical_id);
}

Status DeleteVpc(const Caller& c, const model::StackResource& r) {
  return DeleteWhenFree(c, "ec2", "DeleteVpc", {{"VpcId", r.physical_id}}, {"InvalidVpcID.NotFound"});
}

// ---- Subnet ----

Status ApplySubnetAttributes(const Caller& c, const std::string& id, const json::object& p) {
  if (!p.contains("MapPublicIpOnLaunch")) return Status::OK();
  ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("ec2", "ModifySubnetAttribute"),
                                           json::object{{"SubnetId", id},
                                                        {"MapPublicIpOnLaunch", json::object{{"Value", p.at("MapPublicIpOnLaunch")}}}}));
  return c.Call("ec2", "ModifySubnetAttribute", std::move(in.get_object())).status();
}

Result<ProvisionedResource> SubnetMade(const Caller& c, const std::string& id) {
  ASSIGN_OR_RETURN(auto subnets, c.Call("ec2", "DescribeSubnets", {{"SubnetIds", OneId(id)}}));
  json::object s = First(subnets, "Subnets");
  ASSIGN_OR_RETURN(auto acls, c.Call("ec2", "DescribeNetworkAcls", {{"Filters", json::array{Filter("association.subnet-id", id)}}}));
  std::string acl_association;
  json::object acl = First(acls, "NetworkAcls");
  for (const auto& a : GetArray(acl, "Associations")) {
    if (a.is_object() && GetString(a.get_object(), "SubnetId") == id) {
      acl_association = GetString(a.get_object(), "NetworkAclAssociationId");
    }
  }
  return Made(id, {{"SubnetId", id},
                   {"VpcId", GetString(s, "VpcId")},
                   {"AvailabilityZone", GetString(s, "AvailabilityZone")},
                   {"AvailabilityZoneId", GetString(s, "AvailabilityZoneId")},
                   {"CidrBlock", GetString(s, "CidrBlock")},
                   {"Ipv6CidrBlocks", json::array()},
                   {"NetworkAclAssociationId", acl_association}});
}

Result<ProvisionedResource> CreateSubnet(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6CidrBlock", "Ipv6Native",
                                       "AssignIpv6AddressOnCreation", "EnableDns64", "PrivateDnsNameOptionsOnLaunch",
                                       "OutpostArn"}));
  json::object in = Without(p, {"Tags", "MapPublicIpOnLaunch"});
  if (auto tags = TagSpecifications(p, "subnet"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateSubnet"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateSubnet", std::move(input.get_object())));
  std::string id = GetString(GetObject(out, "Subnet"), "SubnetId");
  c.Record(id);
  RETURN_IF_ERROR(ApplySubnetAttributes(c, id, p));
  return SubnetMade(c, id);
}

Result<ProvisionedResource> UpdateSubnet(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId"})) {
    return controlplane::ReplacementNeeded("VpcId, CidrBlock or AvailabilityZone changed");
  }
  if (!p.contains("MapPublicIpOnLaunch") && r.properties.contains("MapPublicIpOnLaunch")) {
    json::object off = p;
    off["MapPublicIpOnLaunch"] = false;
    RETURN_IF_ERROR(ApplySubnetAttributes(c, r.physical_id, off));
  } else {
    RETURN_IF_ERROR(ApplySubnetAttributes(c, r.physical_id, p));
  }
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return SubnetMade(c, r.physical_id);
}

Status DeleteSubnet(const Caller& c, const model::StackResource& r) {
  return DeleteWhenFree(c, "ec2", "DeleteSubnet", {{"SubnetId", r.physical_id}}, {"InvalidSubnetID.NotFound"});
}

// ---- InternetGateway and its attachment ----

Result<ProvisionedResource> CreateInternetGateway(const Caller& c, std::string_view, const json::object& p) {
  json::object in;
  if (auto tags = TagSpecifications(p, "internet-gateway"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  RETURN_IF_ERROR(ToInput(InputShape("ec2", "CreateInternetGateway"), Without(p, {"Tags"})).status());
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateInternetGateway", std::move(in)));
  std::string id = GetString(GetObject(out, "InternetGateway"), "InternetGatewayId");
  return Made(id, {{"InternetGatewayId", id}});
}

Result<ProvisionedResource> UpdateInternetGateway(const Caller& c, const model::StackResource& r, const json::object& p) {
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return Made(r.physical_id, {{"InternetGatewayId", r.physical_id}});
}

Status DeleteInternetGateway(const Caller& c, const model::StackResource& r) {
  return DeleteWhenFree(c, "ec2", "DeleteInternetGateway", {{"InternetGatewayId", r.physical_id}},
                        {"InvalidInternetGatewayID.NotFound"});
}

Result<ProvisionedResource> CreateGatewayAttachment(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"VpnGatewayId"}));
  std::string vpc = GetString(p, "VpcId"), gateway = GetString(p, "InternetGatewayId");
  if (vpc.empty() || gateway.empty()) {
    return Status::InvalidArgument("Properties validation failed: #: required key [VpcId] and [InternetGatewayId] not found");
  }
  RETURN_IF_ERROR(c.Call("ec2", "AttachInternetGateway", {{"VpcId", vpc}, {"InternetGatewayId", gateway}}).status());
  return Made("IGW|" + vpc);
}

Status DeleteGatewayAttachment(const Caller& c, const model::StackResource& r) {
  // NAT gateways and addresses of the VPC deleted just before may still be releasing.
  return DeleteWhenFree(c, "ec2", "DetachInternetGateway",
                        {{"VpcId", GetString(r.properties, "VpcId")},
                         {"InternetGatewayId", GetString(r.properties, "InternetGatewayId")}},
                        {"Gateway.NotAttached", "InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"});
}

// ---- RouteTable, Route, SubnetRouteTableAssociation ----

Result<ProvisionedResource> CreateRouteTable(const Caller& c, std::string_view, const json::object& p) {
  json::object in = Without(p, {"Tags"});
  if (auto tags = TagSpecifications(p, "route-table"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateRouteTable"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateRouteTable", std::move(input.get_object())));
  std::string id = GetString(GetObject(out, "RouteTable"), "RouteTableId");
  return Made(id, {{"RouteTableId", id}});
}

Result<ProvisionedResource> UpdateRouteTable(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"VpcId"})) return controlplane::ReplacementNeeded("VpcId changed");
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return Made(r.physical_id, {{"RouteTableId", r.physical_id}});
}

Status DeleteRouteTable(const Caller& c, const model::StackResource& r) {
  return DeleteWhenFree(c, "ec2", "DeleteRouteTable", {{"RouteTableId", r.physical_id}}, {"InvalidRouteTableID.NotFound"});
}

std::string Destination(const json::object& p) {
  for (const char* d : {"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"}) {
    if (p.contains(d)) return GetString(p, d);
  }
  return "";
}

const std::initializer_list<const char*> kUnsupportedRouteTargets = {
    "CarrierGatewayId", "CoreNetworkArn", "EgressOnlyInternetGatewayId", "InstanceId", "LocalGatewayId",
    "TransitGatewayId", "VpcPeeringConnectionId", "DestinationIpv6CidrBlock"};

Result<ProvisionedResource> CreateRoute(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, kUnsupportedRouteTargets));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateRoute"), p));
  RETURN_IF_ERROR(c.Call("ec2", "CreateRoute", std::move(input.get_object())).status());
  std::string destination = Destination(p);
  return Made(GetString(p, "RouteTableId") + "|" + destination, {{"CidrBlock", destination}});
}

Result<ProvisionedResource> UpdateRoute(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"RouteTableId", "DestinationCidrBlock", "DestinationPrefixListId"})) {
    return controlplane::ReplacementNeeded("RouteTableId or the destination changed");
  }
  RETURN_IF_ERROR(RefuseProperties(p, kUnsupportedRouteTargets));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "ReplaceRoute"), p));
  RETURN_IF_ERROR(c.Call("ec2", "ReplaceRoute", std::move(input.get_object())).status());
  return Made(r.physical_id, {{"CidrBlock", Destination(p)}});
}

Status DeleteRoute(const Caller& c, const model::StackResource& r) {
  json::object in{{"RouteTableId", GetString(r.properties, "RouteTableId")}};
  for (const char* d : {"DestinationCidrBlock", "DestinationPrefixListId"}) {
    if (r.properties.contains(d)) in[d] = r.properties.at(d);
  }
  return OkOr(c.Try("ec2", "DeleteRoute", std::move(in)), {"InvalidRoute.NotFound", "InvalidRouteTableID.NotFound"});
}

Result<ProvisionedResource> CreateAssociation(const Caller& c, std::string_view, const json::object& p) {
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "AssociateRouteTable"), p));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "AssociateRouteTable", std::move(input.get_object())));
  std::string id = GetString(out, "AssociationId");
  return Made(id, {{"Id", id}});
}

Result<ProvisionedResource> UpdateAssociation(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"SubnetId"})) return controlplane::ReplacementNeeded("SubnetId changed");
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "ReplaceRouteTableAssociation",
                                    {{"AssociationId", r.physical_id}, {"RouteTableId", GetString(p, "RouteTableId")}}));
  std::string id = GetString(out, "NewAssociationId");
  return Made(id, {{"Id", id}});
}

Status DeleteAssociation(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("ec2", "DisassociateRouteTable", {{"AssociationId", r.physical_id}}),
              {"InvalidAssociationID.NotFound"});
}

}  // namespace

void AddVpcTypes(TypeTable& types) {
  types["AWS::EC2::VPC"] = {CreateVpc, UpdateVpc, DeleteVpc};
  types["AWS::EC2::Subnet"] = {CreateSubnet, UpdateSubnet, DeleteSubnet};
  types["AWS::EC2::InternetGateway"] = {CreateInternetGateway, UpdateInternetGateway, DeleteInternetGateway};
  types["AWS::EC2::VPCGatewayAttachment"] = {CreateGatewayAttachment, nullptr, DeleteGatewayAttachment};
  types["AWS::EC2::RouteTable"] = {CreateRouteTable, UpdateRouteTable, DeleteRouteTable};
  types["AWS::EC2::Route"] = {CreateRoute, UpdateRoute, DeleteRoute};
  types["AWS::EC2::SubnetRouteTableAssociation"] = {CreateAssociation, UpdateAssociation, DeleteAssociation};
}

}  // namespace wharf::api::cloudformation
