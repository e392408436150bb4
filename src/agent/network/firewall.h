// Security groups on a node's awsvpc ENIs, enforced with nftables (docs/SECURITY_GROUPS.md).
//
// The node owns one table, `inet <table>` (the agent's is `wharf_<hash>`, network.h
// NodeTableName), and nothing else of the host's ruleset. Each Apply replaces the table
// whole in one nft transaction (`nft -f`: the table is declared, deleted and declared again
// with its contents), so the kernel goes from the old ruleset to
// the new one atomically and a half-applied change is never seen; applying the same plan
// twice is one compile and no nft run. An empty plan deletes the table.
//
// The table (CompileFirewall), for ENIs A..Z with group sets {g..}:
//   sets    sg_<id>_addrs (ipv4_addr), sg_<id>_marks (mark): members of each group a rule
//           names as its peer (task addresses; load balancers' socket marks)
//           gateways: the subnets' routers on this host (metadata endpoint, resolver)
//   chains  sg_<id>_in / sg_<id>_out: the group's rules, each ending in accept
//           eni_<n>_in / eni_<n>_out: one per distinct set of groups: jump to each group's
//           chain (the union of their rules), then drop
//   maps    eni_in / eni_out: (ENI's bridge, ENI address) -> jump eni_<n>_in / eni_<n>_out.
//           Keyed by the bridge too, because two VPCs may use one address on a node
//           (network.h): a packet's iif/oif is its ENI's bridge in every hook (routed, bridged
//           through br_netfilter, host-made, host-bound), so the pair names one ENI.
//   base    forward (priority -10, egress by iif + source; -5, ingress by oif + destination), output
//           (host-made connections, the load balancer's among them: ingress), input (the
//           tasks' connections to this host: egress, less their gateway)
// Each base chain first accepts the packets of tracked connections (established, both
// directions) and related ones (ICMP errors): security groups are stateful and track
// connections as AWS's do, so only a connection's first packet walks the rules, and a revoked
// rule stops new connections but not the ones it admitted (AWS: "existing tracked connections
// are not interrupted"). Flows AWS leaves untracked (a 0.0.0.0/0 rule, every port from
// anywhere the other way) are flagged on their first packet (a conntrack mark bit for the
// initiator's side, one for the responder's), and the flagged side's packets walk its ENI's
// rules every time, so a revoke cuts them at once (docs/SECURITY_GROUPS.md "Untracked flows").
// Traffic between tasks on one subnet is bridged: it reaches the forward hook only through
// br_netfilter (net.bridge.bridge-nf-call-iptables=1), which Firewall turns on.
//
// Rules and members grow the table by the groups' rules and members, not by the number of
// ENIs: an ENI costs one element in each map.
//
// Thread-compatible: one Firewall per node, called from the agent's poll loop.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/process.h"
#include "base/status.h"
#include "model/security_group.h"

namespace wharf::agent {

struct FirewallEni {
  std::string ip;       // its IPv4 address
  std::string gateway;  // its subnet's router on this host
  std::vector<std::string> groups;
  std::string bridge;  // its subnet's bridge on this host (required)
};

struct FirewallPlan {
  std::vector<FirewallEni> enis;
  model::NodeSecurity security;  // rules of the ENIs' groups, members of the groups they name
};

// The nft script that makes table `inet <table>` what the plan says (or removes it when the
// plan has no ENIs). InvalidArgument for a group id, address or CIDR that is not one (the
// script must never carry anything else). IPv6 peers and prefix lists match nothing: tasks
// have IPv4 addresses only, and wharf's EC2 has no managed prefix lists. Pure.
Result<std::string> CompileFirewall(const FirewallPlan& plan, std::string_view table = "wharf");

// The same script, and apart from it its shape (the script without any set's or map's
// elements) and the elements of each set and map (name -> key -> " : <verdict>" for a map,
// "" for a set). Two plans of one shape differ by elements only: a task's ENI joining or
// leaving a set of groups that has its chains, a group's members, the gateways.
struct CompiledFirewall {
  std::string full;
  std::string shape;
  std::map<std::string, std::map<std::string, std::string>> elements;
};
Result<CompiledFirewall> CompileFirewallParts(const FirewallPlan& plan, std::string_view table = "wharf");

// One nft transaction (deletes, then adds) that takes a table of `from`'s elements to `to`'s;
// both of one shape. Empty when nothing differs. Pure.
std::string FirewallElementChanges(const CompiledFirewall& from, const CompiledFirewall& to,
                                   std::string_view table = "wharf");

class Firewall {
 public:
  // `runner` is borrowed.
  explicit Firewall(CommandRunner& runner, std::string table = "wharf") : runner_(runner), table_(std::move(table)) {}

  Status Apply(const FirewallPlan& plan);
  // The next Apply runs nft even when the plan is unchanged, so that a table someone else
  // removed (`nft flush ruleset`) comes back: net/nft_watch.h tells the agent at once, and the
  // agent also calls it now and then.
  void Forget() { applied_.reset(); }
  // Deletes the table; OK when there is none.
  Status Remove();
  // "inet <name>", as nft and net::NftTableWatch name it.
  std::string table() const { return "inet " + table_; }
  // Whether the plan in force has a table (a node without awsvpc ENIs has none).
  bool holds_table() const { return holds_table_; }

 private:
  Status Run(const std::string& script);

  CommandRunner& runner_;
  const std::string table_;
  // The last plan in force, so a repeated plan costs no nft run and a plan of the same shape
  // only its element changes.
  std::optional<CompiledFirewall> applied_;
  bool holds_table_ = false;
  bool bridge_filtering_ = false;
};

// The ENIs whose groups' rules the node's table holds, for the task runners: an awsvpc task's
// container is started only once its ENI is in force, so that a task never runs unfiltered,
// not even for the moment between its start and the agent's next Apply (its ENI missing from
// the table's maps would let every packet pass).
//
// Keyed by task ARN and ENI address, not by address alone: a task given a leaving task's
// address must not pass on the leaving one's entry.
//
// Thread-safe: the agent's loop sets it after each Apply; task runners wait on it.
class EnforcedEnis {
 public:
  // The ENIs (task ARN, ENI address) of the plan now in force, after an Apply that succeeded.
  void SetKeys(std::set<std::pair<std::string, std::string>> keys) EXCLUDES(mu_);
  // True once `task_arn`'s ENI at `ip` is in force; false at `deadline` or as soon as `stop`
  // says so (asked every 50 ms).
  bool Wait(const std::string& task_arn, const std::string& ip, std::chrono::steady_clock::time_point deadline,
            const std::function<bool()>& stop) EXCLUDES(mu_);

 private:
  Mutex mu_;
  CondVar cv_;
  std::set<std::pair<std::string, std::string>> in_force_ GUARDED_BY(mu_);
};

}  // namespace wharf::agent
