// The way in and out of a VPC for a node's awsvpc ENIs (issue 13 part 3), with nftables:
// the host plays the internet, and the server decides per ENI (controlplane/vpc_egress.h)
// which address it leaves with and whether it has a public one.
//
// Routing (network.h) lets a subnet whose route table sends 0.0.0.0/0 to an internet or NAT
// gateway reach the host's networks (rule pref 1001); this table says which of its ENIs may,
// and as whom. The node owns table `ip <table>` (the agent's is `wharf_egress_<hash>`,
// network.h NodeTableName), replaced whole in one nft transaction
// on every answer that changes it (as firewall.h's), so a route change, a NAT gateway made or
// deleted, reaches running tasks at once:
//   maps    eni_marks: (bridge, ENI address) -> 0x7a000000 | n, the ENIs with an outside address
//           snat_to:   that mark -> the address they leave with (public IP or the NAT's EIP)
//           public_to: public IP -> ENI address; public_marks: public IP -> its VPC's reply mark
//   forward packets from a VPC bridge to anything but a VPC bridge get their ENI's mark, and
//           are dropped without one (a task in a public subnet without a public IP, in a private
//           subnet whose NAT gateway is gone); packets from outside into a VPC bridge pass only
//           as replies or to a public address (DNAT): the internet reaches no private address
//   nat     postrouting: snat to the marked ENI's outside address (before the per-subnet
//           masquerade of host_rules.h, whose binding then never happens); prerouting and
//           output: a public address is DNAT'd to its ENI, after its VPC's reply mark is put on
//           the packet, so that rule pref 999 routes it into the right VPC (two VPCs may use one
//           private address).
//   input   (priority -20, before the security groups' input chain) the host's own addresses
//           from a VPC bridge: routing sends a task's packet to any host address through the
//           local table (rule pref 0) before its VPC's rules, whatever its subnet's routes. Only
//           these pass: replies (established, related), connections something here DNAT'd or
//           redirected (an internal load balancer, the server's front), everything from an ENI
//           with an outside address (the host is the internet), and the services AWS provides
//           inside a VPC at the ENI's own bridge (`bridge . address` pairs, not `fib`: two
//           VPCs' bridges may carry one address, and the local table names one of them): the
//           resolver (53), the task metadata endpoint (`metadata_ports`) and the gateway's echo
//           replies. 127/8 passes only DNAT'd (route_localnet, network.cc).
//   input_claim, input_fence (-22, -21) every packet from a VPC bridge to the host must come
//           from an ENI on that bridge (`bridge . address`), as on the way out (forward_fence):
//           each table claims its own ENIs' packets (a mark bit, cleared again at -20), and
//           on the bridges its ENIs are on (set bridges) what no table claimed (a spoofed
//           source, a stray) is dropped.
//   front   the server as the internet sees it (ECR, the registry, the other AWS APIs):
//           kServerPublicAddress:443 from an ENI with an outside address is DNAT'd to where the
//           server listens (`ServerFront`); from any other ENI it is dropped, so a dial times
//           out, as a Fargate task's without a way out does (agent/pull_path.h).
//   endpoints  a VPC's interface endpoints (ecr.dkr, ecr.api, secretsmanager, ssm, ...): the
//           server plays every one of them. A connection from an ENI to an endpoint's address
//           on 443 is DNAT'd to where the server listens only when the endpoint's security
//           groups admit the ENI (set endpoint_paths: bridge . ENI . endpoint address, decided
//           by the server, controlplane::EndpointInterfaces); any other packet to the address
//           is dropped in input (set endpoints), so the client times out, as on AWS. The
//           address is local to the VPC's routing table (`local <address>/32 dev lo`, proto
//           kEndpointRouteProto, one `ip -batch` per change), so the host answers ARP for it on
//           the endpoint's own subnet's bridge and routes it in from the VPC's other subnets,
//           as the server does for internal load balancers' interfaces (lb/public_addresses.h).
//           An interface gone from a VPC the node still serves (the endpoint deleted, replaced
//           by another at the same address, or out of a subnet) ends its connections once the
//           table no longer DNATs to it: conntrack's entries of the VPC's zone to its address on
//           443 are deleted (net/conntrack_flows.h), as deleting an AWS endpoint ends them. The
//           agent's first plan (it may have restarted) ends those DNAT'd to the server to an
//           address that is no endpoint interface any more (ToNoneOf). Two agents serving one
//           VPC share its zone: a restarted one whose first plan predates an endpoint the
//           other already serves ends that endpoint's connections once (clients reconnect).
//   raw     prerouting and output: a packet to an ENI's outside address (the reply to its SNAT'd
//           connection, a connection to its public address) is tracked in its VPC's conntrack
//           zone (network.h), where the connection's other direction is, through its bridge.
//   ports   (table `bridge <table>`, written in the same transaction) every frame a task sends
//           into a VPC bridge must carry its ENI's address, as AWS's source/destination check
//           says: the host side of an ENI's veth has a name made of its bridge and address
//           (EniPortName; Network::Attach renames CNI's), and set ports holds (port, MAC,
//           address) per ENI. In the bridge family's prerouting, before br_netfilter hands a
//           frame to the IPv4 hooks (bridged to another task, routed to another subnet, to the
//           host), each table claims its own ports' IPv4 and ARP frames whose source MAC and
//           address (ARP: the sender's too) are the port's ENI's (a mark bit, -203: no task
//           takes another's address, nor sends with its MAC; the ports learn no MAC at all,
//           network.cc NameEniPort), drops what no table claimed from a "wv*" port (-202: a
//           forged source, another ENI's address or nobody's, which the security groups would
//           have taken for that address) and clears the bit (-201). IPv6 is dropped from and
//           to every "wv*" port: a subnet without an IPv6 CIDR carries none, and the security
//           groups are IPv4 rules (link-local between two tasks of one bridge passed unseen).
//           A port of a task an older agent attached (CNI's vethXXXXXXXX) is fenced here once
//           a restarted agent adopts it (NetworkAttacher::AdoptEni renames it), until then
//           only by input_fence and forward_fence.
// Two agents on one host (tables are named per agent) share the bridges of the subnets they both
// serve: each table marks and SNATs only its own ENIs (map eni_marks, set enis), and the drop of
// what no table marked comes at a later priority than every table's marking (forward_fence).
// Thread-compatible: one Egress per node, called from the agent's poll loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/status.h"
#include "net/conntrack_flows.h"

namespace wharf::agent {

struct EgressEni {
  std::string bridge;           // its subnet's bridge on this host
  std::string ip;               // its private address
  std::string outside_address;  // "" when it reaches nothing outside its VPC
  std::string public_ip;        // "" when it has none
  uint32_t vpc_mark = 0;        // VpcReplyMark of its VPC (network.h)
  // The services AWS provides in the VPC, at addresses of `bridge`: its subnet's router (the
  // task metadata endpoint) and the VPC resolver. "": none.
  std::string gateway{};
  std::string dns_server{};
  uint16_t vpc_zone = 0;        // VpcConntrackZone of its VPC (network.h); 0: none
  // Its VPC's interface endpoints' addresses that its calls go to (TaskAssignment::Eni::
  // endpoints), and those of them whose groups admit it (DNAT'd to the server on 443).
  std::vector<std::string> endpoints{};
  std::vector<std::string> admitted_endpoints{};
  // The VpcEndpointId at each of `endpoints` (none known: ""): an endpoint replaced at the same
  // address is another, whose connections end (EndpointsGone).
  std::map<std::string, std::string> endpoint_ids{};
  uint32_t vpc_route_table = 0;  // model::VpcRouteTable of its VPC: where the endpoints' routes go
};

// The host side of the veth of the ENI at `ip` on `bridge`: "wv" and 13 hex digits (52 bits)
// of the FNV-1a hash of "bridge/ip": 15 characters (IFNAMSIZ - 1). Two VPCs may use one
// address on a node, but not on one bridge; two ENIs' names collide with odds of about n^2 /
// 2^53 (n ENIs on the node), and the second's rename fails (Attach fails) rather than fence the
// wrong port. Pure.
std::string EniPortName(std::string_view bridge, std::string_view ip);
// An ENI's MAC: 02:77 (locally administered, unicast) and its address's four bytes, as
// Network::Attach asks CNI for (the same MAC for an address given back and taken again: the
// neighbours' ARP entries stay right). Pure.
std::string EniMac(std::string_view ip);
inline constexpr std::string_view kEniPortPrefix = "wv";

// The address and port at which tasks reach the server "on the internet": from RFC 2544's
// benchmarking range (never routed on the internet, not the public-ip-pool's 198.51.100/24).
inline constexpr std::string_view kServerPublicAddress = "198.18.0.1";
inline constexpr uint16_t kServerPublicPort = 443;
// The port of a VPC's interface endpoints (HTTPS), redirected to the server.
inline constexpr uint16_t kEndpointPort = 443;

// Where the server listens (its API and registry port), for the front's DNAT.
struct ServerFront {
  std::string address;  // IPv4
  uint16_t port = 0;
};

struct EgressPlan {
  std::vector<EgressEni> enis{};
  std::optional<ServerFront> server{};      // none: no front (the server is not reachable from tasks)
  std::vector<uint16_t> metadata_ports{};  // the task metadata endpoint's on the bridges
};

// The nft script that makes tables `ip <table>` and `bridge <table>` what `plan` says (the
// node's VPC ENIs), or removes them when there are none. InvalidArgument for an address or bridge name that is not
// one. Pure.
Result<std::string> CompileEgress(const EgressPlan& plan, std::string_view table = "wharf_egress");

// The routing protocol number of the endpoints' local routes (the load balancers' are 77).
inline constexpr int kEndpointRouteProto = 78;

// The "<table> <address>" local routes `plan` wants: each ENI's endpoints in its VPC's table.
std::set<std::string> EndpointRoutes(const EgressPlan& plan);

// The `ip -force -batch` script that makes `wanted` the routes of ours, deleting those of
// `applied` no longer wanted, and writing those not in `applied` (every wanted one with
// `rewrite`: something else may have removed them). "" when there is nothing to do. Pure.
std::string CompileEndpointRoutes(const std::set<std::string>& wanted, const std::set<std::string>& applied,
                                  bool rewrite = false);

// (conntrack zone, address, VpcEndpointId) of each VPC interface endpoint interface `plan`'s
// ENIs reach (zone 0, no VPC's, is never one).
struct EndpointFlowKey {
  uint16_t zone = 0;
  std::string address;
  std::string vpc_endpoint_id;
  auto operator<=>(const EndpointFlowKey&) const = default;
};
std::set<EndpointFlowKey> EndpointFlows(const EgressPlan& plan);
// Of `before`, the endpoint interfaces gone from the VPCs `after` still has ENIs in: the
// endpoint was deleted, left a subnet or was replaced by another at the same address (its id
// differs), and the connections DNAT'd to it end, as on AWS. A
// VPC this node no longer serves keeps its flows: its ENIs are gone with theirs, and another
// agent on the host may still serve it. Pure.
std::vector<EndpointFlowKey> EndpointsGone(const std::set<EndpointFlowKey>& before, const EgressPlan& after);

// The connections to end (net::FlowFilter): those dialled to `address`:kEndpointPort.
net::FlowFilter ToEndpoint(const std::string& address);
// An agent's first plan: it knows nothing of what it DNAT'd before (a restart), so of the flows
// DNAT'd to `server` (the reply's source), those dialled on kEndpointPort to none of `kept`
// (the zone's endpoint interfaces now, the server's public address) end.
net::FlowFilter ToNoneOf(const ServerFront& server, const std::set<std::string>& kept);
// Ends the connections of conntrack zone `zone` (never 0, the host's) that a filter picks (the
// number ended); net::EndConntrackFlows by default, a fake in tests.
using EndFlows = std::function<Result<int>(uint16_t zone, const net::FlowFilter& which)>;

class Egress {
 public:
  explicit Egress(CommandRunner& runner, std::string table = "wharf_egress",
                  EndFlows end_flows = net::EndConntrackFlows)
      : runner_(runner), table_(std::move(table)), end_flows_(std::move(end_flows)) {}
  // A repeated plan costs one compile and no nft run. Once the table no longer DNATs to an
  // endpoint interface gone from a VPC (EndpointsGone), the connections made to it end; the
  // first plan (the agent started) ends, in each of its VPCs' zones, those DNAT'd to the
  // server through no endpoint interface it still has (ToNoneOf).
  Status Apply(const EgressPlan& plan);
  // The next Apply writes the table and the endpoints' routes again (the agent's refresh).
  void Forget() {
    applied_.clear();
    rewrite_routes_ = true;
  }
  Status Remove();
  // "ip <name>", as nft and net::NftTableWatch name it.
  std::string table() const { return "ip " + table_; }
  // "bridge <name>": the ports' fence (above), written and removed with the ip table.
  std::string ports_table() const { return "bridge " + table_; }
  // Whether the plan in force has a table (a node without VPC ENIs has none).
  bool holds_table() const { return holds_table_; }

 private:
  // The endpoints' routes (proto 78) the kernel has in the routing tables of `routes`; none
  // when `ip` cannot tell.
  std::optional<std::set<std::string>> KernelRoutes(const std::set<std::string>& routes);
  Status ApplyTable(const EgressPlan& plan);

  CommandRunner& runner_;
  const std::string table_;
  const EndFlows end_flows_;
  std::set<EndpointFlowKey> endpoint_flows_;  // of the plan in force
  bool swept_ = false;                        // the first plan's zones swept (ToNoneOf)
  std::string applied_;
  std::set<std::string> routes_;  // the endpoints' local routes made, "<table> <address>"
  bool rewrite_routes_ = false;
  bool reconciled_ = false;  // the kernel's routes were listed since the start (or the refresh)
  bool holds_table_ = false;
};

}  // namespace wharf::agent
