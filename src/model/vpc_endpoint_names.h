// The endpoint-specific DNS names AWS PrivateLink gives an interface endpoint, beside the
// service's private DNS name (model/vpc_dns.h EndpointPrivateDnsName): a regional name,
// vpce-<id>-<8 characters>.<service's base name>, answered with every interface's address,
// and a zonal one per Availability Zone, vpce-<id>-<8 characters>-<zone>.<base name>,
// answered with that zone's interface only. The base name is the service's under
// <region>.vpce.amazonaws.com ("api.ecr.us-east-1.vpce.amazonaws.com", as
// DescribeVpcEndpointServices' BaseEndpointDnsNames shows it). They are in AWS's public DNS,
// so they resolve in every VPC whatever its DNS attributes; DescribeVpcEndpoints lists them
// first in DnsEntries. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

struct EndpointDnsName {
  std::string name;                    // lowercase, no final dot
  std::string availability_zone;       // "" for the regional name
  std::vector<std::string> addresses;  // the interfaces it answers with
};

// The service's base endpoint DNS name: "secretsmanager.us-east-1.vpce.amazonaws.com".
std::string EndpointBaseDnsName(std::string_view service, std::string_view region);
// The public zone the endpoint-specific names are in: "us-east-1.vpce.amazonaws.com".
std::string EndpointDnsZone(std::string_view region);
// The id of that zone as DnsEntries' HostedZoneId shows it (stable per region).
std::string EndpointDnsHostedZoneId(std::string_view region);

// The endpoint-specific names of interface endpoint record `endpoint` (ec2/vpc-endpoints/:
// VpcEndpointId, ServiceName com.amazonaws.<region>.<service>, and _wharf's addresses and
// zones by subnet): the regional name first, then one per zone in zone order. None for a
// gateway endpoint or a service name not of that form.
std::vector<EndpointDnsName> EndpointDnsNames(const boost::json::object& endpoint);

}  // namespace wharf::model
