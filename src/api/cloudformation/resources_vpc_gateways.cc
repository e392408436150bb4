// What a VPC reaches out with, as the AWS resource reference documents them:
//   AWS::EC2::EIP          Ref: the public address; GetAtt AllocationId, PublicIp
//   AWS::EC2::NatGateway   Ref: gateway id; GetAtt NatGatewayId. CREATE_COMPLETE once
//                          available (a gateway that fails is CREATE_FAILED with its
//                          FailureMessage), DELETE_COMPLETE once deleted (its address freed)
//   AWS::EC2::VPCEndpoint  Ref: endpoint id; GetAtt Id, CreationTimestamp, DnsEntries,
//                          NetworkInterfaceIds. Subnets, groups, route tables, the policy,
//                          IpAddressType and DnsOptions change in place (ModifyVpcEndpoint;
//                          EC2 takes ipv4 only).
#include <set>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

constexpr int kPolls = 600;  // 5 minutes at 500 ms
constexpr int kPollMs = 500;

// ---- EIP ----

Result<ProvisionedResource> CreateEip(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"InstanceId", "TransferAddress", "IpamPoolId"}));
  json::object in = Without(p, {"Tags"});
  if (auto tags = TagSpecifications(p, "elastic-ip"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "AllocateAddress"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "AllocateAddress", std::move(input.get_object())));
  std::string ip = GetString(out, "PublicIp"), allocation = GetString(out, "AllocationId");
  // Ref is the address, but the release needs the allocation: recorded as "ip|allocation"
  // until made, then the attributes hold it.
  c.Record(ip + "|" + allocation);
  ProvisionedResource made = Made(ip, {{"AllocationId", allocation}, {"PublicIp", ip}});
  return made;
}

Result<ProvisionedResource> UpdateEip(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"Domain", "NetworkBorderGroup", "PublicIpv4Pool", "InstanceId"})) {
    return controlplane::ReplacementNeeded("Domain, NetworkBorderGroup or PublicIpv4Pool changed");
  }
  std::string allocation = GetString(r.attributes, "AllocationId");
  RETURN_IF_ERROR(RetagEc2(c, allocation, r.properties, p));
  return Made(r.physical_id, r.attributes);
}

Status DeleteEip(const Caller& c, const model::StackResource& r) {
  std::string allocation = GetString(r.attributes, "AllocationId");
  if (allocation.empty() && r.physical_id.find('|') != std::string::npos) {
    allocation = r.physical_id.substr(r.physical_id.find('|') + 1);  // failed after allocating
  }
  if (allocation.empty()) return Status::OK();
  // A NAT gateway deleted just before holds the address until it is deleted.
  return DeleteWhenFree(c, "ec2", "ReleaseAddress", {{"AllocationId", allocation}}, {"InvalidAllocationID.NotFound"},
                        {"InvalidIPAddress.InUse"});
}

// ---- NatGateway ----

Result<json::object> DescribeNat(const Caller& c, const std::string& id) {
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "DescribeNatGateways", {{"NatGatewayIds", json::array{json::string(id)}}}));
  const auto& gateways = GetArray(out, "NatGateways");
  if (gateways.empty() || !gateways[0].is_object()) return json::object();
  return gateways[0].get_object();
}

Result<ProvisionedResource> CreateNatGateway(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"SecondaryAllocationIds", "SecondaryPrivateIpAddresses",
                                       "SecondaryPrivateIpAddressCount", "MaxDrainDurationSeconds",
                                       "AvailabilityMode", "AvailabilityZoneAddresses", "VpcId"}));
  json::object in = Without(p, {"Tags"});
  if (auto tags = TagSpecifications(p, "natgateway"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateNatGateway"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateNatGateway", std::move(input.get_object())));
  std::string id = GetString(GetObject(out, "NatGateway"), "NatGatewayId");
  c.Record(id);
  Status available = PollUntil(c, kPolls, kPollMs, [&]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto g, DescribeNat(c, id));
    std::string state = GetString(g, "State");
    if (state == "failed") return Status::InvalidArgument("NAT gateway " + id + " failed: " + GetString(g, "FailureMessage"));
    return state == "available";
  }, "NAT gateway " + id + " did not become available");
  RETURN_IF_ERROR(available);
  return Made(id, {{"NatGatewayId", id}});
}

Result<ProvisionedResource> UpdateNatGateway(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (changed.size() != 1 || changed[0] != "Tags") return controlplane::ReplacementNeeded("a property other than Tags changed");
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return Made(r.physical_id, {{"NatGatewayId", r.physical_id}});
}

Status DeleteNatGateway(const Caller& c, const model::StackResource& r) {
  Outcome out = c.Try("ec2", "DeleteNatGateway", {{"NatGatewayId", r.physical_id}});
  if (!out.ok()) return OkOr(out, {"NatGatewayNotFound", "InvalidNatGatewayID.NotFound"});
  return PollUntil(c, kPolls, kPollMs, [&]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto g, DescribeNat(c, r.physical_id));
    return g.empty() || GetString(g, "State") == "deleted";
  }, "NAT gateway " + r.physical_id + " was not deleted");
}

// ---- VPCEndpoint ----

Result<ProvisionedResource> EndpointMade(const Caller& c, const std::string& id) {
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "DescribeVpcEndpoints", {{"VpcEndpointIds", json::array{json::string(id)}}}));
  const auto& endpoints = GetArray(out, "VpcEndpoints");
  json::object e = endpoints.empty() || !endpoints[0].is_object() ? json::object() : endpoints[0].get_object();
  json::array dns;
  for (const auto& d : GetArray(e, "DnsEntries")) {
    if (!d.is_object()) continue;
    dns.push_back(json::string(GetString(d.get_object(), "HostedZoneId") + ":" + GetString(d.get_object(), "DnsName")));
  }
  json::object attributes{{"Id", id},
                          {"DnsEntries", std::move(dns)},
                          {"NetworkInterfaceIds", e.contains("NetworkInterfaceIds") ? e.at("NetworkInterfaceIds")
                                                                                     : json::value(json::array())}};
  if (e.contains("CreationTimestamp")) attributes["CreationTimestamp"] = e.at("CreationTimestamp");
  return Made(id, std::move(attributes));
}

// The template's DnsOptions as EC2 takes them: its PrivateDnsOnlyForInboundResolverEndpoint
// is a word (OnlyInboundResolver | AllResolvers | NotSpecified) where EC2's is a boolean, and
// "not-specified" leaves the record type to EC2.
json::object Ec2DnsOptions(const json::value& options) {
  json::object out;
  if (!options.is_object()) return out;
  std::string record = GetString(options.get_object(), "DnsRecordIpType");
  if (!record.empty() && record != "not-specified") out["DnsRecordIpType"] = record;
  std::string inbound = GetString(options.get_object(), "PrivateDnsOnlyForInboundResolverEndpoint");
  if (inbound == "OnlyInboundResolver" || inbound == "AllResolvers") {
    out["PrivateDnsOnlyForInboundResolverEndpoint"] = inbound == "OnlyInboundResolver";
  }
  return out;
}

Result<ProvisionedResource> CreateVpcEndpoint(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"ServiceNetworkArn", "ResourceConfigurationArn", "ServiceRegion"}));
  json::object in = Without(p, {"Tags", "PolicyDocument", "DnsOptions"});
  if (p.contains("PolicyDocument")) in["PolicyDocument"] = PolicyText(p.at("PolicyDocument"));
  if (p.contains("DnsOptions")) in["DnsOptions"] = Ec2DnsOptions(p.at("DnsOptions"));
  if (auto tags = TagSpecifications(p, "vpc-endpoint"); !tags.empty()) in["TagSpecifications"] = std::move(tags);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "CreateVpcEndpoint"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "CreateVpcEndpoint", std::move(input.get_object())));
  std::string id = GetString(GetObject(out, "VpcEndpoint"), "VpcEndpointId");
  c.Record(id);
  return EndpointMade(c, id);
}

// The Add*/Remove* members of ModifyVpcEndpoint that bring list property `name` from before to after.
void ListChange(const json::object& before, const json::object& after, const char* name, const char* add,
                const char* remove, json::object& in) {
  std::set<std::string> old_ids, new_ids;
  for (const auto& v : GetArray(before, name)) {
    if (v.is_string()) old_ids.insert(std::string(v.get_string()));
  }
  for (const auto& v : GetArray(after, name)) {
    if (v.is_string()) new_ids.insert(std::string(v.get_string()));
  }
  json::array added, removed;
  for (const auto& id : new_ids) {
    if (!old_ids.contains(id)) added.push_back(json::string(id));
  }
  for (const auto& id : old_ids) {
    if (!new_ids.contains(id)) removed.push_back(json::string(id));
  }
  if (!added.empty()) in[add] = std::move(added);
  if (!removed.empty()) in[remove] = std::move(removed);
}

Result<ProvisionedResource> UpdateVpcEndpoint(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"VpcId", "ServiceName", "VpcEndpointType"})) {
    return controlplane::ReplacementNeeded("VpcId, ServiceName or VpcEndpointType changed");
  }
  json::object in{{"VpcEndpointId", r.physical_id}};
  ListChange(r.properties, p, "SubnetIds", "AddSubnetIds", "RemoveSubnetIds", in);
  ListChange(r.properties, p, "SecurityGroupIds", "AddSecurityGroupIds", "RemoveSecurityGroupIds", in);
  ListChange(r.properties, p, "RouteTableIds", "AddRouteTableIds", "RemoveRouteTableIds", in);
  if (p.contains("PolicyDocument")) {
    in["PolicyDocument"] = PolicyText(p.at("PolicyDocument"));
  } else if (r.properties.contains("PolicyDocument")) {
    in["ResetPolicy"] = true;
  }
  if (p.contains("PrivateDnsEnabled")) in["PrivateDnsEnabled"] = p.at("PrivateDnsEnabled");
  if (p.contains("IpAddressType")) in["IpAddressType"] = p.at("IpAddressType");
  if (p.contains("DnsOptions")) in["DnsOptions"] = Ec2DnsOptions(p.at("DnsOptions"));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ec2", "ModifyVpcEndpoint"), in));
  RETURN_IF_ERROR(c.Call("ec2", "ModifyVpcEndpoint", std::move(input.get_object())).status());
  RETURN_IF_ERROR(RetagEc2(c, r.physical_id, r.properties, p));
  return EndpointMade(c, r.physical_id);
}

Status DeleteVpcEndpoint(const Caller& c, const model::StackResource& r) {
  ASSIGN_OR_RETURN(auto out, c.Call("ec2", "DeleteVpcEndpoints", {{"VpcEndpointIds", json::array{json::string(r.physical_id)}}}));
  for (const auto& u : GetArray(out, "Unsuccessful")) {
    if (!u.is_object()) continue;
    const auto& error = GetObject(u.get_object(), "Error");
    if (GetString(error, "Code") != "InvalidVpcEndpointId.NotFound") return Status::InvalidArgument(GetString(error, "Message"));
  }
  return Status::OK();
}

}  // namespace

void AddVpcGatewayTypes(TypeTable& types) {
  types["AWS::EC2::EIP"] = {CreateEip, UpdateEip, DeleteEip};
  types["AWS::EC2::NatGateway"] = {CreateNatGateway, UpdateNatGateway, DeleteNatGateway};
  types["AWS::EC2::VPCEndpoint"] = {CreateVpcEndpoint, UpdateVpcEndpoint, DeleteVpcEndpoint};
}

}  // namespace wharf::api::cloudformation
