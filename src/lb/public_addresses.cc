#include "lb/public_addresses.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "net/local_routes.h"
#include "net/nft_apply.h"

namespace wharf::lb {
namespace {

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool IsTableName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;  // IFNAMSIZ - 1
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

struct Cidr {
  uint32_t network = 0;  // host order
  int prefix = 32;
  bool Contains(const Cidr& other) const {
    if (other.prefix < prefix) return false;
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (other.network & mask) == network;
  }
};

// "a.b.c.d/n" or a bare address (/32), its host bits cleared (nft takes networks only).
std::optional<Cidr> ParseCidr(const std::string& s) {
  auto slash = s.find('/');
  in_addr a{};
  if (inet_pton(AF_INET, s.substr(0, slash).c_str(), &a) != 1) return std::nullopt;
  Cidr c;
  if (slash != std::string::npos) {
    std::string n = s.substr(slash + 1);
    if (n.empty() || n.size() > 2 || !std::all_of(n.begin(), n.end(), ::isdigit)) return std::nullopt;
    c.prefix = std::stoi(n);
    if (c.prefix > 32) return std::nullopt;
  }
  uint32_t mask = c.prefix == 0 ? 0 : ~uint32_t{0} << (32 - c.prefix);
  c.network = ntohl(a.s_addr) & mask;
  return c;
}

std::string CidrText(const Cidr& c) {
  in_addr a{htonl(c.network)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(c.prefix);
}

// Without the sources another one holds: nft refuses overlapping intervals in one set.
std::vector<Cidr> Outermost(std::vector<Cidr> sources) {
  std::sort(sources.begin(), sources.end(),
            [](const Cidr& a, const Cidr& b) { return a.prefix != b.prefix ? a.prefix < b.prefix : a.network < b.network; });
  std::vector<Cidr> out;
  for (const Cidr& c : sources) {
    if (std::none_of(out.begin(), out.end(), [&](const Cidr& kept) { return kept.Contains(c); })) out.push_back(c);
  }
  return out;
}

std::string Elements(const std::vector<std::string>& elements) {
  if (elements.empty()) return "";
  std::string out = " elements = { ";
  for (size_t i = 0; i < elements.size(); ++i) out += (i ? ", " : "") + elements[i];
  return out + " }";
}

}  // namespace

bool IsIpv4Address(std::string_view s) { return IsIpv4(std::string(s)); }

std::string PublicAddressTable(std::string_view region, std::string_view data_dir) {
  std::string out = "wharf_lb_";
  for (char c : region) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  uint32_t h = 2166136261u;  // FNV-1a: stable across builds and hosts, unlike std::hash
  for (char c : data_dir) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char hex[10];
  std::snprintf(hex, sizeof hex, "_%08x", h);
  return out + hex;
}

Result<std::string> CompilePublicAddresses(const std::vector<Listener>& listeners, std::string_view bind_address,
                                           std::string_view table, const std::vector<std::string>& vpc_bridges,
                                           const std::vector<OutsideClient>& outside_clients) {
  if (!IsTableName(table)) return Status::InvalidArgument("bad nft table name " + std::string(table));
  std::string to(bind_address);
  if (to.empty() || to == "0.0.0.0") to = "127.0.0.1";  // every address: loopback is one of them
  if (!IsIpv4(to)) return Status::InvalidArgument("bad listener bind address " + to);
  // Sorted containers: one plan, one script.
  std::set<std::pair<std::string, uint16_t>> publics;                          // address . port
  std::set<std::tuple<std::string, std::string, uint16_t>> interfaces;         // bridge . address . port
  std::set<uint16_t> internal_ports, facing_ports;
  std::map<std::pair<std::string, uint16_t>, std::vector<Cidr>> admitted;      // address . port -> sources
  for (const Listener& l : listeners) {
    std::vector<Cidr> sources;
    for (const std::string& s : l.admitted_sources) {
      auto cidr = ParseCidr(s);
      if (!cidr) return Status::InvalidArgument("bad admitted source " + s);
      sources.push_back(*cidr);
    }
    auto admit = [&](const std::string& ip) {
      auto& to_admit = admitted[{ip, l.port}];
      to_admit.insert(to_admit.end(), sources.begin(), sources.end());
    };
    for (const std::string& ip : l.public_addresses) {
      if (!IsIpv4(ip)) return Status::InvalidArgument("bad public address " + ip);
      publics.emplace(ip, l.port);
      admit(ip);
    }
    // Its VPC reaches it at its interfaces' addresses, whatever its Scheme.
    for (const std::string& ip : l.private_addresses) {
      if (!IsIpv4(ip)) return Status::InvalidArgument("bad private address " + ip);
      for (const std::string& bridge : l.vpc_bridges) {
        if (!IsInterfaceName(bridge)) return Status::InvalidArgument("bad bridge name " + bridge);
        interfaces.emplace(bridge, ip, l.port);
      }
      admit(ip);
    }
    (l.internal ? internal_ports : facing_ports).insert(l.port);
  }
  const std::string t = "ip " + std::string(table);
  std::string s = net::NftDeleteTable(t);
  if (publics.empty() && internal_ports.empty() && facing_ports.empty()) return s;
  std::vector<std::string> public_elements, interface_elements, port_elements, facing_elements, admitted_elements;
  for (const auto& [ip, port] : publics) public_elements.push_back(ip + " . " + std::to_string(port));
  for (const auto& [bridge, ip, port] : interfaces) {
    interface_elements.push_back("\"" + bridge + "\" . " + ip + " . " + std::to_string(port));
  }
  for (uint16_t port : internal_ports) port_elements.push_back(std::to_string(port));
  for (uint16_t port : facing_ports) facing_elements.push_back(std::to_string(port));
  std::set<std::string> bridges;
  for (const std::string& b : vpc_bridges) {
    if (!IsInterfaceName(b)) return Status::InvalidArgument("bad bridge name " + b);
    bridges.insert("\"" + b + "\"");
  }
  std::map<std::string, std::string> outside;  // "bridge" . ip -> outside address
  for (const OutsideClient& c : outside_clients) {
    if (!IsInterfaceName(c.bridge)) return Status::InvalidArgument("bad bridge name " + c.bridge);
    if (!IsIpv4(c.ip) || !IsIpv4(c.outside_address)) return Status::InvalidArgument("bad client address " + c.ip);
    outside.emplace("\"" + c.bridge + "\" . " + c.ip, c.outside_address);
  }
  std::vector<std::string> way_out_elements, outside_elements;
  for (const auto& [key, address] : outside) {
    way_out_elements.push_back(key);
    outside_elements.push_back(key + " : " + address);
  }
  for (auto& [path, sources] : admitted) {
    for (const Cidr& c : Outermost(std::move(sources))) {
      admitted_elements.push_back(path.first + " . " + std::to_string(path.second) + " . " + CidrText(c));
    }
  }
  s += "table " + t + " {\n";
  s += "  set listeners { type ipv4_addr . inet_service;" + Elements(public_elements) + " }\n";
  s += "  set interfaces { type ifname . ipv4_addr . inet_service;" + Elements(interface_elements) + " }\n";
  s += "  set internal_ports { type inet_service;" + Elements(port_elements) + " }\n";
  s += "  set facing_ports { type inet_service;" + Elements(facing_elements) + " }\n";
  s += "  set admitted { type ipv4_addr . inet_service . ipv4_addr; flags interval;" + Elements(admitted_elements) +
       " }\n";
  s += "  set vpc_bridges { type ifname;" + Elements({bridges.begin(), bridges.end()}) + " }\n";
  s += "  set way_out { type ifname . ipv4_addr;" + Elements(way_out_elements) + " }\n";
  s += "  map outside { type ifname . ipv4_addr : ipv4_addr;" + Elements(outside_elements) + " }\n";
  // The load balancer's security groups, before any address is rewritten: a client its groups
  // do not admit on that port is dropped (it times out, as on AWS). After wharf_vpc's
  // connection marks (-150), before every NAT hook.
  // A VPC's task reaches a public address only through its way out, as on AWS; its source is
  // then its outside address, checked after the SNAT (input_outside). The bind address is the
  // host's own way in, never a VPC's (a routable --lb-bind would otherwise let a task without
  // a way out reach internet-facing listeners there).
  s += "  chain prerouting_filter {\n"
       "    type filter hook prerouting priority -140; policy accept;\n"
       "    iifname @vpc_bridges ip daddr " + to + " tcp dport @facing_ports drop\n"
       "    iifname @vpc_bridges ip daddr . tcp dport @listeners iifname . ip saddr != @way_out drop\n"
       "    iifname . ip saddr @way_out ip daddr . tcp dport @listeners accept\n"
       "    ip daddr . tcp dport @listeners ip daddr . tcp dport . ip saddr != @admitted drop\n"
       "    iifname . ip daddr . tcp dport @interfaces ip daddr . tcp dport . ip saddr != @admitted drop\n"
       "  }\n"
       "  chain output_filter {\n"
       "    type filter hook output priority -140; policy accept;\n"
       "    ip daddr . tcp dport @listeners ip daddr . tcp dport . ip saddr != @admitted drop\n"
       "  }\n";
  // Before wharf_egress's DNAT of tasks' public addresses (-101): the two never share an
  // address. An internal listener's interface address, reached through its VPC's bridges,
  // is redirected to the address of the bridge it came in through (its subnet's gateway, a
  // local address routed from that bridge), where the listener listens at 0.0.0.0.
  s += "  chain prerouting {\n"
       "    type nat hook prerouting priority -102; policy accept;\n"
       "    iifname . ip saddr @way_out ip daddr . tcp dport @listeners redirect\n"
       "    ip daddr . tcp dport @listeners dnat to " + to + "\n"
       "    iifname . ip daddr . tcp dport @interfaces redirect\n"
       "  }\n"
       "  chain output {\n"
       "    type nat hook output priority -102; policy accept;\n"
       "    ip daddr . tcp dport @listeners dnat to " + to + "\n"
       "  }\n";
  // Listeners listen at 0.0.0.0 (DataPlaneOptions::vpc_bind_address). An internal listener's
  // port taken any other way (the host, another VPC, the bind address, another interface of
  // the host) was not redirected: dropped. An internet-facing listener's is refused but at
  // the bind address (the host's own way in, as when it listened there alone), unless that
  // is every address anyway.
  // A VPC's task at a public address leaves its VPC with its outside address: the proxy sees
  // it, and the load balancer's groups check it, as AWS's see a client's public address.
  s += "  chain input_nat {\n"
       "    type nat hook input priority 100; policy accept;\n"
       "    iifname . ip saddr @way_out ct original ip daddr . tcp dport @listeners snat to iifname . ip saddr map "
       "@outside\n"
       "  }\n"
       "  chain input_outside {\n"
       "    type filter hook input priority 110; policy accept;\n"
       "    ct direction original ct status & snat != 0 ct original ip daddr . tcp dport @listeners "
       "ct original ip daddr . tcp dport . ip saddr != @admitted drop\n"
       "  }\n";
  s += "  chain input {\n"
       "    type filter hook input priority -140; policy accept;\n"
       "    tcp dport @internal_ports ct direction original ct status & dnat == 0 drop\n";
  if (bind_address != "0.0.0.0" && !bind_address.empty()) {
    s += "    tcp dport @facing_ports ct direction original ct status & dnat == 0 ip daddr != " + to +
         " reject with tcp reset\n";
  }
  s += "  }\n"
       "}\n";
  return s;
}

std::string CompileLocalRoutes(const std::vector<Listener>& listeners, const std::set<std::string>& applied,
                               std::set<std::string>& routes) {
  routes.clear();
  for (const Listener& l : listeners) {
    if (l.vpc_route_table == 0) continue;
    for (const std::string& ip : l.private_addresses) {
      if (IsIpv4(ip)) routes.insert(std::to_string(l.vpc_route_table) + " " + ip);
    }
  }
  return net::LocalRouteScript(routes, applied, kLocalRouteProto, /*rewrite=*/true);
}

Status PublicAddresses::Apply(const Config& config) {
  if (!swept_ && vpc_routes_) {
    // What a killed server left: its local routes, which this one removes unless wanted.
    swept_ = true;
    if (auto ip = FindExecutable("ip"); ip.ok()) {
      std::vector<std::string> argv = net::ShowLocalRoutesArgs(kLocalRouteProto);
      argv.insert(argv.begin(), *ip);
      auto shown = runner_.Run({argv, std::nullopt, "", std::chrono::seconds(30)});
      if (shown.ok() && shown->exit_code == 0) routes_.merge(net::ParseLocalRoutes(shown->out));
    }
  }
  std::set<std::string> routes;
  std::string route_script = vpc_routes_ ? CompileLocalRoutes(config.listeners, routes_, routes) : "";
  if (!route_script.empty()) {
    if (auto ip = FindExecutable("ip"); ip.ok()) {
      auto r = runner_.Run({{*ip, "-force", "-batch", "-"}, std::nullopt, route_script, std::chrono::seconds(30)});
      if (r.ok()) routes_ = std::move(routes);  // a route already gone is no failure (-force)
    }
  }
  std::set<uint16_t> ports;
  for (const Listener& l : config.listeners) ports.insert(l.port);
  // Until this plan is in force, only the ports the old one and this one share are surely held.
  std::set<uint16_t> shared;
  for (uint16_t p : filtered_ports_) {
    if (ports.count(p)) shared.insert(p);
  }
  auto compiled = CompilePublicAddresses(config.listeners, bind_address_, table_, config.vpc_bridges,
                                         config.outside_clients);
  if (!compiled.ok()) {
    filtered_ports_ = std::move(shared);  // the old table stays, without the ports it no longer has
    std::string key = "!" + compiled.status().ToString();
    bool again = key == failed_;
    failed_ = std::move(key);
    return again ? Status::OK() : compiled.status();  // reported once
  }
  std::string script = std::move(compiled).value();
  if (script == applied_) return Status::OK();
  // The first plan runs even when it is empty: it removes what a killed server left.
  bool nothing = script.find("set listeners") == std::string::npos;  // only the delete
  bool again = script == failed_;
  auto refused = [&](Status s) {
    filtered_ports_ = std::move(shared);
    failed_ = script;
    return again ? Status::OK() : s;  // reported once per plan, tried on every call
  };
  if (nothing && !net::HaveNft()) return Status::OK();
  made_ = made_ || !nothing;
  if (Status st = net::ApplyNft(runner_, script, "load balancers' public addresses need nftables"); !st.ok()) {
    return refused(std::move(st));
  }
  applied_ = std::move(script);
  failed_.clear();
  holds_table_ = !nothing;
  filtered_ports_ = nothing ? std::set<uint16_t>{} : std::move(ports);
  return Status::OK();
}

Status PublicAddresses::Remove() {
  if (!routes_.empty()) {
    std::set<std::string> none;
    std::string route_script = CompileLocalRoutes({}, routes_, none);
    if (auto ip = FindExecutable("ip"); ip.ok()) {
      (void)runner_.Run({{*ip, "-force", "-batch", "-"}, std::nullopt, route_script, std::chrono::seconds(30)});
    }
    routes_.clear();
  }
  if (applied_.empty() && !made_) return Status::OK();  // never made: nothing of ours to remove
  RETURN_IF_ERROR(net::RemoveNftTable(runner_, "ip " + table_));
  applied_.clear();
  made_ = false;
  holds_table_ = false;
  filtered_ports_.clear();
  return Status::OK();
}

}  // namespace wharf::lb
