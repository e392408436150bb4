// Which VPC interface endpoint a request came through (issue 13): the node's egress table
// DNATs a task's connection to an endpoint's address on 443 to the server's one front door
// (agent/network/egress.h), and the server reads the address the task dialled from the
// accepted socket (net::Incoming::original_destination) and the mark its SYN carried
// (model::VpcReplyMark of the task's VPC). This maps them to the endpoint, so the front door
// serves through it only the endpoint's own service, under the endpoint's policy, with
// aws:SourceVpce and aws:SourceVpc set (docs/ARCHITECTURE.md "VPC interface endpoints").
//
// Terms: an endpoint has an interface (an address) in each of its subnets; two VPCs with one
// CIDR may have endpoint interfaces at one address, which the mark tells apart.
//
// Thread-safety: the pure functions are pure; EndpointDirectory may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "iam/policy.h"
#include "store/store.h"

namespace wharf::controlplane {

// An interface endpoint as a request through it sees it. Immutable once made.
struct EndpointOrigin {
  std::string vpce_id;  // aws:SourceVpce
  std::string vpc_id;   // aws:SourceVpc
  std::string service;  // its short name: "secretsmanager", "ecr.api", "ecr.dkr"
  std::string region;   // of its ServiceName (com.amazonaws.<region>.<service>)
  // Its PolicyDocument; null when the stored text does not parse, which allows nothing.
  std::shared_ptr<const iam::Policy> policy;
};

// The available interface endpoints of `endpoints` (ec2/vpc-endpoints/ records) by each of
// their interfaces' addresses. Pure.
using EndpointTable = std::multimap<std::string, std::shared_ptr<const EndpointOrigin>, std::less<>>;
EndpointTable EndpointTableOf(const std::vector<boost::json::object>& endpoints);

// The endpoint a connection reached: `original_destination` as the client dialled it
// ("10.0.2.4:443"; an endpoint answers on 443 only) whose SYN carried `mark`. One endpoint at
// the address is it; of several (VPCs sharing a CIDR), the one of the VPC whose reply mark the
// connection carries. Null when none is (the front's 198.18.0.1, another port).
std::shared_ptr<const EndpointOrigin> FindEndpoint(const EndpointTable& table, std::string_view original_destination,
                                                   uint32_t mark);

// The interface endpoint service that serves an API, by the API's signing name: the same
// name but for ECR's API ("ecr" -> "ecr.api"; its registry is "ecr.dkr").
std::string EndpointServiceOf(std::string_view signing_name);

// Whether a request through endpoint `via` (null: none) may go on on its connection, whose
// note `connection_vpce` (null: none kept) holds the id of the endpoint its first request came
// through: the first request's id is noted; a later one through another endpoint (its
// predecessor at the same address deleted and the address given to a new one) is refused, as
// deleting the first endpoint ended the connection on AWS. Requests of one connection come one
// at a time.
bool SameEndpointAsBefore(std::string* connection_vpce, const EndpointOrigin* via);

// The home region's endpoints, read once by Start and then kept by a watch on
// ec2/vpc-endpoints/ (as Authorizer::Start keeps IAM's): a request costs one map lookup under a
// lock and never a store round trip. ModifyVpcEndpoint's policy holds once its watch event
// arrives (milliseconds after the commit; a request racing it may see the old policy).
class EndpointDirectory {
 public:
  explicit EndpointDirectory(store::Store& store) : store_(store) {}
  ~EndpointDirectory();
  // Reads every endpoint and starts the watch.
  Status Start() EXCLUDES(mu_);
  std::shared_ptr<const EndpointOrigin> Find(std::string_view original_destination, uint32_t mark) EXCLUDES(mu_);
  // Whether a request on a connection whose SYN carried `mark` may be served, and `via`, the
  // endpoint it came through. Only a VPC's connection (a VPC's mark) can have been DNAT'd here,
  // to `front` ("198.18.0.1:443": through no endpoint) or to an endpoint: one whose destination
  // could not be read (`origin_unknown`) or that names no available endpoint of its VPC (one
  // deleted while a node's DNAT still sends it here) is refused, as served through no
  // endpoint it would escape the endpoint's service and policy. Any other connection is
  // served, through no endpoint. No lookup for the front's connections.
  bool Admit(uint32_t mark, bool origin_unknown, std::string_view original_destination, std::string_view front,
             std::shared_ptr<const EndpointOrigin>& via) EXCLUDES(mu_);

 private:
  void Apply(const std::vector<store::Event>& events) EXCLUDES(mu_);
  // Rebuilds table_ from records_.
  void Rebuild() REQUIRES(mu_);

  store::Store& store_;
  Mutex mu_;
  std::map<std::string, boost::json::object, std::less<>> records_ GUARDED_BY(mu_);  // by key
  std::shared_ptr<const EndpointTable> table_ GUARDED_BY(mu_) = std::make_shared<const EndpointTable>();
  std::unique_ptr<store::Watch> watch_;
};

}  // namespace wharf::controlplane
