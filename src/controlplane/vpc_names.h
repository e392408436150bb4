// The names a VPC's resolver (src/dns) answers itself rather than forwarding: the records
// of the VPC's Cloud Map private DNS namespaces (LookupCloudMapName: healthy instances only,
// at most 8 MULTIVALUE answers, the service's TTL) and the region's load balancer DNSNames
// (`*.elb.localhost`, resolving to the load balancer's network interface addresses, one per
// subnet, as an internal ALB's name resolves to its ENIs' private addresses on AWS).
//
// A name at or under a namespace's name, or under elb.localhost, is the VPC's own: it is
// answered here even when it has no records (NXDOMAIN, or NOERROR with no answer when the
// name has records of another type), never forwarded. Reads the store; no state;
// callable from any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/cloud_map.h"
#include "store/store.h"

namespace wharf::controlplane {

// The domain of load balancer DNSNames (elbv2's CreateLoadBalancer makes them).
inline constexpr std::string_view kLoadBalancerDomain = "elb.localhost";
// What a load balancer name's A records live for (AWS's ALB names: 60 s).
inline constexpr int64_t kLoadBalancerTtl = 60;

struct VpcNameAnswer {
  bool ours = false;
  bool name_exists = false;
  std::vector<model::DnsAnswer> answers;  // of the type asked (a CNAME for A/AAAA when that is what the name has)
};

// `name` in any case, without the final dot; `type` "A", "AAAA", "CNAME", "SRV" or another
// type's name (no records). `pick` spreads answers (a random number per query).
Result<VpcNameAnswer> LookupVpcName(store::Store& store, std::string_view vpc_id, std::string_view name,
                                    std::string_view type, uint64_t pick);

}  // namespace wharf::controlplane
