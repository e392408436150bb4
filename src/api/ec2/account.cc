// What is read but not made by hand: DescribeAccountAttributes, DescribePrefixLists (AWS's
// managed service prefix lists), DescribeNetworkAcls (each VPC's default ACL, associated with
// every subnet of the VPC) and DescribeNetworkInterfaces (the interfaces NAT gateways, load
// balancers, interface endpoints and awsvpc tasks have, made from their records when shown).
#include <algorithm>
#include <map>

#include "api/ec2/handlers.h"
#include "base/crypto.h"
#include "model/ec2_network.h"
#include "model/load_balancer.h"
#include "model/task.h"
#include "model/vpc_dns.h"

namespace wharf::api::ec2 {

namespace {

std::string HexEncodeOf(std::string_view text) { return HexEncode(Sha256(text)); }

// The id a built-in thing derives from the things it belongs to ("aclassoc" + subnet, say).
std::string DerivedId(std::string_view kind, std::string_view from) {
  return std::string(kind) + "-" + HexEncodeOf(from).substr(0, 17);
}

}  // namespace

std::string PrefixListId(std::string_view service_name) { return "pl-" + HexEncodeOf(service_name).substr(0, 8); }

Outcome DescribeAccountAttributes(Context& c, const RequestContext&, object& in) {
  const std::pair<const char*, std::vector<std::string>> attributes[] = {
      {"supported-platforms", {"VPC"}},
      {"default-vpc", {DefaultVpcId(c.network())}},
      {"max-instances", {"20"}},
      {"vpc-max-security-groups-per-interface", {"5"}},
      {"max-elastic-ips", {"5"}},
      {"vpc-max-elastic-ips", {"5"}},
  };
  std::vector<std::string> names = Strings(in, "AttributeNames");
  json::array out;
  for (const auto& [name, values] : attributes) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    json::array v;
    for (const std::string& value : values) v.push_back(object{{"AttributeValue", value}});
    out.push_back(object{{"AttributeName", name}, {"AttributeValues", std::move(v)}});
  }
  return object{{"AccountAttributes", std::move(out)}};
}

Outcome DescribePrefixLists(Context&, const RequestContext& ctx, object& in) {
  auto filters = Filters::Parse(in, {{"prefix-list-id", "PrefixListId"}, {"prefix-list-name", "PrefixListName"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  json::array all;
  // The gateway endpoints' services; ids derived from the region (AWS's differ per region too).
  for (const char* service : {"dynamodb", "s3"}) {
    std::string name = "com.amazonaws." + ctx.region + "." + service;
    all.push_back(object{{"PrefixListId", PrefixListId(name)},
                         {"PrefixListName", name},
                         {"Cidrs", json::array()}});
  }
  std::sort(all.begin(), all.end(), [](const json::value& a, const json::value& b) {
    return GetString(a.as_object(), "PrefixListId") < GetString(b.as_object(), "PrefixListId");
  });
  std::vector<std::string> ids = Strings(in, "PrefixListIds");
  json::array out;
  for (const std::string& id : ids) {
    if (std::none_of(all.begin(), all.end(), [&](const json::value& p) { return GetString(p.as_object(), "PrefixListId") == id; })) {
      return AwsError::Client("InvalidPrefixListID.NotFound", "The prefix list ID '" + id + "' does not exist");
    }
  }
  for (auto& p : all) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), GetString(p.as_object(), "PrefixListId")) == ids.end()) continue;
    if (std::get<Filters>(filters).Match(p.as_object())) out.push_back(std::move(p));
  }
  object result;
  if (auto err = PageInto(in, std::move(out), "PrefixListId", "PrefixLists", PageLimits{5, 1000}, !ids.empty(),
                          "prefixListIds", result)) {
    return *err;
  }
  return result;
}

Outcome DescribeNetworkAcls(Context& c, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto subnets, controlplane::LoadRecords(c.store(), kSubnetsPrefix), Ec2Error);
  return Describe(c, in,
                  {.prefix = kNetworkAclsPrefix,
                   .ids_member = "NetworkAclIds",
                   .ids_parameter = "networkAclIds",
                   .id_member = "NetworkAclId",
                   .result_member = "NetworkAcls",
                   .fields = {{"network-acl-id", "NetworkAclId"},
                              {"vpc-id", "VpcId"},
                              {"default", "IsDefault"},
                              {"owner-id", "OwnerId"},
                              {"association.association-id", "Associations.NetworkAclAssociationId"},
                              {"association.network-acl-id", "Associations.NetworkAclId"},
                              {"association.subnet-id", "Associations.SubnetId"},
                              {"entry.rule-action", "Entries.RuleAction"},
                              {"entry.rule-number", "Entries.RuleNumber"},
                              {"entry.egress", "Entries.Egress"},
                              {"entry.cidr", "Entries.CidrBlock"},
                              {"entry.protocol", "Entries.Protocol"}},
                   .not_found = [](const std::string& id) {
                     return NotFound("InvalidNetworkAclID.NotFound", "network ACL", id);
                   },
                   .present =
                       [&](object& acl) {
                         json::array associations;
                         std::string acl_id = GetString(acl, "NetworkAclId");
                         for (const object& s : subnets) {
                           if (GetString(s, "VpcId") != GetString(acl, "VpcId")) continue;
                           std::string subnet_id = GetString(s, "SubnetId");
                           associations.push_back(object{{"NetworkAclAssociationId", DerivedId("aclassoc", subnet_id)},
                                                         {"NetworkAclId", acl_id},
                                                         {"SubnetId", subnet_id}});
                         }
                         acl["Associations"] = std::move(associations);
                         return true;
                       },
                   .paging = PageLimits{5, 1000}});
}

namespace {

object Interface(const RequestContext& ctx, const std::string& id, const object& subnet, const std::string& ip,
                 const std::string& type, const std::string& description, const std::string& requester,
                 json::array groups, const std::string& mac) {
  object eni{{"AvailabilityZone", GetString(subnet, "AvailabilityZone")},
             {"Description", description},
             {"Groups", std::move(groups)},
             {"InterfaceType", type},
             {"Ipv6Addresses", json::array()},
             {"MacAddress", mac},
             {"NetworkInterfaceId", id},
             {"OwnerId", ctx.account_id},
             {"PrivateDnsName", model::PrivateDnsName(ip, ctx.region)},
             {"PrivateIpAddress", ip},
             {"PrivateIpAddresses", json::array{object{{"Primary", true},
                                                        {"PrivateDnsName", model::PrivateDnsName(ip, ctx.region)},
                                                        {"PrivateIpAddress", ip}}}},
             {"RequesterId", requester},
             {"RequesterManaged", true},
             {"SourceDestCheck", type != "nat_gateway"},
             {"Status", "in-use"},
             {"SubnetId", GetString(subnet, "SubnetId")},
             {"TagSet", json::array()},
             {"VpcId", GetString(subnet, "VpcId")}};
  return eni;
}

// Gives `eni` its public address, with the public DNS name EC2 gives the address, on the
// interface and on its primary private address alike.
void Associate(object& eni, const RequestContext& ctx, object association) {
  association["PublicDnsName"] = model::PublicDnsName(GetString(association, "PublicIp"), ctx.region);
  eni["Association"] = association;
  eni["PrivateIpAddresses"].as_array()[0].as_object()["Association"] = std::move(association);
}

// A locally administered MAC derived from the interface id (stable across calls).
std::string MacOf(const std::string& id) {
  std::string h = HexEncodeOf(id);
  return "0e:" + h.substr(0, 2) + ":" + h.substr(2, 2) + ":" + h.substr(4, 2) + ":" + h.substr(6, 2) + ":" +
         h.substr(8, 2);
}

// {GroupId, GroupName} as an interface's Groups show a group.
object GroupOf(Context& c, const std::string& group_id) {
  auto record = ReadRecord(c.store(), SecurityGroupKey(group_id));
  std::string name = record.ok() && *record ? GetString((*record)->value, "GroupName") : "";
  return object{{"GroupId", group_id}, {"GroupName", name}};
}

}  // namespace

std::variant<std::vector<object>, AwsError> NetworkInterfaces(Context& c, const RequestContext& ctx) {
  ASSIGN_OR_FAIL(auto subnet_list, controlplane::LoadRecords(c.store(), kSubnetsPrefix), Ec2Error);
  std::map<std::string, object> subnets;
  for (object& s : subnet_list) subnets[GetString(s, "SubnetId")] = std::move(s);
  std::vector<object> all;
  ASSIGN_OR_FAIL(auto nats, controlplane::LoadRecords(c.store(), kNatGatewaysPrefix), Ec2Error);
  for (const object& n : nats) {
    if (!model::NatGatewayRecord(n).holds_resources()) continue;
    auto subnet = subnets.find(GetString(n, "SubnetId"));
    if (subnet == subnets.end()) continue;
    for (const auto& av : GetArray(n, "NatGatewayAddresses")) {
      const object& a = av.as_object();
      std::string id = GetString(a, "NetworkInterfaceId");
      object eni = Interface(ctx, id, subnet->second, GetString(a, "PrivateIp"), "nat_gateway",
                             "Interface for NAT Gateway " + GetString(n, "NatGatewayId"), "amazon-aws",
                             json::array(), MacOf(id));
      if (Has(a, "PublicIp")) {
        Associate(eni, ctx, object{{"AllocationId", GetString(a, "AllocationId")},
                                   {"AssociationId", GetString(a, "AssociationId")},
                                   {"IpOwnerId", ctx.account_id},
                                   {"PublicIp", GetString(a, "PublicIp")}});
      }
      eni["Attachment"] = object{{"AttachmentId", DerivedId("ela-attach", id)},
                                 {"DeviceIndex", 1},
                                 {"InstanceOwnerId", "amazon-aws"},
                                 {"Status", "attached"}};
      all.push_back(std::move(eni));
    }
  }
  // awsvpc tasks: an interface for every task that holds its address (not yet STOPPED).
  ASSIGN_OR_FAIL(auto tasks, controlplane::LoadRecords(c.store(), model::keys::kTasks), Ec2Error);
  for (const object& t : tasks) {
    model::TaskRecord task(t);
    auto eni = task.eni();
    if (!eni || eni->eni_id.empty() || task.stopped()) continue;
    auto subnet = subnets.find(eni->subnet_id);
    if (subnet == subnets.end()) continue;
    json::array groups;
    for (const auto& g : GetArray(GetObject(t, "_wharf"), "securityGroups")) {
      if (g.is_string()) groups.push_back(GroupOf(c, std::string(g.get_string())));
    }
    // As ECS shows a Fargate task's interface: described by its attachment, owned by ECS.
    std::string arn_prefix = task.arn().substr(0, task.arn().find(":task/"));
    object e = Interface(ctx, eni->eni_id, subnet->second, eni->ip, "interface",
                         arn_prefix + ":attachment/" + eni->attachment_id, "578734482556", std::move(groups), eni->mac);
    e["Attachment"] = object{{"AttachmentId", DerivedId("eni-attach", eni->eni_id)},
                             {"DeviceIndex", 1},
                             {"InstanceOwnerId", "578734482556"},
                             {"Status", "attached"}};
    if (!eni->public_ip.empty()) {
      // An address ECS assigned (assignPublicIp ENABLED) is owned by amazon, as EC2 shows it.
      Associate(e, ctx, object{{"IpOwnerId", "amazon"}, {"PublicIp", eni->public_ip}});
    }
    all.push_back(std::move(e));
  }
  // Load balancers: an interface in each of their subnets, as ELB shows them.
  ASSIGN_OR_FAIL(auto lbs, controlplane::LoadRecords(c.store(), model::keys::kLoadBalancers), Ec2Error);
  for (const object& record : lbs) {
    model::LoadBalancerRecord lb(record);
    json::array groups;
    for (const std::string& group_id : lb.security_groups()) groups.push_back(GroupOf(c, group_id));
    for (const auto& i : lb.interfaces()) {
      auto subnet = subnets.find(i.subnet_id);
      if (subnet == subnets.end()) continue;
      object e = Interface(ctx, i.network_interface_id, subnet->second, i.ip, "interface",
                           "ELB " + lb.resource_id(), "amazon-elb", groups, MacOf(i.network_interface_id));
      e["Attachment"] = object{{"AttachmentId", DerivedId("ela-attach", i.network_interface_id)},
                               {"DeleteOnTermination", false},
                               {"DeviceIndex", 1},
                               {"InstanceOwnerId", "amazon-elb"},
                               {"Status", "attached"}};
      if (!i.public_ip.empty()) {
        // An internet-facing load balancer's address is owned by amazon, as EC2 shows it.
        Associate(e, ctx, object{{"IpOwnerId", "amazon"}, {"PublicIp", i.public_ip}});
      }
      all.push_back(std::move(e));
    }
  }
  // Interface endpoints: an interface in each of their subnets, as EC2 shows them.
  ASSIGN_OR_FAIL(auto endpoints, controlplane::LoadRecords(c.store(), kVpcEndpointsPrefix), Ec2Error);
  for (const object& endpoint : endpoints) {
    if (GetString(endpoint, "VpcEndpointType") != "Interface") continue;
    const json::array& subnet_ids = GetArray(endpoint, "SubnetIds");
    const json::array& eni_ids = GetArray(endpoint, "NetworkInterfaceIds");
    const object& addresses = GetObject(GetObject(endpoint, "_wharf"), "addresses");
    json::array groups;
    for (const auto& g : GetArray(endpoint, "Groups")) {
      if (g.is_object()) groups.push_back(GroupOf(c, GetString(g.get_object(), "GroupId")));
    }
    for (size_t i = 0; i < subnet_ids.size() && i < eni_ids.size(); ++i) {
      if (!subnet_ids[i].is_string() || !eni_ids[i].is_string()) continue;
      auto subnet = subnets.find(std::string(subnet_ids[i].get_string()));
      std::string ip = GetString(addresses, std::string_view(subnet_ids[i].get_string()));
      if (subnet == subnets.end() || ip.empty()) continue;
      std::string id(eni_ids[i].get_string());
      object e = Interface(ctx, id, subnet->second, ip, "vpc_endpoint",
                           "VPC Endpoint Interface " + GetString(endpoint, "VpcEndpointId"), "amazon-aws", groups,
                           MacOf(id));
      e["Attachment"] = object{{"AttachmentId", DerivedId("ela-attach", id)},
                               {"DeleteOnTermination", false},
                               {"DeviceIndex", 1},
                               {"InstanceOwnerId", "amazon-aws"},
                               {"Status", "attached"}};
      all.push_back(std::move(e));
    }
  }
  std::sort(all.begin(), all.end(), [](const object& a, const object& b) {
    return GetString(a, "NetworkInterfaceId") < GetString(b, "NetworkInterfaceId");
  });
  // Elastic IPs associated with an interface (AssociateAddress; a NAT gateway's own shows it already).
  ASSIGN_OR_FAIL(auto addresses, controlplane::LoadRecords(c.store(), kAddressesPrefix), Ec2Error);
  for (const object& a : addresses) {
    std::string eni_id = GetString(a, "NetworkInterfaceId");
    if (eni_id.empty()) continue;
    for (object& e : all) {
      // An elastic IP takes the place of the address ECS assigned (owned by amazon), as on AWS.
      if (GetString(e, "NetworkInterfaceId") != eni_id) continue;
      if (Has(e, "Association") && GetString(GetObject(e, "Association"), "IpOwnerId") != "amazon") continue;
      object association{{"AllocationId", GetString(a, "AllocationId")},
                         {"AssociationId", GetString(a, "AssociationId")},
                         {"IpOwnerId", ctx.account_id},
                         {"PublicIp", GetString(a, "PublicIp")}};
      e["Association"] = association;
      e["PrivateIpAddresses"].as_array()[0].as_object()["Association"] = association;
    }
  }
  return all;
}

Outcome DescribeNetworkInterfaces(Context& c, const RequestContext& ctx, object& in) {
  auto filters = Filters::Parse(in, {{"network-interface-id", "NetworkInterfaceId"},
                                     {"subnet-id", "SubnetId"},
                                     {"vpc-id", "VpcId"},
                                     {"availability-zone", "AvailabilityZone"},
                                     {"interface-type", "InterfaceType"},
                                     {"description", "Description"},
                                     {"requester-id", "RequesterId"},
                                     {"requester-managed", "RequesterManaged"},
                                     {"status", "Status"},
                                     {"owner-id", "OwnerId"},
                                     {"private-ip-address", "PrivateIpAddress"},
                                     {"addresses.private-ip-address", "PrivateIpAddresses.PrivateIpAddress"},
                                     {"group-id", "Groups.GroupId"},
                                     {"attachment.status", "Attachment.Status"},
                                     {"attachment.attachment-id", "Attachment.AttachmentId"},
                                     {"attachment.instance-owner-id", "Attachment.InstanceOwnerId"},
                                     {"attachment.device-index", "Attachment.DeviceIndex"},
                                     {"group-name", "Groups.GroupName"},
                                     {"mac-address", "MacAddress"},
                                     {"association.public-ip", "Association.PublicIp"},
                                     {"association.allocation-id", "Association.AllocationId"},
                                     {"association.association-id", "Association.AssociationId"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  auto listed = NetworkInterfaces(c, ctx);
  if (auto* err = std::get_if<AwsError>(&listed)) return *err;
  std::vector<object>& all = std::get<std::vector<object>>(listed);
  std::vector<std::string> ids = Strings(in, "NetworkInterfaceIds");
  for (const std::string& id : ids) {
    if (std::none_of(all.begin(), all.end(), [&](const object& e) { return GetString(e, "NetworkInterfaceId") == id; })) {
      return NotFound("InvalidNetworkInterfaceID.NotFound", "network interface", id);
    }
  }
  json::array out;
  for (object& e : all) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), GetString(e, "NetworkInterfaceId")) == ids.end()) continue;
    if (std::get<Filters>(filters).Match(e)) out.push_back(std::move(e));
  }
  object result;
  if (auto err = PageInto(in, std::move(out), "NetworkInterfaceId", "NetworkInterfaces", PageLimits{5, 1000},
                          !ids.empty(), "networkInterfaceIds", result)) {
    return *err;
  }
  return result;
}

}  // namespace wharf::api::ec2
