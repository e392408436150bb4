// The load balancer's configuration as the data plane sees it: an immutable snapshot of
// listeners -> rules -> actions -> target groups -> targets, built by the ELBv2 control
// plane (src/api/elbv2) from the store and handed over whole (STYLE 7: the data plane never
// reads shared mutable state). Field meanings and defaults are AWS's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "lb/traffic.h"

namespace wharf::lb {

struct Target {
  std::string id;  // as registered: an IP address (target type ip) or an instance id
  std::string ip;  // where to connect
  uint16_t port = 0;
  std::string availability_zone;
  // Deregistered and draining: no new requests; removed at `drain_deadline_ms` or when idle.
  bool draining = false;
  int64_t drain_deadline_ms = 0;
  // SO_MARK of every connection to it (requests and health checks): the mark of the load
  // balancer that forwards to its group, by which the target's node tells the load
  // balancer's connections from the rest of the host's (security groups, model/security_group.h).
  // 0: none set.
  uint32_t socket_mark = 0;
  // SO_BINDTODEVICE of every connection to it: the bridge of its VPC subnet on the node, so
  // that the route through its own VPC is taken (two VPCs may share a CIDR on a node,
  // agent/network/network.h). Empty: routed by the host's main table. A node without that
  // bridge (the target runs elsewhere) connects unbound.
  std::string bind_device = {};
};

struct HealthCheck {
  bool enabled = true;
  std::string protocol = "HTTP";
  std::string port = "traffic-port";  // or a number
  std::string path = "/";
  int interval_seconds = 30;
  int timeout_seconds = 5;
  int healthy_threshold = 5;
  int unhealthy_threshold = 2;
  std::string matcher = "200";  // "200", "200,202", "200-299"
};

struct TargetGroup {
  std::string arn;
  std::string name;
  std::string protocol = "HTTP";
  uint16_t port = 80;
  std::string target_type = "instance";  // instance | ip
  HealthCheck health_check;
  std::vector<Target> targets;
  int deregistration_delay_seconds = 300;
  int slow_start_seconds = 0;
  std::string algorithm = "round_robin";  // round_robin | least_outstanding_requests
  bool stickiness_enabled = false;
  std::string stickiness_type = "lb_cookie";
  int stickiness_duration_seconds = 86400;
};

struct Condition {
  std::string field;  // host-header | path-pattern | http-header | http-request-method | query-string | source-ip
  std::vector<std::string> values;
  std::string http_header_name;                             // http-header
  std::vector<std::pair<std::string, std::string>> query;  // query-string: key (may be empty), value
};

struct WeightedTargetGroup {
  std::string arn;
  int weight = 1;
};

struct Action {
  std::string type;  // forward | redirect | fixed-response
  int order = 1;
  // forward
  std::vector<WeightedTargetGroup> target_groups;
  bool group_stickiness_enabled = false;
  int group_stickiness_seconds = 3600;
  // redirect: each part may use #{protocol}, #{host}, #{port}, #{path}, #{query}
  std::string redirect_protocol = "#{protocol}", redirect_host = "#{host}", redirect_port = "#{port}",
              redirect_path = "/#{path}", redirect_query = "#{query}";
  int redirect_status = 301;  // HTTP_301 | HTTP_302
  // fixed-response
  int fixed_status = 200;
  std::string fixed_content_type = "text/plain";
  std::string fixed_body;
};

struct Rule {
  std::string arn;
  int priority = 0;  // the default rule is last, whatever its number
  bool is_default = false;
  std::vector<Condition> conditions;
  std::vector<Action> actions;  // by order; the last is the terminal one
};

struct Listener {
  std::string arn;
  std::string load_balancer_arn;
  uint16_t port = 80;
  std::string protocol = "HTTP";
  std::vector<Rule> rules;  // priority order, default rule last
  int idle_timeout_seconds = 60;  // the load balancer's idle_timeout.timeout_seconds
  // Its internet-facing load balancer's public addresses (one per subnet): the host, which
  // plays the internet, reaches the listener at each of them on `port` (lb/public_addresses.h).
  std::vector<std::string> public_addresses{};
  // Its load balancer's Scheme is internal: it answers only inside its VPC (at
  // `private_addresses`), never at the bind address nor from the host. An internet-facing one
  // answers there too, and at `public_addresses` and the bind address.
  bool internal = false;
  // Its interfaces' addresses, one per subnet: reached by connections that come in through
  // one of `vpc_bridges` (the bridges of its VPC's subnets on the node), whatever the Scheme,
  // as a task in the VPC reaches an ALB's ENIs on AWS.
  std::vector<std::string> private_addresses{};
  std::vector<std::string> vpc_bridges{};
  // Its VPC's routing table on a node (model::VpcRouteTable), where `private_addresses` get a
  // `local` route: a client on the interface's own subnet then has its ARP answered by the
  // host, and only lookups from the VPC's bridges see it. 0: none.
  uint32_t vpc_route_table = 0;
  // The sources its load balancer's security groups admit on `port` (TCP): IPv4 CIDRs, and
  // the addresses of the members of a group a rule names. A client at its public or private
  // addresses from anywhere else is dropped (lb/public_addresses.h); the bind address is not
  // checked (the host's own way in, which tests use).
  std::vector<std::string> admitted_sources{};
  // Its region's load balancer table in force holds its port (lb/public_addresses.h): it may
  // listen at every address (DataPlaneOptions::vpc_bind_address), where that table filters
  // who reaches it. Set by the publisher only once such a table has applied; false: it listens
  // at the bind address alone (a table that failed or is not there yet fails closed).
  bool filtered = false;
};

// A task's ENI with a way out of its VPC (its public address behind an internet gateway, a NAT
// gateway's elastic IP): it reaches internet-facing listeners at their public addresses as a
// client outside would, with `outside_address` as its source (lb/public_addresses.h).
struct OutsideClient {
  std::string bridge;            // its subnet's bridge on the node
  std::string ip;                // its private address
  std::string outside_address;   // the address it leaves its VPC with
};

struct Config {
  std::vector<Listener> listeners;
  std::map<std::string, TargetGroup> target_groups;  // by ARN
  // Every VPC subnet's bridge (named whether or not the node made it), and the ENIs among
  // their tasks that have a way out: only those reach a public address from a VPC.
  std::vector<std::string> vpc_bridges{};
  std::vector<OutsideClient> outside_clients{};
};

// AWS's target health states and reason codes, as DescribeTargetHealth reports them.
struct TargetHealth {
  std::string target_id;
  uint16_t port = 0;
  std::string state;        // initial | healthy | unhealthy | unused | draining | unavailable
  std::string reason;       // Elb.RegistrationInProgress, Target.ResponseCodeMismatch, ...
  std::string description;
};

// What the control plane asks of the data plane. Thread-safe.
class DataPlaneControl {
 public:
  virtual ~DataPlaneControl() = default;
  // Binds the listener's port now so CreateListener can refuse a port in use with a clear
  // error instead of failing silently later. Idempotent for the same listener.
  // It binds the bind address (or keeps the listener where it is on that port): a listener
  // moves to DataPlaneOptions::vpc_bind_address only when a configuration marks it
  // `filtered` (Listener::filtered). The port tells the listener.
  virtual Status OpenListener(const std::string& listener_arn, uint16_t port) = 0;
  virtual void CloseListener(const std::string& listener_arn) = 0;
  // Replaces the whole configuration; open connections carry on.
  virtual void Apply(std::shared_ptr<const Config> config) = 0;
  virtual std::vector<TargetHealth> Health(const std::string& target_group_arn) const = 0;
  // The requests counted since the last call (every loop's, then reset), with the health of
  // every target group a listener forwards to: what AWS/ApplicationELB metrics are made of.
  virtual TrafficReport TakeTraffic() { return {}; }
};

}  // namespace wharf::lb
