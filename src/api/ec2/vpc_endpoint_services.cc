// DescribeVpcEndpointServices: the AWS services wharf plays behind a VPC endpoint in the
// request's region, as Terraform's aws_vpc_endpoint_service data source and the console read
// them. Interface services are those whose API the server serves through an endpoint (its
// routing by the request's service, controlplane/vpc_endpoint_origin.h); their private and base
// names are the ones DescribeVpcEndpoints and the VPC resolver use (model/vpc_endpoint_names.h).
// S3 and DynamoDB are gateway services (routes, no interfaces). CreateVpcEndpoint still takes
// any com.amazonaws.<region>.<name> as an interface endpoint (nothing answers another service
// through it, as nothing would on AWS for a name it does not offer).
#include <algorithm>

#include "api/ec2/handlers.h"
#include "api/ec2/network.h"
#include "base/crypto.h"
#include "model/vpc_dns.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::api::ec2 {
namespace {

// In ServiceName order, as EC2 lists them.
struct OfferedService {
  std::string_view name;
  std::string_view type;  // "Interface" or "Gateway"
};
constexpr OfferedService kOffered[] = {
    {"application-autoscaling", "Interface"}, {"cloudformation", "Interface"}, {"dynamodb", "Gateway"},
    {"ec2", "Interface"}, {"ecr.api", "Interface"}, {"ecr.dkr", "Interface"}, {"ecs", "Interface"},
    {"elasticloadbalancing", "Interface"}, {"kms", "Interface"}, {"logs", "Interface"}, {"monitoring", "Interface"},
    {"s3", "Gateway"}, {"secretsmanager", "Interface"}, {"servicediscovery", "Interface"}, {"ssm", "Interface"},
    {"sts", "Interface"},
};

object Detail(const OfferedService& s, std::string_view region) {
  std::string name = "com.amazonaws." + std::string(region) + "." + std::string(s.name);
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
    d["BaseEndpointDnsNames"] = json::array{json::string(std::string(s.name) + "." + std::string(region) + ".amazonaws.com")};
  } else {
    std::string private_name = model::EndpointPrivateDnsName(s.name, region);
    d["BaseEndpointDnsNames"] = json::array{json::string(model::EndpointBaseDnsName(s.name, region))};
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
  std::vector<object> offered;
  for (const OfferedService& s : kOffered) offered.push_back(Detail(s, ctx.region));
  std::vector<std::string> wanted = Strings(in, "ServiceNames");
  for (const std::string& name : wanted) {
    bool known = std::any_of(offered.begin(), offered.end(),
                             [&](const object& d) { return GetString(d, "ServiceName") == name; });
    if (!known) return AwsError::Client("InvalidServiceName", "The Vpc Endpoint Service '" + name + "' does not exist");
  }
  json::array names, details;
  for (object& d : offered) {
    std::string name = GetString(d, "ServiceName");
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    if (!std::get<Filters>(filters).Match(d)) continue;
    names.emplace_back(name);
    details.push_back(std::move(d));
  }
  return object{{"ServiceNames", std::move(names)}, {"ServiceDetails", std::move(details)}};
}

}  // namespace wharf::api::ec2
