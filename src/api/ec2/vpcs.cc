// CreateVpc, DeleteVpc, ModifyVpcAttribute and DescribeVpcAttribute.
//
// A VPC is made with its main route table, `default` security group and default network ACL
// in one transaction, and they go with it. Creating anything inside a VPC rewrites the VPC
// record, so a DeleteVpc that read the VPC empty and compares the VPC's revision cannot
// commit past a child created meanwhile.
#include <algorithm>
#include <cctype>

#include "api/ec2/handlers.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"

namespace wharf::api::ec2 {

namespace vpc = controlplane::vpc;

namespace {

// The VPC attributes ModifyVpcAttribute and DescribeVpcAttribute name (model::VpcRecord
// keeps them; DescribeVpcAttribute's output member is the name with a capital).
constexpr std::string_view kAttributes[] = {"enableDnsSupport", "enableDnsHostnames",
                                            "enableNetworkAddressUsageMetrics"};

bool Attribute(const object& vpc_record, std::string_view name) { return model::VpcRecord(vpc_record).attribute(name); }

}  // namespace

std::variant<Record, AwsError> FindVpc(Context& c, std::string_view id) {
  auto found = ReadRecord(c.store(), VpcKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidVpcID.NotFound", "vpc", id);
  return std::move(**found);
}

void TouchParent(store::Txn& txn, const Record& parent) {
  txn.compares.push_back({parent.key, parent.mod_revision});
  txn.ops.push_back(store::Op::Put(parent.key, Serialize(parent.value)));
}

Outcome CreateVpc(Context& c, const RequestContext& ctx, object& in) {
  std::string cidr = GetString(in, "CidrBlock");
  if (cidr.empty()) {
    if (Has(in, "Ipv4IpamPoolId")) return InvalidParameterValue("wharf has no IPAM pools; give CidrBlock");
    return MissingParameter("cidrBlock");
  }
  switch (vpc::CheckVpcCidr(cidr)) {
    case vpc::CidrVerdict::kMalformed:
      return InvalidParameterValue("Value (" + cidr + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.");
    case vpc::CidrVerdict::kOutOfRange:
      return AwsError::Client("InvalidVpc.Range", "The CIDR '" + cidr + "' is invalid.");
    default:
      break;
  }
  auto block = *vpc::ParseIpv4Cidr(cidr);
  block.address = block.Network();
  cidr = vpc::FormatIpv4Cidr(block);
  std::string tenancy = GetString(in, "InstanceTenancy", "default");
  if (tenancy != "default" && tenancy != "dedicated") {
    return InvalidParameterValue("Value (" + tenancy + ") for parameter instanceTenancy is invalid.");
  }
  VpcIds ids{c.NewId("vpc"),      c.NewId("vpc-cidr-assoc"), c.NewId("rtb"), c.NewId("rtbassoc"),
             c.NewId("sg"),       c.NewId("acl"),            ""};
  // Every VPC of an account shares the default DHCP options set, as AWS's do unless changed.
  ids.dhcp_options = "dopt-" + DefaultVpcId(c.network()).substr(4);
  NetworkOptions where = Where(ctx);
  VpcRecords r = MakeVpcRecords(where, ids, cidr, false, tenancy, TagsFor(in, "vpc"));
  store::Txn txn;
  auto put = [&txn](std::string key, const object& value) {
    txn.compares.push_back({key, 0});
    txn.ops.push_back(store::Op::Put(std::move(key), Serialize(value)));
  };
  put(VpcKey(ids.vpc), r.vpc);
  put(RouteTableKey(ids.main_route_table), r.main_route_table);
  put(SecurityGroupKey(ids.default_security_group), r.default_security_group);
  put(SecurityGroupNameKey(ids.vpc, "default"), object{{"GroupId", ids.default_security_group}});
  put(NetworkAclKey(ids.default_network_acl), r.default_network_acl);
  ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
  if (!result.succeeded) return TooManyConcurrentUpdates();  // a random id taken: not in practice
  // A new VPC is "pending" for a moment on AWS; wharf's is ready at once, which waiters accept.
  return object{{"Vpc", Public(std::move(r.vpc))}};
}

Outcome DeleteVpc(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "VpcId");
  if (id.empty()) return MissingParameter("vpcId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindVpc(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& vpc_record = std::get<Record>(found);
    vpc::VpcContents contents;
    store::Txn txn;
    txn.compares.push_back({vpc_record.key, vpc_record.mod_revision});
    txn.ops.push_back(store::Op::Delete(vpc_record.key));
    auto in_vpc = [&](const object& r) { return GetString(r, "VpcId") == id; };
    ASSIGN_OR_FAIL(auto subnets, ReadRecords(c.store(), kSubnetsPrefix), Ec2Error);
    contents.subnets = std::count_if(subnets.begin(), subnets.end(), [&](const Record& r) { return in_vpc(r.value); });
    ASSIGN_OR_FAIL(auto groups, ReadRecords(c.store(), kSecurityGroupsPrefix), Ec2Error);
    for (const Record& g : groups) {
      if (!in_vpc(g.value)) continue;
      if (GetString(g.value, "GroupName") != "default") {  // the one group that goes with its VPC
        ++contents.security_groups;
        continue;
      }
      txn.compares.push_back({g.key, g.mod_revision});
      txn.ops.push_back(store::Op::Delete(g.key));
      txn.ops.push_back(store::Op::Delete(SecurityGroupNameKey(id, "default")));
    }
    ASSIGN_OR_FAIL(auto tables, ReadRecords(c.store(), kRouteTablesPrefix), Ec2Error);
    for (const Record& t : tables) {
      if (!in_vpc(t.value)) continue;
      if (!model::RouteTableRecord(t.value).is_main()) {
        ++contents.route_tables;
        continue;
      }
      txn.compares.push_back({t.key, t.mod_revision});
      txn.ops.push_back(store::Op::Delete(t.key));
    }
    ASSIGN_OR_FAIL(auto acls, ReadRecords(c.store(), kNetworkAclsPrefix), Ec2Error);
    for (const Record& a : acls) {
      if (!in_vpc(a.value)) continue;
      txn.ops.push_back(store::Op::Delete(a.key));
    }
    ASSIGN_OR_FAIL(auto gateways, ReadRecords(c.store(), kInternetGatewaysPrefix), Ec2Error);
    for (const Record& g : gateways) {
      if (model::InternetGatewayRecord(g.value).attached_vpc() == id) ++contents.internet_gateways;
    }
    ASSIGN_OR_FAIL(auto nats, ReadRecords(c.store(), kNatGatewaysPrefix), Ec2Error);
    for (const Record& n : nats) {
      if (in_vpc(n.value) && model::NatGatewayRecord(n.value).holds_resources()) ++contents.nat_gateways;
    }
    ASSIGN_OR_FAIL(auto endpoints, ReadRecords(c.store(), kVpcEndpointsPrefix), Ec2Error);
    contents.vpc_endpoints =
        std::count_if(endpoints.begin(), endpoints.end(), [&](const Record& r) { return in_vpc(r.value); });
    if (vpc::HasDependencies(contents)) return HasDependencies("vpc", id);
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeVpcAttribute(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "VpcId");
  std::string attribute = GetString(in, "Attribute");
  if (std::find(std::begin(kAttributes), std::end(kAttributes), attribute) == std::end(kAttributes)) {
    return InvalidParameterValue("Value (" + attribute + ") for parameter attribute is invalid. Unknown attribute.");
  }
  auto found = FindVpc(c, id);
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  // The output member is the attribute's name with a capital: EnableDnsSupport {Value}.
  std::string member = attribute;
  member[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(member[0])));
  return object{{"VpcId", id}, {member, object{{"Value", Attribute(std::get<Record>(found).value, attribute)}}}};
}

Outcome ModifyVpcAttribute(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "VpcId");
  std::vector<std::pair<std::string, bool>> changes;
  for (std::string_view attribute : kAttributes) {
    std::string member(attribute);
    member[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(member[0])));
    if (!Has(in, member)) continue;
    auto value = GetBool(GetObject(in, member), "Value");
    if (!value) return MissingParameter(member + ".Value");
    changes.emplace_back(std::string(attribute), *value);
  }
  // EC2 takes one attribute per call.
  if (changes.size() != 1) {
    return InvalidParameterValue(changes.empty() ? "No attribute specified." : "Fields for multiple attribute types specified: " + changes[0].first + ", " + changes[1].first);
  }
  return ModifyRecord(c, [&] { return FindVpc(c, id); }, [&](object& vpc) -> std::optional<AwsError> {
    const auto& [name, value] = changes[0];
    if (name == "enableDnsHostnames" && value && !Attribute(vpc, "enableDnsSupport")) {
      return InvalidParameterValue("Cannot enable DNS hostnames without DNS support.");
    }
    model::SetVpcAttribute(vpc, name, value);
    // Hostnames need DNS support: turning support off turns them off too.
    if (name == "enableDnsSupport" && !value) model::SetVpcAttribute(vpc, "enableDnsHostnames", false);
    return std::nullopt;
  });
}

}  // namespace wharf::api::ec2
