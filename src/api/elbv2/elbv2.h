// The ELBv2 API (AWS Query protocol, 2015-12-01): the control plane of the Application
// Load Balancer.
//
// Handlers read and write the Store in the shapes of the botocore model and, after every
// change that commits, rebuild the whole lb::Config from the store and hand it to the data
// plane (DataPlaneControl::Apply). Listener ports are bound by the data plane *before* a
// listener is committed, so a port in use is refused at once (InvalidConfigurationRequest).
//
// Store keys (to be drawn in docs/STATE.md; every value is JSON):
//   elbv2/load-balancers/<name>          {loadBalancer: <LoadBalancer>, attributes: {k: v}, tags:
//   [..]} elbv2/target-groups/<name>           {targetGroup: <TargetGroup without
//   LoadBalancerArns>,
//                                         attributes: {k: v}, tags: [..],
//                                         targets: [{Id, Port, AvailabilityZone?,
//                                         drainDeadlineMs?}]}
//   elbv2/listeners/<lb name>/<id>       {listener: <Listener>, attributes: {k: v}, tags: [..],
//                                         defaultRuleArn, defaultRuleTags: [..]}
//   elbv2/rules/<lb name>/<listener id>/<id>  {rule: <Rule>, tags: [..]}
//   elbv2/ports/<port>                   {listenerArn}: the port claim (all listeners share one
//                                         bind address, so a port is unique across load balancers)
// A change that adds a reference to a target group or load balancer also rewrites that record
// (same value, new mod_revision), so a concurrent delete that compared it fails and retries:
// no listener ever forwards to a deleted target group, no listener outlives its load balancer.
//
// Deregistered targets stay in their target group's record, draining, until
// drainDeadlineMs (now + deregistration_delay.timeout_seconds); BuildLbConfig and
// DescribeTargetHealth ignore them after that, and the next change to the group prunes them.
//
// Target ids: for target type `ip` the Id is an IPv4 address. For target type `instance`
// wharf does not resolve EC2 instance ids yet: an instance target's Id must be the IPv4
// address the instance is reached at; an `i-...` id is refused with InvalidTarget.
//
// Thread-safety: handlers may run on many loops at once; writes are compare-and-swap
// transactions retried on conflict; configuration builds and Applies are serialised so the
// data plane never receives an older snapshot after a newer one.
#pragma once

#include <memory>
#include <string>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "lb/config.h"
#include "store/store.h"

namespace wharf::api::elbv2 {

struct Elbv2Deps {
  store::Store& store;
  Clock& clock;
  std::string region, account_id;
  lb::DataPlaneControl& data_plane;
  std::string lb_bind_address;  // where listeners are bound (reported only; the data plane binds)
  Random* random = nullptr;     // ids and DNS names; a SecureRandom of the endpoint's own when null
  // Where an instance target (an ECS node's EC2 instance id) is reached: the server's own
  // node on loopback. Empty result: not a node this server can reach. Empty function: none.
  std::function<std::optional<std::string>(const std::string& instance_id)> instance_address;
  // Publishes the store's configuration to the data plane now (controlplane's
  // LoadBalancerPublisher::PublishNow), called after every change that commits so the client
  // sees it at once; other servers' data planes follow it through their store watch.
  std::function<void()> publish;
  // The default VPC's `default` security group, which a load balancer created without
  // SecurityGroups is in (as on AWS), so that tasks in the default group admit it. Empty
  // function or result: a placeholder id that no node enforces anything for.
  std::function<Result<std::string>()> default_security_group;
  // Where an internet-facing load balancer's public addresses come from (one per subnet, as
  // ELB gives them): the server's --public-ip-pool, shared with elastic IPs and tasks'
  // assignPublicIp. Empty: internet-facing load balancers get none.
  std::string public_ip_pool{};
  // Ports wharf itself holds on some address of the host (the VPC resolver's 53 on each
  // subnet's .2, the API's and registry's), with what holds them: a listener there could never
  // move to every address (lb/data_plane.h), so CreateListener and ModifyListener refuse them at once.
  std::map<uint16_t, std::string> reserved_ports{};
  // The same for ports known only once something runs (the local node's task metadata
  // endpoint, which takes a free port at start); asked on each check. Empty: none.
  std::function<std::map<uint16_t, std::string>()> held_ports{};
};

// Builds the endpoint with every implemented operation.
Result<ServiceEndpoint> MakeElbv2Endpoint(const Elbv2Deps& deps);


}  // namespace wharf::api::elbv2
