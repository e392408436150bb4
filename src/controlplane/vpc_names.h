// The names a VPC's resolver (src/dns) answers itself rather than forwarding, built from the
// store as one model::VpcDnsTable per VPC: the records of the VPC's Cloud Map private DNS
// namespaces (every healthy instance's value; an answer holds at most 8 of a MULTIVALUE
// service's, one of a WEIGHTED's, at the service's TTL), the region's load balancer
// DNSNames (`*.elb.localhost`, resolving to the load balancer's network interface addresses,
// one per subnet, as an internal ALB's name resolves to its ENIs' private addresses on AWS),
// and, while the VPC's enableDnsSupport and enableDnsHostnames are both on, its interfaces'
// private DNS names (ip-10-0-1-5.ec2.internal, or ip-10-0-1-5.<region>.compute.internal) and
// the PTR names of the VPC's addresses (AWS: "Amazon-provided private DNS hostnames").
//
// A name at or under a namespace's name, elb.localhost or the hostnames' domain, or the
// reverse name of an address in the VPC's CIDR, is the VPC's own: it is answered here even
// when it has no records (NXDOMAIN, or NOERROR with no answer when the name has records of
// another type), never forwarded. With enableDnsSupport off the resolver does not answer in
// the VPC at all. Reads the store; no state; callable from any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/cloud_map.h"
#include "model/vpc_dns.h"
#include "store/store.h"

namespace wharf::controlplane {

// The domain of load balancer DNSNames (elbv2's CreateLoadBalancer makes them).
inline constexpr std::string_view kLoadBalancerDomain = "elb.localhost";
// What a load balancer name's A records live for (AWS's ALB names: 60 s).
inline constexpr int64_t kLoadBalancerTtl = 60;
// What a private DNS name's A and PTR records live for (Route 53 Resolver's: 60 s).
inline constexpr int64_t kHostnameTtl = 60;
// An interface endpoint's private DNS name (AWS answers it with 60 too).
inline constexpr int64_t kEndpointTtl = 60;

using VpcNameAnswer = model::VpcDnsAnswer;

// Everything `vpc_id`'s resolver answers, in `region` (the hostnames' domain).
Result<model::VpcDnsTable> BuildVpcDnsTable(store::Store& store, std::string_view vpc_id, std::string_view region);

// One query against BuildVpcDnsTable's table: `name` in any case, without the final dot;
// `type` "A", "AAAA", "CNAME", "SRV", "PTR" or another type's name (no records). `pick`
// spreads answers (a random number per query).
Result<VpcNameAnswer> LookupVpcName(store::Store& store, std::string_view vpc_id, std::string_view name,
                                    std::string_view type, uint64_t pick, std::string_view region = "us-east-1");

}  // namespace wharf::controlplane
