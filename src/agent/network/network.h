// Task networking on a node: one network namespace per task, wired to its subnet's Linux
// bridge by the CNI plugins (bridge + host-local IPAM, portmap when the task maps ports,
// optionally firewall), as ECS's "bridge" network mode does with Docker.
//
// Lifecycle of an attachment (keyed by a caller-chosen id, the task id):
//   Attach: record written (state_dir/attachments/<id>.json) -> namespace made at
//           <netns_dir>/<netns_prefix><id> with lo up (namespace_made told, when the subnet's
//           bridge is wired) -> record fsync'd -> CNI ADD -> result added to the record.
//           The record names the namespace's path, and everything after uses that path: an
//           attachment made under another prefix (an older agent's) keeps its namespace.
//   Detach: CNI DEL in reverse with the cached result -> namespace unmounted -> record removed.
// The record is written before anything else is made (and durable before anything that
// outlives a reboot, host-local's lease) and removed after everything is gone,
// so List() after a crash names every id that may have left something behind (a record, or
// a namespace with this Network's prefix: never another agent's), and Detach of such an id
// (even a half-made one) cleans it up. Attach of an id that already has a complete
// attachment returns it unchanged (the agent re-attaches its tasks after a restart).
//
// Host state per subnet (the bridge, host-local's lease directory, the rules in
// host_rules.h) is made on the first Attach and stays until RemoveSubnetBridge.
//
// A subnet of a VPC (Subnet::vpc_id set: awsvpc tasks) is routed in its VPC's own table, so
// that two VPCs with one CIDR run side by side and no VPC routes into another (issue 13):
//   table T = model::VpcRouteTable(vpc_id): <subnet CIDR> dev <its bridge> for every subnet of
//             the VPC on this node, nothing else
//   rule      pref 1000: iif <bridge> lookup T, one per subnet bridge
//   rule      pref 1001: iif <bridge> lookup main suppress_ifgroup 119, only while the subnet's
//             route table sends 0.0.0.0/0 to an internet or NAT gateway (SetSubnetEgress, on
//             every answer): the host's networks, the internet it plays, but no VPC's bridge
//             (each is in interface group 119); egress.h says which ENIs pass and as whom
//   rule      pref 1002: iif <bridge> unreachable: nothing else outside the VPC
//   replies   the host's own replies into the VPC (SYN-ACKs, echo replies, an unbound
//             socket's answers: main would pick any VPC's bridge for a shared address):
//             nft table `inet <CniOptions::vpc_table>` marks each connection that comes in
//             through a VPC bridge (ct mark, a map bridge -> the VPC's mark) and puts the mark on
//             its replies (a route chain, so they are routed again); rule pref 999: fwmark <mark>
//             lookup T. The packets a task sends the host carry the mark too (meta mark), so
//             that with net.ipv4.tcp_fwmark_accept and fwmark_reflect (set here) a connection
//             the host accepts, an echo reply and a reset are routed by T from their first packet
//   conntrack every packet through a VPC's bridges is tracked in the VPC's own conntrack zone
//             (VpcConntrackZone: the same table's raw-priority chains, prerouting by input
//             bridge, output by output bridge), so two VPCs' connections with the same
//             addresses and ports are two connections, not one; egress.h zones the packets to an
//             ENI's outside addresses (its public IP, its NAT's elastic IP) alike
// Packets a task sends are routed by its bridge's rule, so they reach its VPC's subnets and
// nothing else; the rule's table never falls through to main. (The kernel here has no VRF
// device, CONFIG_NET_VRF unset; this is VRF-lite: the same separation by policy routing.)
// The host keeps its connected routes in main: a host socket reaches a task of a VPC whose
// CIDR no other VPC on the node uses as before, and any task when it is bound to the task's
// subnet bridge (SO_BINDTODEVICE: the load balancer, health checks, the metadata endpoint),
// since the kernel then takes the route through that bridge. The gateway address may be on
// several bridges at once (one per VPC), which Linux allows.
//
// Thread-safe: calls for different ids run in parallel; calls for one id are serialised.
// RemoveSubnetBridge must not race an Attach on the same subnet. Needs root.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/process.h"
#include "base/status.h"

namespace wharf::agent {

struct Subnet {
  std::string id;      // e.g. subnet-0a1b...; names the CNI network
  std::string cidr;    // IPv4, e.g. 10.71.1.0/24; the gateway is its first address
  std::string bridge;  // Linux bridge name, <= 15 chars, e.g. wharf-<8 hex>
  // The VPC it belongs to (awsvpc): routed in the VPC's table (above). Empty: the host's
  // main table (bridge network mode, a task placed before VPCs were isolated).
  std::string vpc_id;
  // Its route table sends 0.0.0.0/0 to an internet or NAT gateway, when it was placed. Not
  // used by Network: the agent sets each subnet's way out on every answer (SetSubnetEgress).
  bool egress = false;
};

struct PortMapping {
  int host_port;
  int container_port;
  std::string protocol;  // tcp|udp
};

struct NetworkAttachment {
  std::string netns_path;
  std::string ip;  // without the prefix
  int prefix_length = 0;
  std::string gateway;
  std::string mac;
  std::string interface_name;  // inside the namespace
};

// What is known of an attachment once its namespace exists and its subnet's bridge answers
// at the gateway address, before CNI has wired the namespace: a runtime may create
// containers in it meanwhile (not start them), so the slowest two steps of a task's start
// overlap. (The first attachment on a subnet tells it only after CNI made the bridge.)
struct AttachmentNamespace {
  std::string netns_path;
  std::string gateway;  // the subnet's router, on the bridge
  std::string ip;       // the address CNI is to give it (requested or picked; Attach)
};
using NamespaceMade = std::function<void(const AttachmentNamespace&)>;

struct CniOptions {
  std::string plugin_dir = "/usr/lib/cni";
  // host-local IPAM data (ipam/), attachment records with the cached CNI results
  // (attachments/). Under the agent's data dir.
  std::string state_dir;
  // Under /run/netns, `ip netns exec <prefix><id>` works.
  std::string netns_dir = "/run/netns";
  // Names this Network's namespaces, and List finds its own by it: one per agent
  // (NodeNetnsPrefix), so that an agent's sweep never removes another agent's tasks' namespaces.
  // Required.
  std::string netns_prefix;
  // Adds the firewall plugin (iptables backend) to the chain: per-task rules in CNI-FORWARD.
  // Off by default: the per-subnet FORWARD rules already admit the tasks, and the plugin
  // costs several iptables runs per ADD and DEL.
  bool firewall_plugin = false;
  // Borrowed process seam; nullptr runs real programs.
  CommandRunner* runner = nullptr;
  // The node's nft table (family inet) of VPC reply marks and conntrack zones: one per agent
  // (NodeTableName), so two agents on one host never replace each other's.
  std::string vpc_table = "wharf_vpc";
  // Where the host-wide locks of subnets and VPCs are (host_lock.h): the same for every agent
  // on the host.
  std::string lock_dir = "/run/wharf";
};

// What a task runner needs of the node's network: attachments made and removed (Network
// below; a test passes a fake). Terms and thread-safety as for Network.
class NetworkAttacher {
 public:
  virtual ~NetworkAttacher() = default;
  // See the lifecycle above. `ports` become portmap's portMappings: the host port answers on
  // every host address, 127.0.0.1 included, and from other namespaces.
  // `requested_ip`, when set, is the address to take (awsvpc: the server allocated it); else
  // Network picks a free one of the subnet (round robin, as host-local would, skipping its
  // leases and the addresses of attaches under way) and has host-local take exactly it, so
  // that it is known before CNI runs.
  // `namespace_made`, when set, is called (on the caller's thread) once the namespace exists,
  // before CNI runs; not called when Attach fails before that.
  virtual Result<NetworkAttachment> Attach(const std::string& id, const Subnet& subnet,
                                           const std::vector<PortMapping>& ports,
                                           const std::string& requested_ip = "",
                                           const NamespaceMade& namespace_made = {}) = 0;
  // CNI DEL (releases the IP, removes portmap's rules and the veth), unmounts and removes the
  // namespace. OK when already gone. On a plugin error the record stays for a retry.
  virtual Status Detach(const std::string& id) = 0;
  // Inside the namespace at `netns_path`, TCP connections to 169.254.170.2:80 (the address
  // ECS gives a task's credentials endpoint) go to `address`:`port` instead (an nft DNAT
  // rule in the namespace's own table: the host is not touched, and the rule goes with the
  // namespace). Idempotent.
  virtual Status RedirectCredentialsEndpoint(const std::string& netns_path, const std::string& address,
                                             uint16_t port) = 0;
  // Puts `ip`/32 on the subnet bridge `bridge` (made by an Attach on it), so the host takes
  // packets for it that come in there: the VPC resolver's address. Idempotent; the address
  // goes with the bridge.
  virtual Status AddBridgeAddress(const std::string& bridge, const std::string& ip) { return Status::OK(); }
  // An adopted task's subnet (its attachment made by an earlier agent): what Attach's first use
  // of a subnet sets up is set up again, idempotently: the VPC bridge's routing, its part of
  // the VPC table (so RestoreVpcTable writes it back after someone deletes the table) and IPv6
  // off (a bridge an older agent made may have it on). Without it this agent knows the
  // subnet only at its next Attach there.
  virtual Status AdoptSubnet(const Subnet& subnet) { return Status::OK(); }
  // An adopted task's ENI (attachment `id` on VPC subnet `subnet`): AdoptSubnet, and its port,
  // if an older agent left CNI's name on it (vethXXXXXXXX), gets the name the node's egress
  // table fences (egress.h "ports"), as Attach gives a new one; the record says it from then on.
  virtual Status AdoptEni(const std::string& id, const Subnet& subnet) { return AdoptSubnet(subnet); }
};

class Network final : public NetworkAttacher {
 public:
  static Result<std::unique_ptr<Network>> Open(CniOptions options);

  Result<NetworkAttachment> Attach(const std::string& id, const Subnet& subnet,
                                   const std::vector<PortMapping>& ports,
                                   const std::string& requested_ip = "",
                                   const NamespaceMade& namespace_made = {}) override;
  Status Detach(const std::string& id) override;
  Status RedirectCredentialsEndpoint(const std::string& netns_path, const std::string& address,
                                     uint16_t port) override;
  Status AddBridgeAddress(const std::string& bridge, const std::string& ip) override;
  Status AdoptSubnet(const Subnet& subnet) override { return EnsureSubnet(subnet); }
  Status AdoptEni(const std::string& id, const Subnet& subnet) override;
  // The subnet bridges (of VPCs) whose route table sends 0.0.0.0/0 out get rule pref 1001;
  // every other bridge this Network gave one loses it. Idempotent; a change costs an `ip rule`.
  Status SetSubnetEgress(const std::set<std::string>& bridges) EXCLUDES(egress_mu_);
  // Writes the node's VPC table (`inet <CniOptions::vpc_table>`: reply marks and conntrack
  // zones) again for every VPC bridge made, after someone else deleted it (`nft flush
  // ruleset`; net/nft_watch.h). One nft run; none when there is no VPC bridge (the node
  // deletes the table with its last one). Whether it wrote the table.
  Result<bool> RestoreVpcTable() EXCLUDES(vpc_table_mu_, mu_);
  // "inet <CniOptions::vpc_table>", as nft and net::NftTableWatch name it.
  std::string vpc_table() const { return "inet " + options_.vpc_table; }
  // Ids with a record, or a namespace named with this Network's prefix, left on this node
  // (a namespace of another agent on the host is never listed: its prefix is another).
  Result<std::vector<std::string>> List();
  // Removes the subnet's bridge, its rules and its lease directory, and then its record.
  // FailedPrecondition while an attachment uses the subnet or a port is on its bridge.
  Status RemoveSubnetBridge(const Subnet& subnet);
  // The subnets set up on this host by this node (this agent or an earlier one with its data
  // directory) and not yet removed (subnet_records.h).
  std::vector<Subnet> SubnetsMade() const;

  std::string NetnsPath(const std::string& id) const;

 private:
  explicit Network(CniOptions options, std::unique_ptr<CommandRunner> owned_runner);

  std::string SubnetsDir() const { return options_.state_dir + "/subnets"; }
  std::shared_ptr<Mutex> IdLock(const std::string& id) EXCLUDES(mu_);
  Status DetachLocked(const std::string& id);
  Status EnsureSubnet(const Subnet& subnet) EXCLUDES(mu_);
  Status EnsureVpcRouting(const Subnet& subnet) REQUIRES(subnet_mu_) EXCLUDES(vpc_table_mu_, mu_);
  void RemoveVpcRouting(const Subnet& subnet) EXCLUDES(vpc_table_mu_, mu_, egress_mu_);
  // Whether the kernel's routing table `table` still routes through a device other than
  // `leaving` and lo: another subnet's bridge of the VPC, maybe another agent's (true when it
  // cannot tell).
  bool RouteTableHasBridge(const std::string& table, const std::string& leaving);
  // A free address of `subnet` for an Attach without a requested one; ForgetPicked once that
  // Attach is over (its lease, if any, holds it from then on).
  // `network`: the subnet's first address, host order.
  Result<std::string> PickAddress(const Subnet& subnet, uint32_t network, int prefix) EXCLUDES(address_mu_);
  void ForgetPicked(const Subnet& subnet, const std::string& ip) EXCLUDES(address_mu_);

  // Constant after construction.
  const CniOptions options_;
  const std::unique_ptr<CommandRunner> owned_runner_;
  CommandRunner& runner_;

  // Held across EnsureSubnetRules, so two first attaches on a subnet do not both add its rules.
  Mutex subnet_mu_ ACQUIRED_BEFORE(mu_);

  // Held while the VPC table is written (a bridge's part, RestoreVpcTable) or a bridge leaves
  // it, so a restore never writes the table without a bridge whose part was just written, nor
  // back with one just removed.
  Mutex vpc_table_mu_ ACQUIRED_AFTER(subnet_mu_) ACQUIRED_BEFORE(mu_);
  std::map<std::string, std::string> vpc_table_bridges_ GUARDED_BY(vpc_table_mu_);  // bridge in the VPC table -> its VPC

  // Protected by mu_.
  Mutex mu_;
  std::map<std::string, std::weak_ptr<Mutex>> id_locks_ GUARDED_BY(mu_);
  // Subnets whose rules are known to be in place.
  std::set<std::string> ready_subnets_ GUARDED_BY(mu_);
  std::map<uint32_t, std::string> vpc_tables_ GUARDED_BY(mu_);       // routing table -> VPC id
  std::map<uint16_t, std::string> vpc_zones_ GUARDED_BY(mu_);        // conntrack zone -> VPC id
  bool fwmark_sysctls_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::string> subnet_vpcs_ GUARDED_BY(mu_);  // ready subnet -> its VPC
  // Subnets whose bridge has its gateway address: CNI's first ADD on a subnet makes it.
  std::set<std::string> wired_subnets_ GUARDED_BY(mu_);
  // Addresses picked for attaches under way, and the last one picked, by subnet id.
  Mutex address_mu_;
  std::map<std::string, std::set<std::string>> picked_ GUARDED_BY(address_mu_);
  std::map<std::string, uint32_t> last_picked_ GUARDED_BY(address_mu_);
  // Bridges given rule pref 1001 (SetSubnetEgress).
  Mutex egress_mu_;
  std::set<std::string> egress_bridges_ GUARDED_BY(egress_mu_);
};

// The mark that routes a packet into VPC `vpc_id` (rule pref 999 -> its table): the host's
// replies into the VPC, and packets to an ENI's public address (egress.h).
uint32_t VpcReplyMark(const std::string& vpc_id);

// The conntrack zone of VPC `vpc_id` on a node (1..65535, from its routing table's number):
// its connections are tracked apart from every other VPC's (network.h "conntrack").
uint16_t VpcConntrackZone(const std::string& vpc_id);

// The name of one of a node's nft tables: `base` + "_" + 8 hex digits of the FNV-1a hash of
// the agent's data directory (as given: absolute), as lb/public_addresses.h names a server's.
// An agent that restarts finds its own tables; two agents on one host keep theirs apart.
std::string NodeTableName(std::string_view base, std::string_view data_dir);

// The prefix of an agent's task namespaces: "wharf-" + the same 8 hex digits + "-", so a task's
// is /run/netns/wharf-<8 hex>-<task id> (215 characters at most: a file name). Agents before it
// named theirs wharf-<task id>; the attachment record names its path, so an adopted task
// keeps it (its containers' runc specs name it too) and its Detach removes it.
std::string NodeNetnsPrefix(std::string_view data_dir);

// A free TCP host port in [49153, 65535] not in `taken` and not bound on the host (ECS's
// dynamic host port range). Unavailable when every port is used.
Result<int> PickHostPort(const std::set<int>& taken);

}  // namespace wharf::agent
