// EC2 networking records (docs/STATE.md, ec2/...): each value is the shape Describe* returns
// (Vpc, Subnet, RouteTable, InternetGateway, NatGateway), plus wharf's own `_wharf` part where
// noted. These typed views are how the EC2 API reasons about them: the member names are
// spelled here, once. Pure; a view borrows its record, which must outlive it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

// ec2/vpcs/<id>: the Vpc shape plus `_wharf.attributes` {enableDnsSupport, enableDnsHostnames,
// enableNetworkAddressUsageMetrics}.
class VpcRecord {
 public:
  explicit VpcRecord(const boost::json::object& record) : record_(record) {}
  std::string id() const;
  std::string cidr_block() const;
  bool is_default() const;
  // An attribute as stored; AWS's default (DNS support on, hostnames on in a default VPC
  // only, usage metrics off) for a record written before attributes were kept.
  bool attribute(std::string_view name) const;

 private:
  const boost::json::object& record_;
};
// Sets an attribute in a Vpc record, filling in the others' current values.
void SetVpcAttribute(boost::json::object& record, std::string_view name, bool value);

// How a node names a VPC's pieces on its host (agent/network, the load balancer's lb_config):
// the one place these names are made, so the agent and the data plane agree. Pure.
// The Linux bridge of a subnet's awsvpc tasks: kSubnetBridgePrefix + the id's last 12 characters.
inline constexpr std::string_view kSubnetBridgePrefix = "wh-";
std::string SubnetBridgeName(std::string_view subnet_id);
// The policy-routing table of a VPC on a node (agent/network/network.h): 65536 + a hash of
// the id into 2^20 numbers, clear of the kernel's (253..255) and of small numbers other
// programs pick. The agent refuses a second VPC whose number is taken on the node.
uint32_t VpcRouteTable(std::string_view vpc_id);
// The packet mark that routes the host's replies into the VPC (agent/network/network.h, rule
// pref 999): every packet a task sends the host carries it, and a connection the host accepts
// keeps its SYN's (tcp_fwmark_accept), so the server tells a VPC's connection by it.
uint32_t VpcReplyMark(std::string_view vpc_id);
// The same of the VPC whose routing table is `table` (VpcRouteTable): 0x76 in the top byte (the
// load balancers' are 0x77), the table's 20 bits around 0xf000, which portmap and kube-proxy use.
uint32_t ReplyMarkOfRouteTable(uint32_t table);
// The conntrack zone of VPC `vpc_id` on a node (1..65535, from its routing table's number): its
// connections are tracked apart from every other VPC's (agent/network/network.h "conntrack").
uint16_t VpcConntrackZone(std::string_view vpc_id);
// The conntrack zone of the VPC whose reply mark is `mark` (VpcConntrackZone(vpc) for
// VpcReplyMark(vpc)); 0 for a mark that is no VPC's.
uint16_t VpcConntrackZoneOfMark(uint32_t mark);
// The VPC's resolver (AWS's "Amazon-provided DNS server"): its IPv4 CIDR's base + 2, e.g.
// 10.0.0.2 for 10.0.0.0/16 (reserved in every subnet). "" for a CIDR that does not parse.
std::string VpcResolverAddress(std::string_view vpc_cidr);

// ec2/subnets/<id>: the Subnet shape.
class SubnetRecord {
 public:
  explicit SubnetRecord(const boost::json::object& record) : record_(record) {}
  std::string id() const;
  std::string vpc_id() const;
  std::string cidr_block() const;
  std::string availability_zone() const;

 private:
  const boost::json::object& record_;
};

// ec2/route-tables/<id>: the RouteTable shape.
class RouteTableRecord {
 public:
  explicit RouteTableRecord(const boost::json::object& record) : record_(record) {}
  std::string id() const;
  std::string vpc_id() const;
  bool is_main() const;          // holds its VPC's main association
  bool has_associations() const; // main or subnet
  bool associated_with_subnet(std::string_view subnet_id) const;
  // Has a 0.0.0.0/0 route to an internet gateway (igw-): what makes its subnets public.
  bool routes_to_internet_gateway() const;
  // 0.0.0.0/0 to an internet gateway or a NAT gateway: the subnets using it reach outside.
  bool routes_outside() const;

 private:
  const boost::json::object& record_;
};

// The route table a subnet uses: the one explicitly associated with it, else its VPC's main
// table; nullptr when there is neither. `tables` are RouteTable records.
const boost::json::object* RouteTableOfSubnet(const std::vector<boost::json::object>& tables,
                                              std::string_view subnet_id, std::string_view vpc_id);

// ec2/internet-gateways/<id>: the InternetGateway shape.
class InternetGatewayRecord {
 public:
  explicit InternetGatewayRecord(const boost::json::object& record) : record_(record) {}
  std::string id() const;
  std::string attached_vpc() const;  // empty when detached

 private:
  const boost::json::object& record_;
};

// ec2/nat-gateways/<id>: the NatGateway shape with CreateTime and, once deleted, DeleteTime
// (epoch seconds), and FailureCode/FailureMessage when it could not be made. Its State is not
// stored but follows from the times: pending for `transition_seconds` after creation, then
// available (or failed); deleting as long after deletion, then deleted.
class NatGatewayRecord {
 public:
  explicit NatGatewayRecord(const boost::json::object& record) : record_(record) {}
  std::string id() const;
  std::string subnet_id() const;
  std::string vpc_id() const;
  bool is_public() const;  // ConnectivityType public (the default)
  bool deleted() const;    // DeleteNatGateway was called: deleting or deleted
  bool failed() const;     // never made: FailureCode says why
  // Holds its network interface and elastic IP: neither failed nor deleted.
  bool holds_resources() const { return !deleted() && !failed(); }
  std::optional<double> delete_time() const;
  std::string state(double now_seconds, double transition_seconds) const;

 private:
  const boost::json::object& record_;
};

}  // namespace wharf::model
