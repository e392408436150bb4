// How the internet reaches an internet-facing load balancer (issue 13 part 5): the host plays
// the internet, as for tasks' public addresses (agent/network/egress.h), and a connection to
// one of the load balancer's public addresses on a listener's port is DNAT'd to the
// listener's bind address (--lb-bind), port unchanged.
//
// Why DNAT and not a listener socket per public address: the public addresses are on no
// interface of the host (the tasks' are not either; egress.h DNATs them), listeners already
// own their port on the bind address (one port across all load balancers, elbv2/ports/), and
// a rule per (address, port) costs nothing per connection once conntrack has it. So the data
// plane keeps one acceptor per port, and the client's own address reaches the proxy unchanged
// (DNAT rewrites only the destination). Only that pair is rewritten: a public address of load
// balancer A with a port only load balancer B listens on is not a listener (no answer).
//
// How a VPC reaches a load balancer, internal or internet-facing: a connection that comes in
// through one of the bridges of its VPC's subnets to one of its interface addresses on a
// listener's port is redirected to the address of that bridge (the subnet's gateway, local to
// the host), port unchanged, where the data plane listens at 0.0.0.0
// (DataPlaneOptions::vpc_bind_address) once this table holds the listener's port
// (filtered_ports(), Listener::filtered): a listener never listens at every address unfiltered. Every other connection to an internal listener's port
// (the host itself, another VPC, the bind address, the host's other interfaces) is not
// redirected and is dropped in input; to an internet-facing one's, refused (a TCP reset, as
// when nothing listened there) unless it is to the bind address. So the port tells the load
// balancer, the bridge tells the VPC, and two VPCs with one CIDR (both load balancers at
// 10.0.1.4, on two ports) never reach each other's.
// A VPC's task at a public address (its load balancer's DNS name answers those) passes only
// with a way out of its VPC (set way_out, from Config::outside_clients; every other one from
// a VPC bridge is dropped, as on AWS); it is redirected as above and SNAT'd in nat input to
// its outside address (map outside), which the load balancer's groups then check in filter
// input (110) at the original destination, as AWS's see a client's public address.
// Why not DNAT to the bind address: it is 127.0.0.1 by default, and the kernel drops a packet
// routed in from a bridge to 127.0.0.0/8 unless route_localnet (which would open the host's
// loopback services to every task).
//
// The load balancer's security groups: a connection to a public or interface address whose
// source the groups do not admit on that port is dropped before any rewrite (the client times
// out, as on AWS). The bind address is not checked: it is the host's own way in.
//
// The server owns table `ip <table>` (one per region), replaced whole in one nft transaction
// when a configuration changes it, removed when there is no listener, and when the server
// stops:
//   set listeners: ipv4_addr . inet_service, each public address with each of its listeners' ports
//   set interfaces: ifname . ipv4_addr . inet_service, each VPC bridge with each interface
//     address of a load balancer in that VPC and each of its ports
//   set internal_ports, facing_ports: inet_service, by Scheme;
//   set admitted: address . port . source CIDR (intervals)
//   filter prerouting and output (-140): a path whose source is not admitted: drop; from a VPC
//   bridge to the bind address on a facing port: drop (the host's way in, not a VPC's)
//   nat output (the host's own connections) and prerouting (a network namespace routed through
//   the host): ip daddr . tcp dport @listeners dnat to <bind address>; prerouting:
//   iifname . ip daddr . tcp dport @interfaces redirect. A bind address on loopback is reached by
//   the host's own connections only (the kernel drops a routed packet to 127.0.0.0/8 unless
//   route_localnet); --lb-bind with a routable address serves both.
//   filter input (-140): tcp dport @internal_ports, not DNAT'd: drop; tcp dport @facing_ports,
//   not DNAT'd, not to the bind address: reject with a TCP reset.
// Thread-compatible: the publisher calls Apply from its one publishing thread at a time.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/process.h"
#include "base/status.h"
#include "lb/config.h"

namespace wharf::lb {

// `s` is a dotted IPv4 address (what the table can DNAT to and filter by).
bool IsIpv4Address(std::string_view s);

// The nft script that makes `ip <table>` DNAT every listener's public addresses on its port
// to `bind_address` (0.0.0.0 means 127.0.0.1), or removes the table when there are none.
// InvalidArgument for an address that is not IPv4 or a table name nft would not take. Pure.
// `vpc_bridges` and `outside_clients` (Config's): a connection from a VPC bridge to a public
// address passes only from an ENI with a way out, redirected there as the interface
// addresses are and SNAT'd to its outside address, whose source the groups then check.
Result<std::string> CompilePublicAddresses(const std::vector<Listener>& listeners, std::string_view bind_address,
                                           std::string_view table, const std::vector<std::string>& vpc_bridges = {},
                                           const std::vector<OutsideClient>& outside_clients = {});

// A table name per region and server: "wharf_lb_" + the region with '-' as '_' + "_" + 8 hex
// digits of the FNV-1a hash of the server's (absolute) data directory. The same server finds
// what it left when killed; two servers on one host (a test suite's, a second data directory)
// never replace each other's table.
std::string PublicAddressTable(std::string_view region, std::string_view data_dir);

// The `ip -force -batch` script that gives each listener's interface address a route
// `local <address>/32 dev lo` in its VPC's routing table (Listener::vpc_route_table), and
// deletes those of `applied` no longer wanted. Why: a client on the interface's own subnet
// asks for the address by ARP on the bridge, and the host answers only for an address that
// is local to it; a host address (on the bridge, as the VPC resolver's) would be local to
// every VPC and shadow another VPC's task at the same address, while a route in the VPC's own
// table is seen only by lookups from that VPC's bridges (the agent's rule 1000). `routes`
// receives the wanted set, "<table> <address>". Pure.
std::string CompileLocalRoutes(const std::vector<Listener>& listeners, const std::set<std::string>& applied,
                               std::set<std::string>& routes);

// The routing protocol number wharf's local routes carry (`proto 77`): what tells them from
// anyone else's in a VPC's table after a restart.
inline constexpr int kLocalRouteProto = 77;


class PublicAddresses {
 public:
  // `vpc_routes`: this server serves VPCs on this host (its own node, or a resolver for nodes
  // here), so its listeners' interface addresses get local routes in the VPCs' tables. A server
  // of the API alone leaves those tables to the one that does: the tables are the host's, one
  // per VPC id, and a default VPC's id is the same for every server.
  PublicAddresses(CommandRunner& runner, std::string bind_address, std::string table, bool vpc_routes = true)
      : runner_(runner), bind_address_(std::move(bind_address)), table_(std::move(table)), vpc_routes_(vpc_routes) {}
  // A repeated plan costs one compile and no nft run; a refused one is reported once. The
  // first one runs even when empty, removing what a killed server left. Without nft and with
  // nothing to do: OK. The local routes are written again on every call that has any (one
  // `ip` run), since the node flushes a VPC's table when its last bridge there goes. The first
  // call also removes local routes of ours (kLocalRouteProto) in VPC tables that are not wanted
  // (a killed server's, of load balancers deleted meanwhile).
  // A refused plan is tried again on every call (the publisher's resync), so a failure that
  // passes (nft busy, a module loading) heals.
  Status Apply(const Config& config);
  // The listeners' ports the table in force surely holds: where a listener may listen at every
  // address (Listener::filtered). After a failed run, those both the old and the refused
  // plan hold (nft applies a script whole or not at all, and a run that timed out may have
  // done either).
  const std::set<uint16_t>& filtered_ports() const { return filtered_ports_; }
  // Removes the table and the local routes (the server stopping).
  Status Remove();
  // The table was removed by someone else (net/nft_watch.h): the next Apply runs nft even when
  // the plan is unchanged, and until one succeeds no port is filtered (its listeners go back to
  // the bind address rather than answer at every address with no table in front).
  void Forget() {
    applied_.clear();
    filtered_ports_.clear();
  }
  // "ip <name>", as nft and net::NftTableWatch name it.
  std::string table() const { return "ip " + table_; }
  // Whether the plan in force has a table (none without listeners).
  bool holds_table() const { return holds_table_; }

 private:
  CommandRunner& runner_;
  const std::string bind_address_;
  const std::string table_;
  const bool vpc_routes_;
  std::string applied_;
  std::string failed_;  // the last script nft refused, reported once
  bool holds_table_ = false;
  bool made_ = false;  // nft ran with a table (maybe timed out): Remove deletes it even after Forget
  std::set<uint16_t> filtered_ports_;
  std::set<std::string> routes_;  // local routes made, "<table> <address>"
  bool swept_ = false;  // a killed server's routes looked for (the first Apply)
};

}  // namespace wharf::lb
