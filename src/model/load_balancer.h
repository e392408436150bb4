// ELBv2 load balancer records: elbv2/load-balancers/<name> holds
//   {"loadBalancer": <LoadBalancer shape>, "attributes": {<key>: <value>}, "tags": [...],
//    "interfaces": [{"subnetId", "ip", "networkInterfaceId", "publicIp"?}]}
// (docs/STATE.md). `interfaces` are the load balancer's network interfaces, one per subnet,
// each holding an address claimed under ecs/eni-ips/<subnet>/<ip>; DescribeLoadBalancers does
// not show them, DescribeNetworkInterfaces does. A record written before interfaces were kept
// has none. The member names are spelled here, once. Pure; a view borrows its record.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

struct LoadBalancerInterface {
  std::string subnet_id;
  std::string ip;
  std::string network_interface_id;  // eni-...
  // An internet-facing load balancer's public address in this subnet, claimed under
  // ec2/public-ips/<ip> beside the elastic IPs; "" for an internal one (or a record written
  // before load balancers had public addresses).
  std::string public_ip{};
};

class LoadBalancerRecord {
 public:
  explicit LoadBalancerRecord(const boost::json::object& record) : record_(record) {}
  const boost::json::object& shape() const;  // the LoadBalancer shape
  std::string arn() const;
  std::string attribute(std::string_view key, std::string_view fallback = "") const;
  int idle_timeout_seconds() const;  // idle_timeout.timeout_seconds, 60 by default
  std::string name() const;
  std::string vpc_id() const;
  // "app/<name>/<id>": how AWS names a load balancer in its interfaces' descriptions.
  std::string resource_id() const;
  std::vector<std::string> security_groups() const;
  bool internet_facing() const;  // Scheme internet-facing (AWS's default), not internal
  std::vector<LoadBalancerInterface> interfaces() const;

 private:
  const boost::json::object& record_;
};

// Replaces a record's interfaces.
void SetLoadBalancerInterfaces(boost::json::object& record, const std::vector<LoadBalancerInterface>& interfaces);

// The claim value of an interface's address under ecs/eni-ips/<subnet>/<ip>, and of its public
// address under ec2/public-ips/<ip>.
boost::json::object LoadBalancerAddressClaim(const LoadBalancerInterface& interface, const std::string& lb_arn);

}  // namespace wharf::model
