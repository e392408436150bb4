// The names a VPC's resolver (AWS's Amazon-provided DNS server, src/dns) answers itself, as
// one value: the zones it is authoritative for and the record sets under them. The server
// builds it from the store (controlplane/vpc_names.h) and reads it for its own node; a remote
// `wharf agent` gets it in the assignment feed ("vpcDns", docs/AGENT.md) for every VPC its
// tasks are in, so its resolver answers the same names without the store.
//
// A record set keeps every value a name has; `keep` says how many an answer holds (8 for a
// MULTIVALUE Cloud Map service, 1 for WEIGHTED, 0 for all), the ones kept chosen by a
// rotation the caller picks at random per query, so repeated queries spread over all values.
//
// Pure values; thread-safe as values are.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/cloud_map.h"

namespace wharf::model {

struct DnsRecordSet {
  std::string type;  // A, AAAA, CNAME, SRV, PTR
  int64_t ttl = 0;
  std::vector<std::string> values;  // presentation form (dns::MakeRecord's)
  size_t keep = 0;                  // how many an answer holds; 0: all

  bool operator==(const DnsRecordSet&) const = default;
};

struct VpcDnsTable {
  std::string vpc_id;
  // enableDnsSupport: off, the resolver does not answer in the VPC at all (as AWS's stops).
  bool support = true;
  // Lowercase, no final dot: a name at or under one is the VPC's own (answered, never forwarded).
  std::vector<std::string> zones;
  // IPv4 CIDR blocks whose addresses' in-addr.arpa names are the VPC's own (enableDnsHostnames).
  std::vector<std::string> reverse_cidrs;
  // Lowercase owner name -> its record sets.
  std::map<std::string, std::vector<DnsRecordSet>> names;

  void Add(std::string name, DnsRecordSet set);  // name lowercased; merged with a set of its type

  boost::json::object ToJson() const;
  // InvalidArgument when malformed.
  static Result<VpcDnsTable> FromJson(const boost::json::object& o);

  bool operator==(const VpcDnsTable&) const = default;
};

struct VpcDnsAnswer {
  bool silent = false;       // the VPC's DNS support is off: no answer at all
  bool ours = false;         // answer here (NXDOMAIN / NODATA included), never forward
  bool name_exists = false;  // the name has records of some type, or is a zone's apex
  std::vector<DnsAnswer> answers;
};

// `name` in any case, with or without the final dot; `type` "A", "AAAA", "CNAME", "SRV",
// "PTR" or anything else (no records). An A or AAAA query of a name holding a CNAME gets the
// CNAME (the client follows it). `pick` chooses the rotation (a random number per query).
VpcDnsAnswer LookupVpcDns(const VpcDnsTable& table, std::string_view name, std::string_view type, uint64_t pick);

// The private IPv4 DNS name EC2 gives an interface at `ip`: ip-10-0-1-5.ec2.internal in
// us-east-1, ip-10-0-1-5.<region>.compute.internal elsewhere; and that domain alone.
std::string PrivateDnsDomain(std::string_view region);
std::string PrivateDnsName(std::string_view ip, std::string_view region);
// The public IPv4 DNS name EC2 gives a public address: ec2-203-0-113-5.compute-1.amazonaws.com
// in us-east-1, ec2-203-0-113-5.<region>.compute.amazonaws.com elsewhere.
std::string PublicDnsName(std::string_view public_ip, std::string_view region);
// The private DNS name an interface endpoint of `service` (its short name: "ssm", "ecr.api")
// gives its VPC, as DescribeVpcEndpoints' DnsEntries show it: <service>.<region>.amazonaws.com,
// ECR's API api.ecr.<region>.amazonaws.com, its registry *.dkr.ecr.<region>.amazonaws.com
// (a wildcard: every account's registry name).
std::string EndpointPrivateDnsName(std::string_view service, std::string_view region);
// 5.1.0.10.in-addr.arpa for 10.0.1.5; "" for what is not an IPv4 address.
std::string ReverseName(std::string_view ip);

}  // namespace wharf::model
