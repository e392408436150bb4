// CreateSubnet, DeleteSubnet and ModifySubnetAttribute.
#include <algorithm>
#include <set>

#include "api/ec2/handlers.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"

namespace wharf::api::ec2 {

namespace vpc = controlplane::vpc;

std::variant<Record, AwsError> FindSubnetRecord(Context& c, std::string_view id) {
  auto found = ReadRecord(c.store(), SubnetKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidSubnetID.NotFound", "subnet", id);
  return std::move(**found);
}

Outcome CreateSubnet(Context& c, const RequestContext& ctx, object& in) {
  std::string vpc_id = GetString(in, "VpcId");
  std::string cidr = GetString(in, "CidrBlock");
  if (vpc_id.empty()) return MissingParameter("vpcId");
  if (cidr.empty()) return MissingParameter("cidrBlock");
  std::vector<std::string> zones = AvailabilityZones(ctx.region);
  std::string zone = GetString(in, "AvailabilityZone");
  std::string zone_id = GetString(in, "AvailabilityZoneId");
  if (!zone.empty() && !zone_id.empty()) {
    return AwsError::Client("InvalidParameterCombination",
                            "Only one of availabilityZone or availabilityZoneId may be specified");
  }
  if (!zone_id.empty()) {
    for (const std::string& z : zones) {
      if (AvailabilityZoneId(z) == zone_id) zone = z;
    }
    if (zone.empty()) return InvalidParameterValue("Value (" + zone_id + ") for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: " + AvailabilityZoneId(zones[0]) + ", " + AvailabilityZoneId(zones[1]) + ", " + AvailabilityZoneId(zones[2]) + ".");
  } else if (zone.empty()) {
    zone = zones[0];
  } else if (std::find(zones.begin(), zones.end(), zone) == zones.end()) {
    return InvalidParameterValue("Value (" + zone + ") for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: " + zones[0] + ", " + zones[1] + ", " + zones[2] + ".");
  }
  std::string id = c.NewId("subnet");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindVpc(c, vpc_id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& vpc_record = std::get<Record>(found);
    ASSIGN_OR_FAIL(auto subnets, ReadRecords(c.store(), kSubnetsPrefix), Ec2Error);
    std::set<std::string> siblings;
    for (const Record& s : subnets) {
      if (GetString(s.value, "VpcId") == vpc_id) siblings.insert(GetString(s.value, "CidrBlock"));
    }
    switch (vpc::CheckSubnetCidr(cidr, GetString(vpc_record.value, "CidrBlock"), siblings)) {
      case vpc::CidrVerdict::kMalformed:
        return InvalidParameterValue("Value (" + cidr + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.");
      case vpc::CidrVerdict::kOutOfRange:
        return AwsError::Client("InvalidSubnet.Range", "The CIDR '" + cidr + "' is invalid.");
      case vpc::CidrVerdict::kConflict:
        return AwsError::Client("InvalidSubnet.Conflict", "The CIDR '" + cidr + "' conflicts with another subnet");
      case vpc::CidrVerdict::kOk:
        break;
    }
    auto block = *vpc::ParseIpv4Cidr(cidr);
    block.address = block.Network();
    object subnet = MakeSubnet(Where(ctx), id, vpc_id, vpc::FormatIpv4Cidr(block), zone, false);
    json::array tags = TagsFor(in, "subnet");
    if (!tags.empty()) subnet["Tags"] = std::move(tags);
    store::Txn txn;
    // The siblings' revisions: two overlapping subnets created at once cannot both commit
    // (each rewrites the VPC record, so the second compare on it fails).
    TouchParent(txn, vpc_record);
    txn.compares.push_back({SubnetKey(id), 0});
    txn.ops.push_back(store::Op::Put(SubnetKey(id), Serialize(subnet)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    subnet["AvailableIpAddressCount"] = vpc::AvailableAddresses(block, 0);
    return object{{"Subnet", std::move(subnet)}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DeleteSubnet(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "SubnetId");
  if (id.empty()) return MissingParameter("subnetId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindSubnetRecord(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& subnet = std::get<Record>(found);
    vpc::SubnetContents contents;
    ASSIGN_OR_FAIL(store::Page interfaces, c.store().List(model::keys::EniIpPrefix(id), "", 0), Ec2Error);
    contents.network_interfaces = static_cast<int>(interfaces.items.size());
    ASSIGN_OR_FAIL(auto nats, ReadRecords(c.store(), kNatGatewaysPrefix), Ec2Error);
    for (const Record& n : nats) {
      model::NatGatewayRecord nat(n.value);
      if (nat.subnet_id() == id && nat.holds_resources()) ++contents.nat_gateways;
    }
    if (vpc::HasDependencies(contents)) return HasDependencies("subnet", id);
    store::Txn txn;
    txn.compares.push_back({subnet.key, subnet.mod_revision});
    txn.ops.push_back(store::Op::Delete(subnet.key));
    // The subnet's route table association goes with it.
    ASSIGN_OR_FAIL(auto tables, ReadRecords(c.store(), kRouteTablesPrefix), Ec2Error);
    for (Record& t : tables) {
      json::array& associations = t.value["Associations"].as_array();
      auto gone = std::remove_if(associations.begin(), associations.end(), [&](const json::value& a) {
        return GetString(a.as_object(), "SubnetId") == id;
      });
      if (gone == associations.end()) continue;
      associations.erase(gone, associations.end());
      txn.compares.push_back({t.key, t.mod_revision});
      txn.ops.push_back(store::Op::Put(t.key, Serialize(t.value)));
    }
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome ModifySubnetAttribute(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "SubnetId");
  // The boolean attributes wharf keeps, each an AttributeBooleanValue {Value} in the request.
  static constexpr std::string_view kBooleans[] = {"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation",
                                                   "MapCustomerOwnedIpOnLaunch", "EnableDns64"};
  std::vector<std::pair<std::string, bool>> changes;
  for (std::string_view name : kBooleans) {
    if (!Has(in, name)) continue;
    auto value = GetBool(GetObject(in, name), "Value");
    if (!value) return MissingParameter(std::string(name) + ".Value");
    changes.emplace_back(std::string(name), *value);
  }
  std::optional<std::string> hostname_type;
  if (Has(in, "PrivateDnsHostnameTypeOnLaunch")) hostname_type = GetString(in, "PrivateDnsHostnameTypeOnLaunch");
  std::vector<std::pair<std::string, bool>> dns_records;
  for (std::string_view name : {"EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsAAAARecordOnLaunch"}) {
    if (!Has(in, name)) continue;
    auto value = GetBool(GetObject(in, name), "Value");
    if (value) dns_records.emplace_back(std::string(name).substr(0, std::string(name).size() - 8), *value);
  }
  if (changes.empty() && !hostname_type && dns_records.empty()) {
    return MissingParameter("attribute");
  }
  for (const auto& [name, value] : changes) {
    if ((name == "AssignIpv6AddressOnCreation" || name == "EnableDns64") && value) {
      return InvalidParameterValue("Invalid value for parameter " + name + ": the subnet has no IPv6 CIDR block");
    }
  }
  return ModifyRecord(c, [&] { return FindSubnetRecord(c, id); }, [&](object& subnet) -> std::optional<AwsError> {
    for (const auto& [name, value] : changes) subnet[name] = value;
    object& dns = subnet["PrivateDnsNameOptionsOnLaunch"].is_object()
                      ? subnet["PrivateDnsNameOptionsOnLaunch"].as_object()
                      : subnet["PrivateDnsNameOptionsOnLaunch"].emplace_object();
    if (hostname_type) dns["HostnameType"] = *hostname_type;
    for (const auto& [name, value] : dns_records) dns[name] = value;
    return std::nullopt;
  });
}

}  // namespace wharf::api::ec2
