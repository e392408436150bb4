#include "agent/network/firewall.h"

#include <arpa/inet.h>

#include <algorithm>

#include <fstream>
#include <optional>
#include <map>
#include <set>
#include <sstream>

#include "base/logging.h"
#include "net/nft_apply.h"

namespace wharf::agent {
namespace {

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

// "a.b.c.d/n" with n in 0..32; host bits are the kernel's business (nft masks them).
bool IsIpv4Cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return IsIpv4(s);
  std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(bits) <= 32 && IsIpv4(s.substr(0, slash));
}

// A Linux interface name that is safe inside an nft string: 1..15 of [A-Za-z0-9_.-].
bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsGroupId(const std::string& id) {
  if (id.size() < 4 || id.size() > 64 || !id.starts_with("sg-")) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// nft names: letters, digits and underscores.
std::string GroupName(const std::string& id) {
  std::string out = "sg_" + id.substr(3);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

// The protocol and port part of a rule; nullopt when the rule can match nothing here.
// `egress`: the port the task asked for (`ct original proto-dst`), not the packet's: a
// connection to an interface endpoint or a load balancer is DNAT'd or redirected to another
// port before the input hook, and the task's rule names the port it dialled (443, 80).
std::optional<std::string> Match(const model::SecurityGroupRule& r, bool egress) {
  const std::string& p = r.protocol;
  auto ports = [&](const char* proto) -> std::string {
    bool all = r.from_port < 0 || (r.from_port == 0 && r.to_port == 65535);
    if (all) return std::string("meta l4proto ") + proto;
    int to = r.to_port < 0 ? r.from_port : r.to_port;
    std::string range = std::to_string(r.from_port);
    if (to != r.from_port) range += "-" + std::to_string(to);
    if (egress) return std::string("meta l4proto ") + proto + " ct original proto-dst " + range;
    return std::string(proto) + " dport " + range;
  };
  if (p == "-1") return std::string();
  if (p == "tcp" || p == "6") return ports("tcp");
  if (p == "udp" || p == "17") return ports("udp");
  if (p == "icmp" || p == "1") {
    std::string m = "meta l4proto icmp";
    if (r.from_port >= 0 && r.from_port <= 255) {
      m += " icmp type " + std::to_string(r.from_port);
      if (r.to_port >= 0 && r.to_port <= 255) m += " icmp code " + std::to_string(r.to_port);
    }
    return m;
  }
  if (p == "icmpv6" || p == "58") return std::nullopt;  // IPv4 tasks only
  if (!p.empty() && p.size() <= 3 && p.find_first_not_of("0123456789") == std::string::npos && std::stoi(p) <= 255) {
    return "meta l4proto " + p;
  }
  return std::nullopt;
}

// One line per way the rule admits a peer (ingress: source; egress: destination).
Result<std::vector<std::string>> RuleLines(const model::SecurityGroupRule& r, bool ingress,
                                           std::set<std::string>& referenced) {
  std::vector<std::string> lines;
  std::optional<std::string> match = Match(r, !ingress);
  if (!match) return lines;
  std::string tail = (match->empty() ? "" : " " + *match) + " accept";
  // Egress is checked at the address the task asked for, before any NAT on the host: a
  // connection to a load balancer's interface address is redirected to the task's own
  // gateway (lb/public_addresses.h), which no rule names. Rules run only for a connection's
  // first packet (original direction), where the two are the same unless NAT rewrote it.
  const char* dir = ingress ? "ip saddr" : "ct original ip daddr";
  if (!r.cidr.empty()) {
    if (r.cidr.find(':') != std::string::npos) return lines;  // IPv6
    if (!IsIpv4Cidr(r.cidr)) return Status::InvalidArgument("not an IPv4 CIDR: " + r.cidr);
    bool any = r.cidr == "0.0.0.0/0";
    lines.push_back((any ? std::string("meta nfproto ipv4") : std::string(dir) + " " + r.cidr) + tail);
  } else if (!r.group_id.empty()) {
    if (!IsGroupId(r.group_id)) return Status::InvalidArgument("not a security group id: " + r.group_id);
    referenced.insert(r.group_id);
    std::string name = GroupName(r.group_id);
    lines.push_back(std::string(dir) + " @" + name + "_addrs" + tail);
    // A load balancer in the group: its connections come from this host, with its mark.
    if (ingress) lines.push_back("meta mark @" + name + "_marks" + tail);
  }
  return lines;  // prefix lists: none exist in wharf's EC2
}

// Security group connection tracking (AWS's EC2 guide): a TCP or UDP flow that a 0.0.0.0/0
// rule admits, while the other direction admits every port of its protocol to or from
// 0.0.0.0/0, is not tracked at that ENI, so a revoke stops it at once. wharf keeps tracking
// it (its NAT and zones need the entry) and flags the connection on its first packet instead,
// one conntrack mark bit per side; the base chains then let the flagged side's packets walk
// its ENI's rules again. Bits 0xf000 are clear in the VPCs' reply marks (network.h), which
// copy ct mark onto packets with these bits masked out.
constexpr const char* kUntrackedInitiator = "0x00001000";  // the ENI that opened it (egress)
constexpr const char* kUntrackedResponder = "0x00002000";  // the ENI it was opened to (ingress)

bool IsProtocol(const std::string& p, const char* name, const char* number) { return p == name || p == number; }

// Whether `rules` admit every port of `proto` ("tcp" or "udp") to or from 0.0.0.0/0.
bool AdmitsAllPortsFromAnywhere(const std::vector<const model::SecurityGroupRule*>& rules, const std::string& proto) {
  for (const auto* r : rules) {
    if (r->cidr != "0.0.0.0/0") continue;
    if (r->protocol == "-1") return true;
    bool same = proto == "tcp" ? IsProtocol(r->protocol, "tcp", "6") : IsProtocol(r->protocol, "udp", "17");
    if (same && (r->from_port < 0 || (r->from_port == 0 && r->to_port == 65535))) return true;
  }
  return false;
}

// The lines of an ENI chain (a set of groups, one direction) that flag the untracked flows on
// their first packet: the direction's 0.0.0.0/0 rules, per protocol whose every port the
// other direction admits from anywhere.
std::vector<std::string> UntrackedLines(const std::vector<const model::SecurityGroupRules*>& groups, bool ingress) {
  std::vector<const model::SecurityGroupRule*> these, other;
  for (const auto* g : groups) {
    for (const auto& r : ingress ? g->ingress : g->egress) these.push_back(&r);
    for (const auto& r : ingress ? g->egress : g->ingress) other.push_back(&r);
  }
  std::vector<std::string> lines;
  std::set<std::string> seen;
  for (const char* proto : {"tcp", "udp"}) {
    if (!AdmitsAllPortsFromAnywhere(other, proto)) continue;
    for (const auto* r : these) {
      if (r->cidr != "0.0.0.0/0") continue;
      std::optional<std::string> match;
      if (r->protocol == "-1") {
        match = std::string("meta l4proto ") + proto;
      } else if (std::string(proto) == "tcp" ? IsProtocol(r->protocol, "tcp", "6") : IsProtocol(r->protocol, "udp", "17")) {
        match = Match(*r, !ingress);
      }
      if (!match) continue;
      std::string line = "ct state new meta nfproto ipv4 " + *match + " ct mark set ct mark | " +
                         (ingress ? kUntrackedResponder : kUntrackedInitiator) + " accept";
      if (seen.insert(line).second) lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace

namespace {

// The script written twice over: `full` with every set's and map's elements, `shape` without
// them (the elements kept apart, per set), so that two plans of one shape differ by elements.
struct Writer {
  std::ostringstream full, shape;
  CompiledFirewall* out = nullptr;
  template <class T>
  Writer& operator<<(const T& v) {
    full << v;
    shape << v;
    return *this;
  }
  // `items`: key -> value (": jump ..." for a map, empty for a set), in the order written.
  void Elements(const std::string& set, const std::vector<std::pair<std::string, std::string>>& items) {
    auto& kept = out->elements[set];
    if (items.empty()) return;
    std::string line;
    for (const auto& [k, v] : items) {
      line += (line.empty() ? "" : ", ") + k + v;
      kept[k] = v;
    }
    full << "    elements = { " << line << " }\n";
  }
};

std::vector<std::pair<std::string, std::string>> Keys(const std::vector<std::string>& keys) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys) out.emplace_back(k, "");
  return out;
}

}  // namespace

Result<CompiledFirewall> CompileFirewallParts(const FirewallPlan& plan, std::string_view table_name) {
  std::string table = "inet " + std::string(table_name);
  CompiledFirewall out;
  Writer s;
  s.out = &out;
  // Declared first so that the delete never fails: one transaction either way.
  s << "table " << table << " {}\ndelete table " << table << "\n";
  if (plan.enis.empty()) {
    out.full = s.full.str();
    out.shape = s.shape.str();
    return out;
  }

  // (bridge, ENI address) -> its groups (an address listed twice, by a task stopping and the
  // one taking its address over, gets the union).
  std::map<std::pair<std::string, std::string>, std::set<std::string>> enis;
  std::set<std::string> gateways;
  for (const auto& e : plan.enis) {
    if (!IsIpv4(e.ip)) return Status::InvalidArgument("not an IPv4 address: " + e.ip);
    if (!IsInterfaceName(e.bridge)) return Status::InvalidArgument("not a bridge name: '" + e.bridge + "'");
    auto& groups = enis[{e.bridge, e.ip}];
    for (const auto& g : e.groups) {
      if (!IsGroupId(g)) return Status::InvalidArgument("not a security group id: " + g);
      groups.insert(g);
    }
    if (!e.gateway.empty()) {
      if (!IsIpv4(e.gateway)) return Status::InvalidArgument("not an IPv4 address: " + e.gateway);
      gateways.insert(e.gateway);
    }
  }

  s << "table " << table << " {\n";
  std::set<std::string> referenced;
  std::set<std::string> defined;
  std::map<std::string, const model::SecurityGroupRules*> by_id;
  std::ostringstream chains;
  for (const auto& g : plan.security.groups) {
    if (!IsGroupId(g.group_id)) return Status::InvalidArgument("not a security group id: " + g.group_id);
    if (!defined.insert(g.group_id).second) continue;
    by_id[g.group_id] = &g;
    std::string name = GroupName(g.group_id);
    for (bool ingress : {true, false}) {
      chains << "  chain " << name << (ingress ? "_in" : "_out") << " {\n";
      for (const auto& r : ingress ? g.ingress : g.egress) {
        ASSIGN_OR_RETURN(std::vector<std::string> lines, RuleLines(r, ingress, referenced));
        for (const auto& l : lines) chains << "    " << l << "\n";
      }
      chains << "  }\n";
    }
  }
  // Sets of the referenced groups' members (empty when the server named none).
  for (const auto& id : referenced) {
    std::string name = GroupName(id);
    std::vector<std::string> addresses, marks;
    if (auto it = plan.security.members.find(id); it != plan.security.members.end()) {
      for (const auto& a : it->second.addresses) {
        if (!IsIpv4(a)) return Status::InvalidArgument("not an IPv4 address: " + a);
        addresses.push_back(a);
      }
      for (uint32_t m : it->second.marks) marks.push_back(std::to_string(m));
    }
    s << "  set " << name << "_addrs {\n    type ipv4_addr\n";
    s.Elements(name + "_addrs", Keys(addresses));
    s << "  }\n  set " << name << "_marks {\n    type mark\n";
    s.Elements(name + "_marks", Keys(marks));
    s << "  }\n";
  }
  s << "  set gateways {\n    type ipv4_addr\n";
  s.Elements("gateways", Keys({gateways.begin(), gateways.end()}));
  s << "  }\n";
  s << chains.str();

  // One pair of chains per distinct set of groups: the union of their rules, else drop.
  // Numbered in the order of the sets, not of the ENIs, so that an ENI joining a set that
  // has a chain changes elements only.
  std::map<std::set<std::string>, int> combos;
  for (const auto& [_, groups] : enis) combos.emplace(groups, 0);
  int n = 0;
  for (auto& [groups, index] : combos) {
    index = n++;
    std::vector<const model::SecurityGroupRules*> described;
    for (const auto& g : groups) {
      if (auto it = by_id.find(g); it != by_id.end()) described.push_back(it->second);
    }
    for (bool ingress : {true, false}) {
      const char* suffix = ingress ? "_in" : "_out";
      s << "  chain eni_" << index << suffix << " {\n";
      for (const auto& line : UntrackedLines(described, ingress)) s << "    " << line << "\n";
      for (const auto& g : groups) {
        // A group the server did not describe (deleted) allows nothing.
        if (defined.count(g)) s << "    jump " << GroupName(g) << suffix << "\n";
      }
      s << "    drop\n  }\n";
    }
  }
  std::vector<std::pair<std::string, std::string>> in_elements, out_elements;
  for (const auto& [key, groups] : enis) {
    const auto& [bridge, ip] = key;
    std::string eni = "eni_" + std::to_string(combos.at(groups));
    std::string eni_key = "\"" + bridge + "\" . " + ip;
    in_elements.emplace_back(eni_key, " : jump " + eni + "_in");
    out_elements.emplace_back(eni_key, " : jump " + eni + "_out");
  }
  s << "  map eni_in {\n    type ifname . ipv4_addr : verdict\n";
  s.Elements("eni_in", in_elements);
  s << "  }\n";
  s << "  map eni_out {\n    type ifname . ipv4_addr : verdict\n";
  s.Elements("eni_out", out_elements);
  s << "  }\n";

  // Security groups track connections (docs/SECURITY_GROUPS.md "Connection tracking"): a
  // packet of a connection the rules admitted (established, either direction) or one related
  // to it (an ICMP error) passes without a look at the rules, so only a connection's first
  // packet walks them, and a revoked rule leaves the connections it admitted alone, as on AWS.
  // Except on the side of an untracked flow (UntrackedLines): its packets walk that ENI's
  // rules every time. A sender's egress is checked by source (the initiator sends the
  // original direction), a receiver's ingress by destination (the responder receives it).
  auto stateful = [](bool egress) {
    const char* original = egress ? kUntrackedInitiator : kUntrackedResponder;
    const char* reply = egress ? kUntrackedResponder : kUntrackedInitiator;
    return std::string("    ct state related accept\n") +
           "    ct state established ct direction original ct mark & " + original + " == 0 accept\n" +
           "    ct state established ct direction reply ct mark & " + reply + " == 0 accept\n";
  };
  s << "  chain forward_egress {\n    type filter hook forward priority -10; policy accept;\n"
    << stateful(true) << "    iifname . ip saddr vmap @eni_out\n  }\n";
  s << "  chain forward_ingress {\n    type filter hook forward priority -5; policy accept;\n"
    << stateful(false) << "    oifname . ip daddr vmap @eni_in\n  }\n";
  s << "  chain output_ingress {\n    type filter hook output priority -5; policy accept;\n"
    << stateful(false) << "    oifname . ip daddr vmap @eni_in\n  }\n";
  // A task's own router is where its metadata endpoint and resolver answer, which AWS does
  // not filter either (169.254.169.254, the VPC's .2): asked for there, not redirected there
  // (a load balancer's interface address, which its egress rules must admit).
  s << "  chain input_egress {\n    type filter hook input priority -10; policy accept;\n"
    << stateful(true) << "    ct original ip daddr @gateways accept\n    iifname . ip saddr vmap @eni_out\n  }\n";
  s << "}\n";
  out.full = s.full.str();
  out.shape = s.shape.str();
  return out;
}

Result<std::string> CompileFirewall(const FirewallPlan& plan, std::string_view table_name) {
  ASSIGN_OR_RETURN(CompiledFirewall c, CompileFirewallParts(plan, table_name));
  return std::move(c.full);
}

std::string FirewallElementChanges(const CompiledFirewall& from, const CompiledFirewall& to,
                                   std::string_view table_name) {
  const std::string table = "inet " + std::string(table_name);
  std::string deletes, adds;
  for (const auto& [set, want] : to.elements) {
    static const std::map<std::string, std::string> kNone;
    auto it = from.elements.find(set);
    const auto& have = it == from.elements.end() ? kNone : it->second;
    std::string del, add;
    for (const auto& [k, v] : have) {
      auto w = want.find(k);
      if (w == want.end() || w->second != v) del += (del.empty() ? "" : ", ") + k;
    }
    for (const auto& [k, v] : want) {
      auto h = have.find(k);
      if (h == have.end() || h->second != v) add += (add.empty() ? "" : ", ") + k + v;
    }
    if (!del.empty()) deletes += "delete element " + table + " " + set + " { " + del + " }\n";
    if (!add.empty()) adds += "add element " + table + " " + set + " { " + add + " }\n";
  }
  return deletes + adds;
}

Status Firewall::Apply(const FirewallPlan& plan) {
  ASSIGN_OR_RETURN(CompiledFirewall compiled, CompileFirewallParts(plan, table_));
  if (applied_ && compiled.full == applied_->full) return Status::OK();
  if (plan.enis.empty() && !net::HaveNft()) {
    applied_ = std::move(compiled);  // no nftables, no table to remove: a node without ENIs needs none
    holds_table_ = false;
    return Status::OK();
  }
  if (!plan.enis.empty() && !bridge_filtering_) {
    // Tasks on one subnet share a bridge; without this their traffic skips the forward hook.
    if (auto modprobe = FindExecutable("modprobe"); modprobe.ok()) {
      (void)runner_.Run({{*modprobe, "br_netfilter"}, std::nullopt, "", std::chrono::seconds(10)});
    }
    std::ofstream sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables");
    sysctl << "1\n";
    sysctl.close();
    if (!sysctl) LOG_WARN("msg=\"cannot turn on bridge-nf-call-iptables: same-subnet traffic is not filtered\"");
    bridge_filtering_ = true;
  }
  // Only elements changed (a task's ENI came or went, a group's members): the same
  // transaction's atomicity for a fraction of the work. When the table is not what we think
  // (someone removed it), the changes fail as a whole and the full script runs.
  Status st = Status::Unavailable("");
  if (applied_ && compiled.shape == applied_->shape && !plan.enis.empty()) {
    std::string changes = FirewallElementChanges(*applied_, compiled, table_);
    st = changes.empty() ? Status::OK() : Run(changes);
  }
  if (!st.ok()) RETURN_IF_ERROR(Run(compiled.full));
  applied_ = std::move(compiled);
  holds_table_ = !plan.enis.empty();
  return Status::OK();
}

Status Firewall::Remove() {
  RETURN_IF_ERROR(net::RemoveNftTable(runner_, "inet " + table_));
  applied_.reset();
  holds_table_ = false;
  return Status::OK();
}

Status Firewall::Run(const std::string& script) {
  return net::ApplyNft(runner_, script, "security groups need nftables (scripts/install-deps.sh)");
}

void EnforcedEnis::SetKeys(std::set<std::pair<std::string, std::string>> keys) {
  MutexLock lock(mu_);
  in_force_ = std::move(keys);
  cv_.SignalAll();
}

bool EnforcedEnis::Wait(const std::string& task_arn, const std::string& ip,
                        std::chrono::steady_clock::time_point deadline, const std::function<bool()>& stop) {
  const auto key = std::make_pair(task_arn, ip);
  for (;;) {
    {
      MutexLock lock(mu_);
      auto tick = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
      while (!in_force_.count(key) && cv_.WaitUntil(mu_, tick)) {
      }
      if (in_force_.count(key)) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline || (stop && stop())) return false;
  }
}

}  // namespace wharf::agent
