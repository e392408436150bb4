// DescribeVpcs, DescribeSubnets and DescribeAvailabilityZones: the network is built in, so
// these only read.
#include <algorithm>

#include "api/ec2/handlers.h"

namespace wharf::api::ec2 {

namespace {

// The records under `prefix` whose `id_member` is among `ids` (all when empty) and that pass
// the filters; an asked-for id that does not exist is `not_found(id)`.
template <typename NotFound>
Outcome DescribeRecords(Context& c, const object& in, std::string_view prefix,
                        std::string_view ids_member, std::string_view id_member,
                        std::string_view result_member, std::initializer_list<FilterField> fields,
                        NotFound not_found) {
  auto filters = Filters::Parse(in, fields);
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  ASSIGN_OR_FAIL(auto records, ReadRecords(c.store(), prefix), Ec2Error);
  std::vector<std::string> ids = Strings(in, ids_member);
  for (const std::string& id : ids) {
    bool found = std::any_of(records.begin(), records.end(), [&](const Record& r) {
      return GetString(r.value, id_member) == id;
    });
    if (!found) return not_found(id);
  }
  json::array out;
  for (Record& r : records) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), GetString(r.value, id_member)) == ids.end()) {
      continue;
    }
    if (std::get<Filters>(filters).Match(r.value)) out.emplace_back(std::move(r.value));
  }
  return object{{result_member, std::move(out)}};
}

}  // namespace

Outcome DescribeVpcs(Context& c, const RequestContext&, object& in) {
  return DescribeRecords(
      c, in, kVpcsPrefix, "VpcIds", "VpcId", "Vpcs",
      {{"vpc-id", "VpcId"},
       {"cidr", "CidrBlock"},
       {"cidr-block-association.cidr-block", "CidrBlock"},
       {"is-default", "IsDefault"},
       {"isDefault", "IsDefault"},
       {"state", "State"},
       {"owner-id", "OwnerId"},
       {"dhcp-options-id", "DhcpOptionsId"}},
      [](const std::string& id) {
        return AwsError::Client("InvalidVpcID.NotFound", "The vpc ID '" + id + "' does not exist");
      });
}

Outcome DescribeSubnets(Context& c, const RequestContext&, object& in) {
  return DescribeRecords(
      c, in, kSubnetsPrefix, "SubnetIds", "SubnetId", "Subnets",
      {{"subnet-id", "SubnetId"},
       {"subnet-arn", "SubnetArn"},
       {"vpc-id", "VpcId"},
       {"vpcId", "VpcId"},
       {"availability-zone", "AvailabilityZone"},
       {"availabilityZone", "AvailabilityZone"},
       {"availability-zone-id", "AvailabilityZoneId"},
       {"availabilityZoneId", "AvailabilityZoneId"},
       {"cidr-block", "CidrBlock"},
       {"cidr", "CidrBlock"},
       {"cidrBlock", "CidrBlock"},
       {"default-for-az", "DefaultForAz"},
       {"defaultForAz", "DefaultForAz"},
       {"map-public-ip-on-launch", "MapPublicIpOnLaunch"},
       {"available-ip-address-count", "AvailableIpAddressCount"},
       {"state", "State"},
       {"owner-id", "OwnerId"}},
      [](const std::string& id) {
        return AwsError::Client("InvalidSubnetID.NotFound",
                                "The subnet ID '" + id + "' does not exist");
      });
}

Outcome DescribeAvailabilityZones(Context& c, const RequestContext&, object& in) {
  auto filters = Filters::Parse(in, {{"zone-name", "ZoneName"},
                                     {"zone-id", "ZoneId"},
                                     {"region-name", "RegionName"},
                                     {"state", "State"},
                                     {"zone-type", "ZoneType"},
                                     {"group-name", "GroupName"},
                                     {"opt-in-status", "OptInStatus"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  const std::string& region = c.network().region;
  std::vector<std::string> names = Strings(in, "ZoneNames");
  std::vector<std::string> ids = Strings(in, "ZoneIds");
  json::array out;
  std::vector<std::string> zones = AvailabilityZones(region);
  for (const std::string& wanted : names) {
    if (std::find(zones.begin(), zones.end(), wanted) == zones.end()) {
      return InvalidParameterValue("The zone '" + wanted + "' does not exist.");
    }
  }
  for (const std::string& zone : zones) {
    std::string id = AvailabilityZoneId(zone);
    if (!names.empty() && std::find(names.begin(), names.end(), zone) == names.end()) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    object z{{"OptInStatus", "opt-in-not-required"},
             {"Messages", json::array()},
             {"RegionName", region},
             {"ZoneName", zone},
             {"ZoneId", id},
             {"GroupName", region},
             {"NetworkBorderGroup", region},
             {"ZoneType", "availability-zone"},
             {"State", "available"}};
    if (std::get<Filters>(filters).Match(z)) out.emplace_back(std::move(z));
  }
  return object{{"AvailabilityZones", std::move(out)}};
}

}  // namespace wharf::api::ec2
