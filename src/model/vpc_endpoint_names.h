// VPC endpoint services and the names AWS PrivateLink gives an interface endpoint. Pure.
//
// A service name, com.amazonaws.<region>.<service>, is read once into EndpointServiceName;
// the services wharf offers (DescribeVpcEndpointServices, what CreateVpcEndpoint accepts) are
// OfferedEndpointServices.
//
// An interface endpoint's own DNS names, beside the service's private DNS name
// (model/vpc_dns.h EndpointPrivateDnsName): a regional name, vpce-<id>-<8 characters>.<the
// service's base name>, answered with every interface's address, and a zonal one per
// Availability Zone, vpce-<id>-<8 characters>-<zone>.<base name>, answered with that zone's
// interface only. The base name is the service's under <region>.vpce.amazonaws.com
// ("api.ecr.us-east-1.vpce.amazonaws.com", as DescribeVpcEndpointServices'
// BaseEndpointDnsNames shows it). They are in AWS's public DNS, so they resolve in every VPC
// whatever its DNS attributes; DescribeVpcEndpoints lists them first in DnsEntries.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

// com.amazonaws.<region>.<service>, as EC2 names an AWS service's endpoint service.
struct EndpointServiceName {
  std::string region;   // "us-east-1"
  std::string service;  // its short name: "ecr.dkr", "secretsmanager", "s3"
  // None for a name not of that form (another's endpoint service, com.amazonaws.vpce.<...>).
  static std::optional<EndpointServiceName> Parse(std::string_view name);
  std::string ToString() const;  // "com.amazonaws.us-east-1.ssm"
};

// An AWS service wharf serves behind a VPC endpoint: the interface services are those whose API
// the server serves through an endpoint (controlplane/vpc_endpoint_origin.h), S3 and DynamoDB
// gateway services (routes, no interfaces).
struct OfferedEndpointService {
  std::string_view service;  // the short name
  std::string_view type;     // "Interface" or "Gateway"
};
// In ServiceName order, as EC2 lists them.
std::span<const OfferedEndpointService> OfferedEndpointServices();
// The offered service of short name `service`; null when wharf offers none.
const OfferedEndpointService* FindOfferedEndpointService(std::string_view service);

struct EndpointDnsName {
  std::string name;                    // lowercase, no final dot
  std::string availability_zone;       // "" for the regional name
  std::vector<std::string> addresses;  // the interfaces it answers with
};

// The service's base endpoint DNS name: "secretsmanager.us-east-1.vpce.amazonaws.com".
std::string EndpointBaseDnsName(std::string_view service, std::string_view region);
// The public zone the endpoint-specific names are in: "us-east-1.vpce.amazonaws.com".
std::string EndpointDnsZone(std::string_view region);
// The id of that zone as DnsEntries' HostedZoneId shows it: AWS's own where known (one per
// region: us-east-1's Z7HUB22UULQXV), else one made up from the region (MadeUpHostedZoneId).
std::string EndpointDnsHostedZoneId(std::string_view region);
// The id of the private hosted zone AWS makes in VPC `vpc_id` for private DNS name `name`: made
// up from them.
std::string EndpointPrivateHostedZoneId(std::string_view vpc_id, std::string_view name);

// The endpoint-specific names of interface endpoint record `endpoint` (ec2/vpc-endpoints/:
// VpcEndpointId, ServiceName, and _wharf's addresses and zones by subnet): the regional name
// first, then one per zone in zone order. None for a gateway endpoint or a service name not of
// EndpointServiceName's form.
std::vector<EndpointDnsName> EndpointDnsNames(const boost::json::object& endpoint);

// DnsEntries of endpoint record `endpoint` as AWS lists them: its own names first, regional
// then zonal, in the region's public vpce zone; then, with private DNS on, its service's
// private DNS name in the VPC's private hosted zone.
boost::json::array EndpointDnsEntries(const boost::json::object& endpoint);

}  // namespace wharf::model
