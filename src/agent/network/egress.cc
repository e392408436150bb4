#include "agent/network/egress.h"

#include <arpa/inet.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "base/fnv1a.h"
#include "base/logging.h"
#include "net/conntrack_flows.h"
#include "net/local_routes.h"
#include "net/nft_apply.h"

namespace wharf::agent {
namespace {

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// The ENI marks: 0x7a in the top byte (the reply marks are 0x76, the load balancers' 0x77).
constexpr uint32_t kEniMarkBase = 0x7a000000u;
// The input fence's claim (CompileEgress): a bit clear in every VPC's reply mark (network.h);
// the security groups' flags (firewall.h) are 0x1000 and 0x2000, and in the ct mark.
// Known overlap: 0x8000 is kube-proxy's KUBE-MARK-DROP bit (model/security_group.cc keeps
// 0xf000 clear in its marks for portmap's 0x2000 and kube-proxy's 0x4000 and 0x8000). On a
// host that also ran kube-proxy, a packet it marked for dropping in nat prerouting would pass
// this fence as claimed and lose the bit at -20 before KUBE-FIREWALL reads it. Not moved: no
// bit is free (the reply and load balancer marks take 0xffff0fff, the rest of 0xf000 is
// portmap's, kube-proxy's and the security groups'); wharf does not share a host with
// kube-proxy today.
constexpr uint32_t kEniClaimBit = 0x00008000u;

std::string Elements(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = " elements = { ";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + " }";
}

// The bridge table's claim: the same bit as the input fence's, cleared before br_netfilter
// hands the frame to the IPv4 hooks (-201 < 0, NF_BR_PRI_BRNF), where input_claim sets it anew.
constexpr uint32_t kPortClaimBit = kEniClaimBit;

}  // namespace

std::string EniMac(std::string_view ip) {
  in_addr a{};
  (void)inet_pton(AF_INET, std::string(ip).c_str(), &a);
  const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
  char buf[18];
  std::snprintf(buf, sizeof buf, "02:77:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
  return buf;
}

std::string EniPortName(std::string_view bridge, std::string_view ip) {
  const uint64_t h = Fnv1a64(std::string(bridge) + "/" + std::string(ip)) & ((uint64_t{1} << 52) - 1);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%013llx", std::string(kEniPortPrefix).c_str(), static_cast<unsigned long long>(h));
  return buf;
}

Result<std::string> CompileEgress(const EgressPlan& plan, std::string_view table_name) {
  const std::vector<EgressEni>& enis = plan.enis;
  std::vector<std::string> eni_marks, snat_to, public_to, public_marks, own, outside, outside_zones, ports;
  std::set<std::string> endpoint_paths, endpoints;  // bridge . ENI . endpoint; bridge . endpoint
  std::set<std::string> services;  // bridge . address of the VPC's own services
  std::set<std::string> bridges;   // the bridges this table's ENIs are on (input_fence)
  std::set<std::string> publics, outsides;
  uint32_t n = 0;
  for (const EgressEni& e : enis) {
    if (!IsInterfaceName(e.bridge)) return Status::InvalidArgument("bad bridge name " + e.bridge);
    if (!IsIpv4(e.ip)) return Status::InvalidArgument("bad ENI address " + e.ip);
    for (const std::string& service : {e.gateway, e.dns_server}) {
      if (service.empty()) continue;
      if (!IsIpv4(service)) return Status::InvalidArgument("bad service address " + service);
      services.insert("\"" + e.bridge + "\" . " + service);
    }
    own.push_back("\"" + e.bridge + "\" . " + e.ip);
    for (const std::string& a : e.endpoints) {
      if (!IsIpv4(a)) return Status::InvalidArgument("bad endpoint address " + a);
      endpoints.insert("\"" + e.bridge + "\" . " + a);
    }
    for (const std::string& a : e.admitted_endpoints) {
      if (!IsIpv4(a)) return Status::InvalidArgument("bad endpoint address " + a);
      endpoint_paths.insert("\"" + e.bridge + "\" . " + e.ip + " . " + a);
    }
    bridges.insert("\"" + e.bridge + "\"");
    ports.push_back("\"" + EniPortName(e.bridge, e.ip) + "\" . " + EniMac(e.ip) + " . " + e.ip);
    // An outside address is one VPC's: a public IP is one ENI's, a NAT's elastic IP its VPC's.
    for (const std::string* a : {&e.outside_address, &e.public_ip}) {
      if (e.vpc_zone != 0 && IsIpv4(*a) && outsides.insert(*a).second) {
        outside_zones.push_back(*a + " : " + std::to_string(e.vpc_zone));
      }
    }
    if (!e.outside_address.empty()) {
      if (!IsIpv4(e.outside_address)) return Status::InvalidArgument("bad outside address " + e.outside_address);
      std::string mark = Hex(kEniMarkBase | ++n);
      eni_marks.push_back("\"" + e.bridge + "\" . " + e.ip + " : " + mark);
      outside.push_back("\"" + e.bridge + "\" . " + e.ip);
      snat_to.push_back(mark + " : " + e.outside_address);
    }
    if (!e.public_ip.empty()) {
      if (!IsIpv4(e.public_ip)) return Status::InvalidArgument("bad public address " + e.public_ip);
      if (!publics.insert(e.public_ip).second) continue;  // one ENI per address
      public_to.push_back(e.public_ip + " : " + e.ip);
      public_marks.push_back(e.public_ip + " : " + Hex(e.vpc_mark));
    }
  }
  if (plan.server && (!IsIpv4(plan.server->address) || plan.server->port == 0)) {
    return Status::InvalidArgument("bad server address " + plan.server->address);
  }
  std::set<uint16_t> metadata_ports(plan.metadata_ports.begin(), plan.metadata_ports.end());
  metadata_ports.erase(0);
  std::string gateway_tcp = "53";
  for (uint16_t p : metadata_ports) gateway_tcp += ", " + std::to_string(p);
  const std::string front = std::string(kServerPublicAddress);
  const std::string t = "ip " + std::string(table_name);
  const std::string b = "bridge " + std::string(table_name);
  if (enis.empty()) return net::NftDeleteTable(t) + net::NftDeleteTable(b);
  std::string s = net::NftDeleteTable(t) + "table " + t + " {\n";
  s += "  map eni_marks { type ifname . ipv4_addr : mark;" + Elements(eni_marks) + " }\n";
  s += "  map snat_to { type mark : ipv4_addr;" + Elements(snat_to) + " }\n";
  s += "  map public_to { type ipv4_addr : ipv4_addr;" + Elements(public_to) + " }\n";
  s += "  map public_marks { type ipv4_addr : mark;" + Elements(public_marks) + " }\n";
  s += "  set outside { type ifname . ipv4_addr;" + Elements(outside) + " }\n";
  s += "  set services { type ifname . ipv4_addr;" + Elements({services.begin(), services.end()}) + " }\n";
  s += "  set enis { type ifname . ipv4_addr;" + Elements(own) + " }\n";
  s += "  set bridges { type ifname;" + Elements({bridges.begin(), bridges.end()}) + " }\n";
  s += "  map outside_zones { typeof ip daddr : ct zone;" + Elements(outside_zones) + " }\n";
  s += "  set endpoints { type ifname . ipv4_addr;" + Elements({endpoints.begin(), endpoints.end()}) + " }\n";
  s += "  set endpoint_paths { type ifname . ipv4_addr . ipv4_addr;" +
       Elements({endpoint_paths.begin(), endpoint_paths.end()}) + " }\n";
  // After network.h's zone by bridge (raw, -300): a packet to an outside address belongs to its
  // VPC whichever way it came (a task of another VPC reaching a public address, the host).
  s += "  chain prerouting_zone {\n"
       "    type filter hook prerouting priority -299; policy accept;\n"
       "    ct zone set ip daddr map @outside_zones\n"
       "  }\n"
       "  chain output_zone {\n"
       "    type filter hook output priority -299; policy accept;\n"
       "    ct zone set ip daddr map @outside_zones\n"
       "  }\n";
  // Before the security groups' forward chains (-10, -5): what cannot pass here never reaches them.
  s += "  chain forward {\n"
       "    type filter hook forward priority -20; policy accept;\n"
       "    oifname \"wh-*\" iifname != \"wh-*\" ct direction original ct status & dnat == 0 drop\n"
       "    iifname \"wh-*\" oifname != \"wh-*\" meta mark set iifname . ip saddr map @eni_marks\n"
       "  }\n"
       // A priority after every node's marking chain (one table per agent): a packet that no
       // agent's table marked (no outside address, a source that is nobody's ENI) is dropped.
       "  chain forward_fence {\n"
       "    type filter hook forward priority -19; policy accept;\n"
       "    iifname \"wh-*\" oifname != \"wh-*\" meta mark & 0xff000000 != " + Hex(kEniMarkBase) + " drop\n"
       "  }\n";
  // Every packet from a VPC bridge to the host comes from an ENI on that bridge, as forward's
  // fence says for the way out: a source nobody's ENI (spoofed by a task with NET_RAW, a
  // stray) is dropped. Tables are per agent, so each claims its own ENIs' packets with a bit of
  // the packet mark (-22), the fence drops what no table claimed once all have run (-21), and
  // the input chain (-20) clears the bit before anything else reads the mark (rule pref 999,
  // tcp_fwmark_accept: network.h). A packet comes off a veth with no mark and wharf_vpc's
  // reply marks never have the bit (bits 0xf000 are clear in them).
  // Each table fences only the bridges its own ENIs are on: a bridge no ENI of this agent's
  // is on (one whose ENIs an older agent without a claim chain serves, or whose subnet has no
  // VPC in an older record, so no ENI there is in any @enis) is not this table's to fence.
  s += "  chain input_claim {\n"
       "    type filter hook input priority -22; policy accept;\n"
       "    iifname . ip saddr @enis meta mark set meta mark | " + Hex(kEniClaimBit) + "\n"
       "  }\n"
       "  chain input_fence {\n"
       "    type filter hook input priority -21; policy accept;\n"
       "    iifname @bridges meta mark & " + Hex(kEniClaimBit) + " == 0 drop\n"
       "  }\n";
  // The local table answers a task's packet to any host address before its VPC's rules do.
  s += "  chain input {\n"
       "    type filter hook input priority -20; policy accept;\n"
       "    iifname != \"wh-*\" accept\n"
       "    meta mark set meta mark & " + Hex(~kEniClaimBit) + "\n"
       "    ip daddr 127.0.0.0/8 ct status & dnat == 0 drop\n"
       // Tables are per agent and a drop in any is final: another agent's ENI is its table's.
       "    iifname . ip saddr != @enis accept\n"
       "    ct state established,related accept\n"
       "    ct status & dnat != 0 accept\n"
       // An endpoint that does not admit the ENI (not DNAT'd): a timeout, way out or not.
       "    iifname . ip daddr @endpoints drop\n"
       "    iifname . ip saddr @outside accept\n"
       "    iifname . ip daddr @services icmp type echo-request accept\n"
       "    iifname . ip daddr @services udp dport 53 accept\n"
       "    iifname . ip daddr @services tcp dport { " + gateway_tcp + " } accept\n"
       "    drop\n"
       "  }\n";
  // After the NAT hook (-100): what is still addressed to the front was not DNAT'd.
  s += "  chain prerouting_front {\n"
       "    type filter hook prerouting priority -90; policy accept;\n"
       "    iifname \"wh-*\" ip daddr " + front + " drop\n"
       "  }\n";
  // Before wharf_vpc's prerouting (-150) and the NAT hooks (-100).
  s += "  chain prerouting_mark {\n"
       "    type filter hook prerouting priority -160; policy accept;\n"
       "    meta mark set ip daddr map @public_marks\n"
       "  }\n"
       "  chain prerouting_nat {\n"
       "    type nat hook prerouting priority -101; policy accept;\n"
       "    dnat to ip daddr map @public_to\n";
  if (plan.server) {
    const std::string server = plan.server->address + ":" + std::to_string(plan.server->port);
    s += "    iifname . ip saddr @outside ip daddr " + front + " tcp dport " + std::to_string(kServerPublicPort) +
         " dnat to " + server + "\n";
    s += "    iifname . ip saddr . ip daddr @endpoint_paths tcp dport " + std::to_string(kEndpointPort) + " dnat to " +
         server + "\n";
  }
  s += "  }\n"
       "  chain output_mark {\n"
       "    type route hook output priority -160; policy accept;\n"
       "    meta mark set ip daddr map @public_marks\n"
       "  }\n"
       "  chain output_nat {\n"
       "    type nat hook output priority -101; policy accept;\n"
       "    dnat to ip daddr map @public_to\n"
       "  }\n"
       "  chain postrouting {\n"
       "    type nat hook postrouting priority 99; policy accept;\n"
       "    iifname . ip saddr @enis meta mark & 0xff000000 == " + Hex(kEniMarkBase) + " snat to meta mark map @snat_to\n"
       "  }\n"
       "}\n";
  // The ports' fence (egress.h "ports"): the veth a frame came in by (iifname), seen only in
  // the bridge family; the IPv4 hooks see the bridge alone. Every "wv*" port is fenced, not
  // only this table's bridges' (`meta ibrname` needs CONFIG_NFT_BRIDGE_META, which kernels
  // lack): a port of that name is an ENI of an agent whose table claims it (all claims come
  // before any fence).
  const std::string claim = Hex(kPortClaimBit);
  s += net::NftDeleteTable(b) + "table " + b + " {\n";
  s += "  set ports { type ifname . ether_addr . ipv4_addr;" + Elements(ports) + " }\n";
  const std::string port = "iifname \"" + std::string(kEniPortPrefix) + "*\"";
  s += "  chain port_claim {\n"
       "    type filter hook prerouting priority -203; policy accept;\n"
       "    ether type ip iifname . ether saddr . ip saddr @ports meta mark set meta mark | " + claim + "\n"
       "    ether type arp iifname . ether saddr . arp saddr ip @ports iifname . arp saddr ether . arp saddr ip @ports"
       " meta mark set meta mark | " + claim + "\n"
       "  }\n"
       "  chain port_fence {\n"
       "    type filter hook prerouting priority -202; policy accept;\n"
       "    " + port + " ether type ip6 drop\n"
       "    " + port + " meta mark & " + claim + " == 0 drop\n"
       "  }\n"
       "  chain port_unclaim {\n"
       "    type filter hook prerouting priority -201; policy accept;\n"
       "    " + port + " meta mark set meta mark & " + Hex(~kPortClaimBit) + "\n"
       "  }\n"
       // Nor into one (from a task an older agent attached).
       "  chain port_out {\n"
       "    type filter hook forward priority -202; policy accept;\n"
       "    oifname \"" + std::string(kEniPortPrefix) + "*\" ether type ip6 drop\n"
       "  }\n"
       "}\n";
  return s;
}

std::set<std::string> EndpointRoutes(const EgressPlan& plan) {
  std::set<std::string> out;
  for (const EgressEni& e : plan.enis) {
    if (e.vpc_route_table == 0) continue;
    for (const std::string& a : e.endpoints) {
      if (IsIpv4(a)) out.insert(std::to_string(e.vpc_route_table) + " " + a);
    }
  }
  return out;
}

std::string CompileEndpointRoutes(const std::set<std::string>& wanted, const std::set<std::string>& applied,
                                  bool rewrite) {
  return net::LocalRouteScript(wanted, applied, kEndpointRouteProto, rewrite);
}

std::optional<std::set<std::string>> Egress::KernelRoutes(const std::set<std::string>& routes) {
  auto ip = FindExecutable("ip");
  if (!ip.ok()) return std::nullopt;
  std::set<std::string> tables, out;
  for (const std::string& r : routes) tables.insert(r.substr(0, r.find(' ')));
  if (tables.empty()) return out;
  std::vector<std::string> argv = net::ShowLocalRoutesArgs(kEndpointRouteProto);
  argv.insert(argv.begin(), *ip);
  auto r = runner_.Run({argv, std::nullopt, "", std::chrono::seconds(10)});
  if (!r.ok() || r->exit_code != 0) return std::nullopt;
  // Only the tables of the VPCs this agent serves: another agent's are its own to mend.
  for (const std::string& route : net::ParseLocalRoutes(r->out)) {
    if (tables.count(route.substr(0, route.find(' ')))) out.insert(route);
  }
  return out;
}

std::set<EndpointFlowKey> EndpointFlows(const EgressPlan& plan) {
  std::set<EndpointFlowKey> out;
  for (const EgressEni& e : plan.enis) {
    if (e.vpc_zone == 0) continue;  // zone 0 is the host's: never an endpoint's to end
    for (const std::string& a : e.endpoints) {
      auto id = e.endpoint_ids.find(a);
      out.insert({e.vpc_zone, a, id == e.endpoint_ids.end() ? "" : id->second});
    }
  }
  return out;
}

std::vector<EndpointFlowKey> EndpointsGone(const std::set<EndpointFlowKey>& before, const EgressPlan& after) {
  std::set<uint16_t> zones;
  for (const EgressEni& e : after.enis) zones.insert(e.vpc_zone);
  std::set<EndpointFlowKey> now = EndpointFlows(after);
  std::set<std::pair<uint16_t, std::string>> ended;  // one end per address, whatever its ids
  std::vector<EndpointFlowKey> gone;
  for (const EndpointFlowKey& k : before) {
    if (k.zone != 0 && zones.count(k.zone) && !now.count(k) && ended.emplace(k.zone, k.address).second) {
      gone.push_back(k);
    }
  }
  return gone;
}

namespace {
bool SameAddress(const sockaddr_in& a, std::string_view address, uint16_t port) {
  in_addr want{};
  return a.sin_port == htons(port) && ::inet_pton(AF_INET, std::string(address).c_str(), &want) == 1 &&
         a.sin_addr.s_addr == want.s_addr;
}
std::string AddressOf(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return text;
}
}  // namespace

net::FlowFilter ToEndpoint(const std::string& address) {
  return [address](const net::ConntrackFlow& f) { return SameAddress(f.original_destination, address, kEndpointPort); };
}

net::FlowFilter ToNoneOf(const ServerFront& server, const std::set<std::string>& kept) {
  return [server, kept](const net::ConntrackFlow& f) {
    return SameAddress(f.reply_source, server.address, server.port) &&
           ntohs(f.original_destination.sin_port) == kEndpointPort && !kept.count(AddressOf(f.original_destination));
  };
}

Status Egress::Apply(const EgressPlan& plan) {
  RETURN_IF_ERROR(ApplyTable(plan));
  auto end = [this](uint16_t zone, const net::FlowFilter& which, std::string_view what, const std::string& detail) {
    if (zone == 0) return;  // the host's: never a VPC's flows
    auto ended = end_flows_(zone, which);
    if (!ended.ok()) {
      LOG_WARN("msg=\"connections {} not ended\" {} zone={} error=\"{}\"", what, detail, zone,
               ended.status().message());
    } else if (*ended > 0) {
      LOG_INFO("msg=\"connections {} ended\" {} zone={} count={}", what, detail, zone, *ended);
    }
  };
  if (!swept_ && plan.server) {
    // Restarted, the agent does not know what its predecessor DNAT'd: what goes to no
    // interface it has now (nor the server's public address) was an endpoint's that is gone.
    std::map<uint16_t, std::set<std::string>> kept;
    for (const EgressEni& e : plan.enis) {
      auto& k = kept[e.vpc_zone];
      k.insert(std::string(kServerPublicAddress));
      k.insert(e.endpoints.begin(), e.endpoints.end());
    }
    for (const auto& [zone, addresses] : kept) {
      end(zone, ToNoneOf(*plan.server, addresses), "to no endpoint interface left", "at=start");
    }
    swept_ = true;
  }
  // The table DNATs no new connection to a gone interface now; the established ones end.
  for (const auto& [zone, address, id] : EndpointsGone(endpoint_flows_, plan)) {
    end(zone, ToEndpoint(address), "to a removed endpoint interface", "address=" + address + " endpoint=" + id);
  }
  endpoint_flows_ = EndpointFlows(plan);
  return Status::OK();
}

Status Egress::ApplyTable(const EgressPlan& plan) {
  ASSIGN_OR_RETURN(std::string script, CompileEgress(plan, table_));
  std::set<std::string> routes = EndpointRoutes(plan);
  if (script == applied_ && routes == routes_ && !rewrite_routes_ && reconciled_) return Status::OK();
  // At the start and at each refresh, what the kernel has: routes of ours that no ENI wants
  // any more (an agent stopped before it removed them, another's leftovers) go too.
  std::set<std::string> made = routes_;
  if (!reconciled_ || rewrite_routes_) {
    std::set<std::string> tables = routes;
    tables.insert(routes_.begin(), routes_.end());
    if (auto kernel = KernelRoutes(tables)) {
      made.merge(*kernel);
      reconciled_ = true;
    }
  }
  // First the routes (the endpoints' addresses local to their VPCs), then the table that
  // decides who reaches them: until it applies, an un-DNAT'd connection there finds nothing
  // listening on 443 of that address.
  bool all_made = true;
  if (std::string batch = CompileEndpointRoutes(routes, made, rewrite_routes_); !batch.empty()) {
    if (auto ip = FindExecutable("ip"); ip.ok()) {
      // A route already gone (its VPC's last bridge flushed the table) fails alone (-force).
      auto r = runner_.Run({{*ip, "-force", "-batch", "-"}, std::nullopt, batch, std::chrono::seconds(30)});
      if (!r.ok()) return r.status();
      if (r->exit_code != 0) {
        // Some lines failed: record only what the kernel has (none known: what was there
        // before), so that the next Apply tries the rest; the table is written all the same.
        std::set<std::string> tables = routes;
        tables.insert(made.begin(), made.end());
        auto kernel = KernelRoutes(tables);
        all_made = kernel && *kernel == routes;
        if (!all_made) {
          if (kernel) routes_ = std::move(*kernel);
          LOG_WARN("msg=\"endpoint routes not all made\" error=\"{}\"", r->err);
        }
      }
    }
  }
  if (all_made) routes_ = std::move(routes);
  rewrite_routes_ = false;
  if (script == applied_) return Status::OK();
  if (plan.enis.empty() && !net::HaveNft()) return Status::OK();
  RETURN_IF_ERROR(net::ApplyNft(runner_, script, "VPC egress needs nftables (scripts/install-deps.sh)"));
  applied_ = std::move(script);
  holds_table_ = !plan.enis.empty();
  return Status::OK();
}

Status Egress::Remove() {
  if (!routes_.empty()) {
    if (auto ip = FindExecutable("ip"); ip.ok()) {
      (void)runner_.Run({{*ip, "-force", "-batch", "-"}, std::nullopt, CompileEndpointRoutes({}, routes_),
                         std::chrono::seconds(30)});
    }
    routes_.clear();
  }
  if (net::HaveNft()) {
    RETURN_IF_ERROR(net::ApplyNft(runner_, net::NftDeleteTable(table()) + net::NftDeleteTable(ports_table()), ""));
  }
  applied_.clear();
  holds_table_ = false;
  endpoint_flows_.clear();
  return Status::OK();
}

}  // namespace wharf::agent
