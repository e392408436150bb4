// Amazon EC2's VPC operations (prefix ec2). Resources are arn:aws:ec2:<region>:<account>:<type>/<id>
// with the types vpc, subnet, security-group, security-group-rule, route-table,
// internet-gateway, natgateway, elastic-ip, network-interface, vpc-endpoint, instance.
// A resource a create makes has no id yet: it is <type>/*, as the reference's examples
// write it. EC2's Describe* operations have no resource type ("*").
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string Ec2(const Request& r, std::string_view type, std::string_view id) {
  return r.Arn("ec2", std::string(type) + "/" + std::string(id.empty() ? "*" : id));
}

// The resource type of an id, by its prefix (CreateTags and DeleteTags name any resource).
std::string_view TypeOfId(std::string_view id) {
  struct Prefix {
    std::string_view prefix, type;
  };
  static constexpr Prefix kPrefixes[] = {
      {"vpc-", "vpc"},           {"subnet-", "subnet"},         {"sgr-", "security-group-rule"},
      {"sg-", "security-group"}, {"rtb-", "route-table"},       {"igw-", "internet-gateway"},
      {"nat-", "natgateway"},    {"eipalloc-", "elastic-ip"},   {"eni-", "network-interface"},
      {"vpce-", "vpc-endpoint"}, {"acl-", "network-acl"},       {"i-", "instance"},
      {"pl-", "prefix-list"},    {"dopt-", "dhcp-options"},
  };
  for (const Prefix& p : kPrefixes) {
    if (id.starts_with(p.prefix)) return p.type;
  }
  return {};
}

// Tagging on create: EC2 also authorizes ec2:CreateTags on the new resource, with
// ec2:CreateAction naming the operation, when TagSpecifications carries tags.
void TagOnCreate(Request& r, std::string_view operation, std::string resource) {
  const boost::json::value* specs = r.Get("TagSpecifications");
  if (!specs || !specs->is_array()) return;
  for (const auto& spec : specs->get_array()) {
    const boost::json::object* o = spec.if_object();
    const boost::json::value* tags = o ? o->if_contains("Tags") : nullptr;
    if (!HasTags(tags)) continue;
    Check& c = r.Need("CreateTags", resource);
    AddRequestTags(c, tags);
    AddKey(c, "ec2:CreateAction", std::string(operation));
  }
}

// aws:RequestTag and aws:TagKeys on a create, from its TagSpecifications.
void SpecTags(const Request& r, Check& c) {
  const boost::json::value* specs = r.Get("TagSpecifications");
  if (!specs || !specs->is_array()) return;
  for (const auto& spec : specs->get_array()) {
    const boost::json::object* o = spec.if_object();
    if (o) AddRequestTags(c, o->if_contains("Tags"));
  }
}

// A create: the new resource (with the request's tags), then the existing resources it is
// made in, then ec2:CreateTags on the new resource.
struct Parent {
  std::string_view type, member;
};
void Create(Request& r, std::string_view action, std::string_view type, std::initializer_list<Parent> parents) {
  std::string arn = Ec2(r, type, "");
  SpecTags(r, r.Need(action, arn));
  for (const Parent& p : parents) {
    for (std::string_view id : r.Strs(p.member)) r.Need(action, Ec2(r, p.type, id));
  }
  TagOnCreate(r, action, arn);
}

// An operation on the resources named in the input, in the order given.
void On(Request& r, std::string_view action, std::initializer_list<Parent> resources) {
  for (const Parent& p : resources) {
    for (std::string_view id : r.Strs(p.member)) r.Need(action, Ec2(r, p.type, id));
  }
}

// A security group named only by GroupName (a default-VPC group) has no id in the request.
void OnGroup(Request& r, std::string_view action) { r.Need(action, Ec2(r, "security-group", r.Str("GroupId"))); }

void CreateSecurityGroup(Request& r) {
  std::string arn = Ec2(r, "security-group", "");
  Check& c = r.Need("CreateSecurityGroup", arn);
  SpecTags(r, c);
  // Without VpcId the group goes in the default VPC, whose id only the store knows.
  std::string vpc = Ec2(r, "vpc", r.Str("VpcId"));
  AddKey(c, "ec2:Vpc", vpc);
  r.Need("CreateSecurityGroup", vpc);
  TagOnCreate(r, "CreateSecurityGroup", arn);
}

// Authorize* may tag the rules it makes (security-group-rule).
void AuthorizeRules(Request& r, std::string_view action) {
  OnGroup(r, action);
  TagOnCreate(r, action, Ec2(r, "security-group-rule", ""));
}

void ModifySecurityGroupRules(Request& r) {
  OnGroup(r, "ModifySecurityGroupRules");
  const boost::json::value* rules = r.Get("SecurityGroupRules");
  if (!rules || !rules->is_array()) return;
  for (const auto& rule : rules->get_array()) {
    const boost::json::object* o = rule.if_object();
    const boost::json::value* id = o ? o->if_contains("SecurityGroupRuleId") : nullptr;
    if (id && id->is_string()) r.Need("ModifySecurityGroupRules", Ec2(r, "security-group-rule", id->get_string()));
  }
}

void Tags(Request& r, std::string_view action, bool with_values) {
  for (std::string_view id : r.Strs("Resources")) {
    std::string_view type = TypeOfId(id);
    Check& c = r.Need(action, type.empty() ? std::string("*") : Ec2(r, type, id));
    if (with_values) {
      AddRequestTags(c, r.Get("Tags"));
    } else if (const boost::json::value* tags = r.Get("Tags"); tags && tags->is_array()) {
      for (const auto& t : tags->get_array()) {
        const boost::json::object* o = t.if_object();
        const boost::json::value* k = o ? o->if_contains("Key") : nullptr;
        if (k && k->is_string()) AddKey(c, "aws:TagKeys", std::string(k->get_string()));
      }
    }
  }
}

// The association ids of DisassociateAddress and DisassociateRouteTable do not name the
// address or route table: "*" of that type.
void Any(Request& r, std::string_view action, std::string_view type) { r.Need(action, Ec2(r, type, "")); }

void Describe(Request& r, std::string_view action) { r.Need(action); }

constexpr Entry kEntries[] = {
    {"DescribeVpcs", [](Request& r) { Describe(r, "DescribeVpcs"); }},
    {"DescribeSubnets", [](Request& r) { Describe(r, "DescribeSubnets"); }},
    {"DescribeAvailabilityZones", [](Request& r) { Describe(r, "DescribeAvailabilityZones"); }},
    {"DescribeSecurityGroups", [](Request& r) { Describe(r, "DescribeSecurityGroups"); }},
    {"CreateSecurityGroup", CreateSecurityGroup},
    {"DeleteSecurityGroup", [](Request& r) { OnGroup(r, "DeleteSecurityGroup"); }},
    {"AuthorizeSecurityGroupIngress", [](Request& r) { AuthorizeRules(r, "AuthorizeSecurityGroupIngress"); }},
    {"AuthorizeSecurityGroupEgress", [](Request& r) { AuthorizeRules(r, "AuthorizeSecurityGroupEgress"); }},
    {"RevokeSecurityGroupIngress", [](Request& r) { OnGroup(r, "RevokeSecurityGroupIngress"); }},
    {"RevokeSecurityGroupEgress", [](Request& r) { OnGroup(r, "RevokeSecurityGroupEgress"); }},
    {"CreateVpc", [](Request& r) { Create(r, "CreateVpc", "vpc", {}); }},
    {"DeleteVpc", [](Request& r) { On(r, "DeleteVpc", {{"vpc", "VpcId"}}); }},
    {"DescribeVpcAttribute", [](Request& r) { On(r, "DescribeVpcAttribute", {{"vpc", "VpcId"}}); }},
    {"ModifyVpcAttribute", [](Request& r) { On(r, "ModifyVpcAttribute", {{"vpc", "VpcId"}}); }},
    {"CreateSubnet", [](Request& r) { Create(r, "CreateSubnet", "subnet", {{"vpc", "VpcId"}}); }},
    {"DeleteSubnet", [](Request& r) { On(r, "DeleteSubnet", {{"subnet", "SubnetId"}}); }},
    {"ModifySubnetAttribute", [](Request& r) { On(r, "ModifySubnetAttribute", {{"subnet", "SubnetId"}}); }},
    {"ModifySecurityGroupRules", ModifySecurityGroupRules},
    {"DescribeSecurityGroupRules", [](Request& r) { Describe(r, "DescribeSecurityGroupRules"); }},
    {"CreateInternetGateway", [](Request& r) { Create(r, "CreateInternetGateway", "internet-gateway", {}); }},
    {"AttachInternetGateway",
     [](Request& r) {
       On(r, "AttachInternetGateway", {{"internet-gateway", "InternetGatewayId"}, {"vpc", "VpcId"}});
     }},
    {"DetachInternetGateway",
     [](Request& r) {
       On(r, "DetachInternetGateway", {{"internet-gateway", "InternetGatewayId"}, {"vpc", "VpcId"}});
     }},
    {"DeleteInternetGateway",
     [](Request& r) { On(r, "DeleteInternetGateway", {{"internet-gateway", "InternetGatewayId"}}); }},
    {"DescribeInternetGateways", [](Request& r) { Describe(r, "DescribeInternetGateways"); }},
    {"AllocateAddress", [](Request& r) { Create(r, "AllocateAddress", "elastic-ip", {}); }},
    {"ReleaseAddress", [](Request& r) { On(r, "ReleaseAddress", {{"elastic-ip", "AllocationId"}}); }},
    {"DescribeAddresses", [](Request& r) { Describe(r, "DescribeAddresses"); }},
    {"DescribeAddressesAttribute",
     [](Request& r) {
       On(r, "DescribeAddressesAttribute", {{"elastic-ip", "AllocationIds"}});
     }},
    {"AssociateAddress",
     [](Request& r) {
       On(r, "AssociateAddress",
          {{"elastic-ip", "AllocationId"}, {"instance", "InstanceId"}, {"network-interface", "NetworkInterfaceId"}});
     }},
    {"DisassociateAddress", [](Request& r) { Any(r, "DisassociateAddress", "elastic-ip"); }},
    {"CreateNatGateway",
     [](Request& r) {
       Create(r, "CreateNatGateway", "natgateway", {{"subnet", "SubnetId"}, {"elastic-ip", "AllocationId"}});
     }},
    {"DeleteNatGateway", [](Request& r) { On(r, "DeleteNatGateway", {{"natgateway", "NatGatewayId"}}); }},
    {"DescribeNatGateways", [](Request& r) { Describe(r, "DescribeNatGateways"); }},
    {"CreateRouteTable", [](Request& r) { Create(r, "CreateRouteTable", "route-table", {{"vpc", "VpcId"}}); }},
    {"DeleteRouteTable", [](Request& r) { On(r, "DeleteRouteTable", {{"route-table", "RouteTableId"}}); }},
    {"DescribeRouteTables", [](Request& r) { Describe(r, "DescribeRouteTables"); }},
    {"CreateRoute", [](Request& r) { On(r, "CreateRoute", {{"route-table", "RouteTableId"}}); }},
    {"ReplaceRoute", [](Request& r) { On(r, "ReplaceRoute", {{"route-table", "RouteTableId"}}); }},
    {"DeleteRoute", [](Request& r) { On(r, "DeleteRoute", {{"route-table", "RouteTableId"}}); }},
    {"AssociateRouteTable",
     [](Request& r) {
       On(r, "AssociateRouteTable",
          {{"route-table", "RouteTableId"}, {"subnet", "SubnetId"}, {"internet-gateway", "GatewayId"}});
     }},
    {"DisassociateRouteTable", [](Request& r) { Any(r, "DisassociateRouteTable", "route-table"); }},
    {"ReplaceRouteTableAssociation",
     [](Request& r) { On(r, "ReplaceRouteTableAssociation", {{"route-table", "RouteTableId"}}); }},
    {"CreateTags", [](Request& r) { Tags(r, "CreateTags", true); }},
    {"DeleteTags", [](Request& r) { Tags(r, "DeleteTags", false); }},
    {"DescribeTags", [](Request& r) { Describe(r, "DescribeTags"); }},
    {"DescribeAccountAttributes", [](Request& r) { Describe(r, "DescribeAccountAttributes"); }},
    {"DescribePrefixLists", [](Request& r) { Describe(r, "DescribePrefixLists"); }},
    {"DescribeNetworkAcls", [](Request& r) { Describe(r, "DescribeNetworkAcls"); }},
    {"DescribeNetworkInterfaces", [](Request& r) { Describe(r, "DescribeNetworkInterfaces"); }},
    {"DescribeInstances", [](Request& r) { Describe(r, "DescribeInstances"); }},
    {"DescribeRegions", [](Request& r) { Describe(r, "DescribeRegions"); }},
    {"CreateVpcEndpoint",
     [](Request& r) {
       Create(r, "CreateVpcEndpoint", "vpc-endpoint",
              {{"vpc", "VpcId"}, {"route-table", "RouteTableIds"}, {"subnet", "SubnetIds"},
               {"security-group", "SecurityGroupIds"}});
     }},
    {"DescribeVpcEndpoints", [](Request& r) { Describe(r, "DescribeVpcEndpoints"); }},
    {"DeleteVpcEndpoints", [](Request& r) { On(r, "DeleteVpcEndpoints", {{"vpc-endpoint", "VpcEndpointIds"}}); }},
    {"ModifyVpcEndpoint",
     [](Request& r) {
       On(r, "ModifyVpcEndpoint",
          {{"vpc-endpoint", "VpcEndpointId"}, {"route-table", "AddRouteTableIds"},
           {"route-table", "RemoveRouteTableIds"}, {"subnet", "AddSubnetIds"}, {"subnet", "RemoveSubnetIds"},
           {"security-group", "AddSecurityGroupIds"}, {"security-group", "RemoveSecurityGroupIds"}});
     }},
};

}  // namespace

const ServiceTable kEc2Table = {
    "ec2", "ec2", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
