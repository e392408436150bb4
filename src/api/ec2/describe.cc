// DescribeVpcs, DescribeSubnets and DescribeAvailabilityZones: the network is built in, so
// these only read.
#include <algorithm>

#include "api/ec2/handlers.h"

namespace wharf::api::ec2 {

Outcome DescribeVpcs(Context& c, const RequestContext&, object& in) {
  return Describe(c, in,
                  {.prefix = kVpcsPrefix,
                   .ids_member = "VpcIds",
                   .ids_parameter = "vpcIds",
                   .id_member = "VpcId",
                   .result_member = "Vpcs",
                   .fields = {{"vpc-id", "VpcId"},
                              {"cidr", "CidrBlock"},
                              {"cidr-block-association.cidr-block", "CidrBlockAssociationSet.CidrBlock"},
                              {"cidr-block-association.association-id", "CidrBlockAssociationSet.AssociationId"},
                              {"cidr-block-association.state", "CidrBlockAssociationSet.CidrBlockState.State"},
                              {"is-default", "IsDefault"},
                              {"isDefault", "IsDefault"},
                              {"state", "State"},
                              {"owner-id", "OwnerId"},
                              {"dhcp-options-id", "DhcpOptionsId"}},
                   .not_found = [](const std::string& id) { return NotFound("InvalidVpcID.NotFound", "vpc", id); },
                   .paging = PageLimits{5, 1000}});
}

Outcome DescribeSubnets(Context& c, const RequestContext&, object& in) {
  Status failed;
  Outcome out = Describe(
      c, in,
      {.prefix = kSubnetsPrefix,
       .ids_member = "SubnetIds",
       .ids_parameter = "subnetIds",
       .id_member = "SubnetId",
       .result_member = "Subnets",
       .fields = {{"subnet-id", "SubnetId"},
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
       .not_found = [](const std::string& id) { return NotFound("InvalidSubnetID.NotFound", "subnet", id); },
       .present =
           [&](object& subnet) {
             // Every address a network interface took (tasks, NAT gateways) is claimed in the store.
             auto taken = c.store().List(model::keys::EniIpPrefix(GetString(subnet, "SubnetId")), "", 0);
             if (!taken.ok()) failed = taken.status();
             auto cidr = ParseIpv4Cidr(GetString(subnet, "CidrBlock"));
             int64_t used = taken.ok() ? static_cast<int64_t>(taken->items.size()) : 0;
             subnet["AvailableIpAddressCount"] = cidr ? controlplane::vpc::AvailableAddresses(*cidr, used) : 0;
             return true;
           },
       .paging = PageLimits{5, 1000}});
  if (!failed.ok()) return Ec2Error(failed);
  return out;
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
