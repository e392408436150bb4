// DescribeVpcEndpointServices: the AWS services wharf plays behind a VPC endpoint in the
// request's region, as Terraform's aws_vpc_endpoint_service data source and the console read
// them. Interface services are those whose API the server serves through an endpoint (its
// routing by the request's service, controlplane/vpc_endpoint_origin.h); their private and base
// names are the ones DescribeVpcEndpoints and the VPC resolver use (model/vpc_endpoint_names.h).
// S3 and DynamoDB are gateway services (routes, no interfaces). CreateVpcEndpoint takes these
// services only (model::OfferedEndpointServices).
#include <algorithm>

#include "api/ec2/handlers.h"
#include "api/ec2/network.h"
#include "base/crypto.h"
#include "model/vpc_dns.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::api::ec2 {
namespace {

object Detail(const model::OfferedEndpointService& s, std::string_view region) {
  std::string name = model::EndpointServiceName{std::string(region), std::string(s.service)}.ToString();
  json::array zones, zone_ids;
  for (const std::string& z : AvailabilityZones(region)) {
    zones.emplace_back(z);
    zone_ids.emplace_back(AvailabilityZoneId(z));
  }
  object d{{"ServiceName", name},
           {"ServiceId", "vpce-svc-" + HexEncode(Sha256(name)).substr(0, 17)},
           {"ServiceType", json::array{object{{"ServiceType", s.type}}}},
           {"ServiceRegion", region},
           {"AvailabilityZoneIds", std::move(zone_ids)},
           {"AvailabilityZones", std::move(zones)},
           {"Owner", "amazon"}};
  if (s.type == "Gateway") {
    d["BaseEndpointDnsNames"] = json::array{json::string(std::string(s.service) + "." + std::string(region) + ".amazonaws.com")};
  } else {
    std::string private_name = model::EndpointPrivateDnsName(s.service, region);
    d["BaseEndpointDnsNames"] = json::array{json::string(model::EndpointBaseDnsName(s.service, region))};
    d["PrivateDnsName"] = private_name;
    d["PrivateDnsNames"] = json::array{object{{"PrivateDnsName", private_name}}};
  }
  d["VpcEndpointPolicySupported"] = true;
  d["AcceptanceRequired"] = false;
  d["ManagesVpcEndpoints"] = false;
  if (s.type == "Interface") d["PrivateDnsNameVerificationState"] = "verified";
  d["SupportedIpAddressTypes"] = json::array{"ipv4"};
  d["Tags"] = json::array();
  return d;
}

}  // namespace

Outcome DescribeVpcEndpointServices(Context&, const RequestContext& ctx, object& in) {
  auto filters = Filters::Parse(in, {{"service-name", "ServiceName"},
                                     {"service-type", "ServiceType.ServiceType"},
                                     {"service-region", "ServiceRegion"},
                                     {"owner", "Owner"},
                                     {"supported-ip-address-types", "SupportedIpAddressTypes"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  // The services of the request's region: endpoints reach no other (CreateVpcEndpoint), so
  // ServiceRegions without it lists nothing.
  std::vector<std::string> regions = Strings(in, "ServiceRegions");
  bool here = regions.empty() || std::find(regions.begin(), regions.end(), ctx.region) != regions.end();
  std::vector<object> offered;
  for (const model::OfferedEndpointService& s : model::OfferedEndpointServices()) offered.push_back(Detail(s, ctx.region));
  std::vector<std::string> wanted = Strings(in, "ServiceNames");
  for (const std::string& name : wanted) {
    bool known = std::any_of(offered.begin(), offered.end(),
                             [&](const object& d) { return GetString(d, "ServiceName") == name; });
    if (!known) return AwsError::Client("InvalidServiceName", "The Vpc Endpoint Service '" + name + "' does not exist");
  }
  json::array names, details;
  for (object& d : offered) {
    std::string name = GetString(d, "ServiceName");
    if (!here || (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end())) continue;
    if (!std::get<Filters>(filters).Match(d)) continue;
    names.emplace_back(name);
    details.push_back(std::move(d));
  }
  return object{{"ServiceNames", std::move(names)}, {"ServiceDetails", std::move(details)}};
}

}  // namespace wharf::api::ec2
