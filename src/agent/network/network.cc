#include "agent/network/network.h"

#include <arpa/inet.h>
#include <cstdio>
#include <fcntl.h>
#include <ifaddrs.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "agent/network/cni.h"
#include "agent/network/egress.h"
#include "agent/network/host_lock.h"
#include "agent/network/host_rules.h"
#include "agent/network/netns.h"
#include "agent/network/subnet_records.h"
#include "base/fnv1a.h"
#include "base/logging.h"
#include "model/ec2_network.h"
#include "net/nft_apply.h"

namespace wharf::agent {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

constexpr const char* kIfName = "eth0";

// Before main (32766) and after local (0): a VPC's packets never fall through to main.
constexpr const char* kVpcRulePref = "1000";
// A subnet routed out (0.0.0.0/0 to an internet or NAT gateway): the host's networks, but no
// other bridge of a VPC (they are in kVpcBridgeGroup); egress.h decides which ENIs pass.
constexpr const char* kEgressRulePref = "1001";
// And then nothing: a VPC's packets never fall through to main.
constexpr const char* kFenceRulePref = "1002";
constexpr const char* kVpcBridgeGroup = "119";
// The host's replies to a VPC's connections: before the VPC rules.
constexpr const char* kReplyRulePref = "999";

// The mark of the host's replies into a VPC (network.h), by its table: the server reads it too.
uint32_t ReplyMark(uint32_t table) { return model::ReplyMarkOfRouteTable(table); }

std::vector<std::string> EgressRule(const std::string& op, const std::string& bridge) {
  return {"ip", "rule", op, "pref", kEgressRulePref, "iif", bridge, "lookup", "main", "suppress_ifgroup", kVpcBridgeGroup};
}

// Adds `bridge` -> `mark` and `bridge` -> `zone` to the node's VPC table `inet <table>`,
// making the table when missing; one nft transaction, idempotent (its rules are flushed and
// written again).
//   prerouting_zone, output_zone (raw, before conntrack): a packet through a VPC's bridge is
//     tracked in the VPC's zone, coming in (input bridge) and going out (output bridge), so
//     both directions of a connection meet one entry and two VPCs' identical ones never do.
//     A host reply is zoned by the bridge its route names, which is the VPC's own from its
//     first packet: a bound socket (the metadata endpoint, the resolver, the load balancer's
//     connections) names it, an accepted connection carries the mark of its SYN
//     (tcp_fwmark_accept) and an echo reply or a reset that of the packet it answers
//     (fwmark_reflect), which rule pref 999 routes by the VPC's table.
//   prerouting: a connection that comes in through a bridge keeps its VPC's mark (ct mark); the
//     packets it brings from a bridge carry it (meta mark, unless another table set one: a
//     public address's, egress.h), and so do the replies it gets from outside (de-NAT'd into the
//     VPC); output: the host's replies carry it too (a route chain: routed again). Copied
//     without bits 0xf000, which the mark itself never has: the security groups flag untracked
//     flows there (firewall.h), and rule pref 999 matches the mark whole.
std::string ReplyRoutingScript(const std::string& table, const std::string& bridge, uint32_t mark, uint16_t zone) {
  std::string t = "inet " + table;
  return "add table " + t + "\n" +
         "add map " + t + " bridges { type ifname : mark; }\n" +
         "add map " + t + " zones { typeof iifname : ct zone; }\n" +
         "add chain " + t + " prerouting_zone { type filter hook prerouting priority raw; policy accept; }\n" +
         "add chain " + t + " output_zone { type filter hook output priority raw; policy accept; }\n" +
         "add chain " + t + " prerouting { type filter hook prerouting priority -150; policy accept; }\n" +
         "add chain " + t + " output { type route hook output priority -150; policy accept; }\n" +
         "flush chain " + t + " prerouting_zone\n" + "flush chain " + t + " output_zone\n" +
         "flush chain " + t + " prerouting\n" + "flush chain " + t + " output\n" +
         "add rule " + t + " prerouting_zone ct zone set iifname map @zones\n" +
         "add rule " + t + " output_zone ct zone set oifname map @zones\n" +
         "add rule " + t + " prerouting ct state new ct mark set iifname map @bridges\n" +
         "add rule " + t + " prerouting ct direction reply ct mark and 0xff000000 == 0x76000000 meta mark set ct mark and 0xffff0fff\n" +
         "add rule " + t + " prerouting ct direction original meta mark 0 meta mark set iifname map @bridges\n" +
         "add rule " + t + " output ct direction reply ct mark and 0xff000000 == 0x76000000 meta mark set ct mark and 0xffff0fff\n" +
         "add element " + t + " bridges { \"" + bridge + "\" : " + std::to_string(mark) + " }\n" +
         "add element " + t + " zones { \"" + bridge + "\" : " + std::to_string(zone) + " }\n";
}

// Host replies into a VPC routed by its table from their first packet (ReplyRoutingScript):
// connections the host accepts take their SYN's mark, kernel answers (echo replies, resets,
// ICMP errors) the mark of what they answer. Both only copy marks something set; packets from
// elsewhere have none.
void EnableFwmarkReflection() {
  for (const char* knob : {"/proc/sys/net/ipv4/tcp_fwmark_accept", "/proc/sys/net/ipv4/fwmark_reflect"}) {
    std::ofstream sysctl(knob);
    sysctl << "1\n";
    sysctl.close();
    if (!sysctl) LOG_WARN("msg=\"cannot set {}: host replies into a VPC whose CIDR another VPC shares may be lost\"", knob);
  }
}

// CNI's rule for container ids and network names (SPEC.md), which also keeps them safe as
// file names.
bool IsCniName(const std::string& s, size_t max_len) {
  if (s.empty() || s.size() > max_len || !std::isalnum(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

struct Cidr {
  uint32_t network = 0;  // host order
  int prefix = 0;
};

Result<Cidr> ParseCidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr addr{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    return Status::InvalidArgument("not an IPv4 CIDR: " + cidr);
  }
  int prefix = -1;
  try {
    size_t used = 0;
    prefix = std::stoi(cidr.substr(slash + 1), &used);
    if (used != cidr.size() - slash - 1) prefix = -1;
  } catch (const std::exception&) {
  }
  if (prefix < 8 || prefix > 30) return Status::InvalidArgument("subnet prefix must be 8..30: " + cidr);
  uint32_t ip = ntohl(addr.s_addr);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((ip & mask) != ip) return Status::InvalidArgument("host bits set in subnet " + cidr);
  return Cidr{ip, prefix};
}

std::string Ipv4(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

constexpr int kCniAddAttempts = 3;

bool IsIptablesRace(const Status& s) {
  return s.message().find("iptables") != std::string::npos &&
         s.message().find("No chain/target/match by that name") != std::string::npos;
}

Status Validate(const std::string& id, const Subnet& subnet, const std::vector<PortMapping>& ports) {
  if (!IsCniName(id, 200)) return Status::InvalidArgument("bad attachment id: '" + id + "'");
  if (!IsCniName(subnet.id, 100)) return Status::InvalidArgument("bad subnet id: '" + subnet.id + "'");
  if (!IsCniName(subnet.bridge, 15)) {
    return Status::InvalidArgument("bad bridge name (<= 15 chars): '" + subnet.bridge + "'");
  }
  RETURN_IF_ERROR(ParseCidr(subnet.cidr).status());
  if (!subnet.vpc_id.empty() && !IsCniName(subnet.vpc_id, 100)) {
    return Status::InvalidArgument("bad VPC id: '" + subnet.vpc_id + "'");
  }
  std::set<std::pair<int, std::string>> seen;
  for (const PortMapping& p : ports) {
    if (p.host_port < 1 || p.host_port > 65535 || p.container_port < 1 || p.container_port > 65535 ||
        (p.protocol != "tcp" && p.protocol != "udp")) {
      return Status::InvalidArgument("bad port mapping " + std::to_string(p.host_port) + ":" +
                                     std::to_string(p.container_port) + "/" + p.protocol);
    }
    if (!seen.insert({p.host_port, p.protocol}).second) {
      return Status::InvalidArgument("host port mapped twice: " + std::to_string(p.host_port));
    }
  }
  return Status::OK();
}

json::object ConfList(const CniOptions& options, const Subnet& subnet, const Cidr& cidr,
                      bool with_ports, const std::string& requested_ip) {
  json::object range{{"subnet", subnet.cidr}, {"gateway", Ipv4(cidr.network + 1)}};
  if (!requested_ip.empty()) {
    // The server chose the address (an awsvpc task's ENI): a range of exactly that one.
    range["rangeStart"] = requested_ip;
    range["rangeEnd"] = requested_ip;
  }
  json::object ipam = {
      {"type", "host-local"},
      {"ranges", json::array{json::array{std::move(range)}}},
      {"routes", json::array{json::object{{"dst", "0.0.0.0/0"}}}},
      {"dataDir", options.state_dir + "/ipam"},
  };
  json::object bridge{
      {"type", "bridge"},
      {"bridge", subnet.bridge},
      {"isGateway", true},
      {"ipMasq", false},  // host_rules.h does it per subnet
      {"hairpinMode", true},
      {"ipam", std::move(ipam)},
  };
  if (!requested_ip.empty()) {
    // A server-chosen address comes back to a new task as soon as the last one stopped (a
    // service's replacement, a rolling update). With a MAC derived from the address, the
    // host's and the neighbours' ARP entries for it stay right; with a random one they point at
    // the old interface for half a minute and health checks time out.
    bridge["args"] = json::object{{"cni", json::object{{"mac", EniMac(requested_ip)}}}};
  }
  json::array plugins;
  plugins.push_back(std::move(bridge));
  if (with_ports) {
    // snat (the default) masquerades 127.0.0.1 and hairpin sources and sets route_localnet
    // on the bridge, so that curl 127.0.0.1:<hostPort> on the host works.
    plugins.push_back(json::object{
        {"type", "portmap"}, {"snat", true}, {"capabilities", json::object{{"portMappings", true}}}});
  }
  if (options.firewall_plugin) {
    plugins.push_back(json::object{{"type", "firewall"}, {"backend", "iptables"}});
  }
  return json::object{
      {"cniVersion", kCniVersion}, {"name", "wharf-" + subnet.id}, {"plugins", std::move(plugins)}};
}

json::object RuntimeConfig(const std::vector<PortMapping>& ports) {
  json::array mappings;
  for (const PortMapping& p : ports) {
    mappings.push_back(json::object{
        {"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}});
  }
  return json::object{{"portMappings", std::move(mappings)}};
}

// What Attach records per id: enough to DEL without the caller's help.
struct Record {
  std::string id;
  Subnet subnet;
  std::vector<PortMapping> ports;
  std::string netns;
  json::object conflist;
  std::optional<json::object> result;  // set once ADD has succeeded
};

json::object ToJson(const Record& r) {
  json::array ports;
  for (const PortMapping& p : r.ports) {
    ports.push_back(json::object{
        {"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}});
  }
  json::object o = {
      {"id", r.id},
      {"subnet", json::object{{"id", r.subnet.id}, {"cidr", r.subnet.cidr}, {"bridge", r.subnet.bridge},
                              {"vpcId", r.subnet.vpc_id}}},
      {"ports", std::move(ports)},
      {"netns", r.netns},
      {"ifname", kIfName},
      {"conflist", r.conflist},
  };
  if (r.result) o["result"] = *r.result;
  return o;
}

Result<Record> FromJson(const json::value& v) {
  try {
    const json::object& o = v.as_object();
    Record r;
    r.id = json::value_to<std::string>(o.at("id"));
    const json::object& s = o.at("subnet").as_object();
    r.subnet = {json::value_to<std::string>(s.at("id")), json::value_to<std::string>(s.at("cidr")),
                json::value_to<std::string>(s.at("bridge")), ""};
    if (auto* vpc = s.if_contains("vpcId"); vpc && vpc->is_string()) r.subnet.vpc_id = vpc->as_string().c_str();
    for (const json::value& p : o.at("ports").as_array()) {
      r.ports.push_back({static_cast<int>(p.at("hostPort").to_number<int64_t>()),
                         static_cast<int>(p.at("containerPort").to_number<int64_t>()),
                         json::value_to<std::string>(p.at("protocol"))});
    }
    r.netns = json::value_to<std::string>(o.at("netns"));
    r.conflist = o.at("conflist").as_object();
    if (auto* res = o.if_contains("result"); res && res->is_object()) r.result = res->as_object();
    return r;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("bad attachment record: ") + e.what());
  }
}

// The sandbox interface's address from a CNI 1.0.0 result.
Result<NetworkAttachment> AttachmentFrom(const json::object& result, const std::string& netns) {
  try {
    const json::array& interfaces = result.at("interfaces").as_array();
    for (const json::value& ipv : result.at("ips").as_array()) {
      const json::object& ip = ipv.as_object();
      std::string address = json::value_to<std::string>(ip.at("address"));
      if (address.find(':') != std::string::npos) continue;  // IPv6
      NetworkAttachment a;
      a.netns_path = netns;
      auto slash = address.find('/');
      a.ip = address.substr(0, slash);
      a.prefix_length = slash == std::string::npos ? 32 : std::stoi(address.substr(slash + 1));
      if (auto* gw = ip.if_contains("gateway")) a.gateway = json::value_to<std::string>(*gw);
      if (auto* idx = ip.if_contains("interface")) {
        const json::object& itf = interfaces.at(idx->to_number<size_t>()).as_object();
        a.interface_name = json::value_to<std::string>(itf.at("name"));
        if (auto* mac = itf.if_contains("mac")) a.mac = json::value_to<std::string>(*mac);
      }
      return a;
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected CNI result: ") + e.what());
  }
  return Status::Internal("CNI result has no IPv4 address: " + json::serialize(result));
}

// The host side of an attachment's veth, as its CNI result names it: the interface that is
// neither in the namespace nor the bridge (the bridge plugin's vethXXXXXXXX, or its EniPortName
// once renamed). nullptr when there is none.
json::object* HostVethOf(json::object& result, const std::string& bridge) {
  json::value* interfaces = result.if_contains("interfaces");
  if (!interfaces || !interfaces->is_array()) return nullptr;
  for (json::value& v : interfaces->as_array()) {
    json::object* itf = v.if_object();
    if (!itf || itf->if_contains("sandbox")) continue;
    const json::value* name = itf->if_contains("name");
    if (name && name->is_string() && name->as_string() != bridge) return itf;
  }
  return nullptr;
}

std::string RecordPath(const CniOptions& o, const std::string& id) {
  return o.state_dir + "/attachments/" + id + ".json";
}

Result<std::optional<Record>> LoadRecord(const CniOptions& o, const std::string& id) {
  std::ifstream in(RecordPath(o, id));
  if (!in) return std::optional<Record>();
  std::stringstream ss;
  ss << in.rdbuf();
  // Empty: a power loss before SaveRecord's deferred fsync, when nothing that outlives a
  // reboot (a lease) had been made yet.
  if (ss.str().empty()) return std::optional<Record>();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) return Status::Internal("unparsable record " + RecordPath(o, id) + ": " + ec.message());
  ASSIGN_OR_RETURN(Record r, FromJson(v));
  return std::optional<Record>(std::move(r));
}

// Written to a temporary file, fsync'd and renamed into place: a crash leaves the old record
// or the new one, never half of one. `durable` false: not fsync'd (SyncRecord does it later):
// enough before making what a reboot takes away anyway (a namespace), since the agent's own
// crash leaves the page cache, and the record, in place.
Status SaveRecord(const CniOptions& o, const Record& r, bool durable = true) {
  std::string path = RecordPath(o, r.id);
  std::string tmp = path + ".tmp";
  std::string data = json::serialize(ToJson(r));
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp);
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && (!durable || fsync(fd) == 0);
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Status::Internal("cannot write " + path);
  }
  return Status::OK();
}

// The fsync SaveRecord(durable = false) left out, before what outlives a reboot (host-local's
// lease) is made.
Status SyncRecord(const CniOptions& o, const std::string& id) {
  std::string path = RecordPath(o, id);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open " + path);
  bool ok = fsync(fd) == 0;
  close(fd);
  if (!ok) return Status::Internal("cannot sync " + path);
  return Status::OK();
}

// host-local's lease directory of a subnet's CNI network (ConfList's dataDir and name).
std::string LeaseDir(const CniOptions& o, const Subnet& subnet) { return o.state_dir + "/ipam/wharf-" + subnet.id; }

// Runs `f` when it goes out of scope.
template <typename F>
struct AtScopeExit {
  F f;
  ~AtScopeExit() { f(); }
};
template <typename F>
AtScopeExit(F) -> AtScopeExit<F>;

// A VPC ENI's port gets the name the node's egress table fences it by (egress.h "ports",
// EniPortName): until then no fence knows it, so the task's containers start only after
// (Attach returns after this). A link is renamed only while down; the bridge keeps the port.
// The port learns no MAC (learning off) and the bridge sends the ENI's MAC to it by a static,
// sticky entry: no frame a task sends, not even one the bridge's hooks never see (a link-local
// group such as LLDP's; the bridge has no_linklocal_learn too), moves another ENI's MAC to it.
// The record's CNI result names the port from then on (saved here when `save`).
Status NameEniPort(CommandRunner& runner, const CniOptions& options, Record& record, const std::string& ip, bool save) {
  const std::string& bridge = record.subnet.bridge;
  json::object* host = record.result ? HostVethOf(*record.result, bridge) : nullptr;
  if (!host) return Status::Internal("CNI result names no host interface on " + bridge);
  const std::string veth(host->at("name").as_string());
  const std::string name = EniPortName(bridge, ip);
  if (veth == name) return Status::OK();
  std::error_code ec;
  if (fs::exists("/sys/class/net/" + veth, ec)) {
    std::string batch = "link set dev " + veth + " down\nlink set dev " + veth + " name " + name + "\nlink set dev " +
                        name + " type bridge_slave learning off\nlink set dev " + name + " up\n";
    ASSIGN_OR_RETURN(CommandResult r, runner.Run({{"ip", "-batch", "-"}, std::nullopt, batch}));
    if (r.exit_code != 0) return Status::Internal("naming port " + veth + " " + name + ": " + r.err);
  } else if (!fs::exists("/sys/class/net/" + name, ec)) {
    return Status::NotFound("no port " + veth + " nor " + name + " on " + bridge);
  }  // else renamed by an agent that stopped before saving the record: the port is the ENI's
  RETURN_IF_ERROR(RunChecked(runner, {"bridge", "fdb", "replace", EniMac(ip), "dev", name, "master", "static", "sticky"})
                      .status()
                      .WithContext("port " + name));
  (*host)["name"] = name;
  return save ? SaveRecord(options, record) : Status::OK();
}

}  // namespace

Result<std::unique_ptr<Network>> Network::Open(CniOptions options) {
  if (options.state_dir.empty()) return Status::InvalidArgument("CniOptions.state_dir is empty");
  // Empty, List would name every namespace on the host (and the agent's sweep remove them).
  if (options.netns_prefix.empty()) return Status::InvalidArgument("CniOptions.netns_prefix is empty");
  for (const char* plugin : {"bridge", "host-local", "portmap"}) {
    if (access((options.plugin_dir + "/" + plugin).c_str(), X_OK) != 0) {
      return Status::FailedPrecondition(std::string("CNI plugin ") + plugin + " not found in " +
                                        options.plugin_dir + " (install containernetworking-plugins)");
    }
  }
  std::error_code ec;
  fs::create_directories(options.state_dir + "/attachments", ec);
  if (!ec) fs::create_directories(options.state_dir + "/ipam", ec);
  if (ec) return Status::Internal("creating " + options.state_dir + ": " + ec.message());
  RETURN_IF_ERROR(EnsureNetnsDir(options.netns_dir));
  std::unique_ptr<CommandRunner> owned;
  if (!options.runner) owned = std::make_unique<ProcessRunner>();
  return std::unique_ptr<Network>(new Network(std::move(options), std::move(owned)));
}

Network::Network(CniOptions options, std::unique_ptr<CommandRunner> owned_runner)
    : options_(std::move(options)),
      owned_runner_(std::move(owned_runner)),
      runner_(owned_runner_ ? *owned_runner_ : *options_.runner) {}

std::string Network::NetnsPath(const std::string& id) const {
  return options_.netns_dir + "/" + options_.netns_prefix + id;
}

std::shared_ptr<Mutex> Network::IdLock(const std::string& id) {
  MutexLock lock(mu_);
  for (auto it = id_locks_.begin(); it != id_locks_.end();) {  // forget unused locks
    it = it->second.expired() ? id_locks_.erase(it) : std::next(it);
  }
  std::shared_ptr<Mutex> m = id_locks_[id].lock();
  if (!m) {
    m = std::make_shared<Mutex>();
    id_locks_[id] = m;
  }
  return m;
}

Status Network::EnsureSubnet(const Subnet& subnet) {
  // Shared with every other attach on the host, exclusive of a removal (host_lock.h): while
  // it is held the bridge is either set up whole or absent.
  ASSIGN_OR_RETURN(HostLock host_lock, HostLock::Take(options_.lock_dir, "subnet-" + subnet.id, HostLock::Mode::kShared));
  // Serialised so that two first attaches on a subnet do not both add its rules.
  MutexLock ensuring(subnet_mu_);
  {
    MutexLock lock(mu_);
    // Set up once, and still there: another agent's idle stop may have taken it down since
    // (a bridge CNI made afresh would have none of its rules).
    std::error_code ec;
    if (ready_subnets_.count(subnet.id) && fs::exists("/sys/class/net/" + subnet.bridge, ec)) return Status::OK();
    ready_subnets_.erase(subnet.id);
  }
  {
    // That removal deleted the bridge's egress rule too (RemoveVpcRouting): the next
    // SetSubnetEgress adds it again rather than trust what this process added before.
    MutexLock lock(egress_mu_);
    egress_bridges_.erase(subnet.bridge);
  }
  // Recorded before anything is made, so that a later agent takes down what a kill leaves
  // (subnet_records.h). A failed record fails the attach: a bridge made without one would be
  // taken down by no later agent (nor its iptables rules and VPC routing) once this agent is
  // killed.
  RETURN_IF_ERROR(RecordSubnet(SubnetsDir(), subnet));
  RETURN_IF_ERROR(EnsureSubnetRules(runner_, subnet));
  if (!subnet.vpc_id.empty()) {
    // Exclusive of another agent judging the VPC's routing unused (RemoveVpcRouting).
    ASSIGN_OR_RETURN(HostLock vpc_lock, HostLock::Take(options_.lock_dir, "vpc-" + subnet.vpc_id, HostLock::Mode::kExclusive));
    RETURN_IF_ERROR(EnsureVpcRouting(subnet));
  }
  MutexLock lock(mu_);
  ready_subnets_.insert(subnet.id);
  return Status::OK();
}

// See "A subnet of a VPC" in network.h. The bridge is made here, before CNI's first ADD on
// the subnet (the bridge plugin takes a bridge that exists), so that its route and rule are
// in place before a task's first packet.
Status Network::EnsureVpcRouting(const Subnet& subnet) {
  const uint32_t table = model::VpcRouteTable(subnet.vpc_id);
  {
    MutexLock lock(mu_);
    auto [it, added] = vpc_tables_.emplace(table, subnet.vpc_id);
    if (!added && it->second != subnet.vpc_id) {
      return Status::FailedPrecondition("VPCs " + it->second + " and " + subnet.vpc_id +
                                        " hash to one routing table (" + std::to_string(table) + ") on this node");
    }
    auto [z, zone_added] = vpc_zones_.emplace(VpcConntrackZone(subnet.vpc_id), subnet.vpc_id);
    if (!zone_added && z->second != subnet.vpc_id) {
      if (added) vpc_tables_.erase(it);
      return Status::FailedPrecondition("VPCs " + z->second + " and " + subnet.vpc_id +
                                        " hash to one conntrack zone (" + std::to_string(z->first) + ") on this node");
    }
    if (!fwmark_sysctls_) {
      EnableFwmarkReflection();
      fwmark_sysctls_ = true;
    }
  }
  const std::string t = std::to_string(table);
  std::error_code ec;
  if (!fs::exists("/sys/class/net/" + subnet.bridge, ec)) {
    auto made = RunChecked(runner_, {"ip", "link", "add", "name", subnet.bridge, "type", "bridge", "no_linklocal_learn", "1"});
    // Another agent's attach may have made it meanwhile.
    if (!made.ok() && !fs::exists("/sys/class/net/" + subnet.bridge, ec)) {
      return made.status().WithContext("subnet " + subnet.id);
    }
  }
  // A VPC here is IPv4 only (as a subnet without an IPv6 CIDR on AWS), and the host's own
  // fences (egress.h) are IPv4 rules: with IPv6 on, the bridge's link-local address would be a
  // host address every task reaches, whatever its way out. Off, the host drops every IPv6
  // packet that comes in through the bridge. Before the bridge goes up: no address is made.
  const std::string ipv6_conf = "/proc/sys/net/ipv6/conf/" + subnet.bridge;
  if (std::ofstream f(ipv6_conf + "/disable_ipv6"); !(f << "1\n" << std::flush) && fs::exists(ipv6_conf, ec)) {
    LOG_WARN("msg=\"IPv6 not turned off: tasks reach the host's IPv6 services at the bridge\" bridge={}", subnet.bridge);
  }
  // The table holds the VPC's subnets only: the way out is rule kEgressRulePref's, per subnet
  // (SetSubnetEgress); a default route left by an older agent goes.
  (void)runner_.Run({{"ip", "route", "del", "default", "table", t}, std::nullopt, ""});
  for (std::vector<std::string> argv : {
           // Frames to a link-local group (LLDP's 01:80:c2:00:00:0e) pass none of the bridge's
           // hooks, where the ports' fence is (egress.h "ports"): the bridge learns no source
           // MAC from them, or a task would take another ENI's traffic with a forged one. Set
           // on a bridge an older agent made too.
           std::vector<std::string>{"ip", "link", "set", subnet.bridge, "group", kVpcBridgeGroup, "up", "type", "bridge",
                                    "no_linklocal_learn", "1"},
           std::vector<std::string>{"ip", "route", "replace", subnet.cidr, "dev", subnet.bridge, "table", t},
       }) {
    RETURN_IF_ERROR(RunChecked(runner_, argv).status().WithContext("subnet " + subnet.id));
  }
  // The server's front (egress.h) DNATs a task's connection to the server's loopback listener,
  // which the kernel routes only with route_localnet on the bridge it came in through. Safe:
  // egress.h's input chain drops every packet from a VPC bridge to 127/8 that it did not DNAT.
  if (std::ofstream f("/proc/sys/net/ipv4/conf/" + subnet.bridge + "/route_localnet"); !(f << "1\n")) {
    if (fs::exists("/sys/class/net/" + subnet.bridge, ec)) {
      LOG_WARN("msg=\"route_localnet not set: tasks cannot reach a loopback server\" bridge={}", subnet.bridge);
    }
  }
  for (std::vector<std::string> argv : {
           std::vector<std::string>{"ip", "rule", "add", "pref", kVpcRulePref, "iif", subnet.bridge, "lookup", t},
           std::vector<std::string>{"ip", "rule", "add", "pref", kFenceRulePref, "iif", subnet.bridge, "unreachable"},
       }) {
    ASSIGN_OR_RETURN(CommandResult rule, runner_.Run({argv, std::nullopt, ""}));
    if (rule.exit_code != 0 && rule.err.find("File exists") == std::string::npos) {
      return Status::Internal("subnet " + subnet.id + ": ip rule add: " + rule.err);
    }
  }
  // The host's replies (a SYN-ACK, an echo reply, an unbound socket's answer) are routed by
  // main, which may name another VPC's bridge for the address: the connection's mark, set as
  // it came in through the bridge, routes them by the VPC's table instead.
  const uint32_t mark = ReplyMark(table);
  auto nft_path = FindExecutable("nft");
  if (!nft_path.ok()) {
    // Only two VPCs sharing a CIDR need it; security groups need nft anyway (firewall.h).
    LOG_WARN("msg=\"nft not found: the host's replies into VPC {} are routed by main\"", subnet.vpc_id);
    MutexLock lock(mu_);
    subnet_vpcs_[subnet.id] = subnet.vpc_id;
    return Status::OK();
  }
  {
    // The bridge joins the restore list in the same hold as its part is written (see vpc_table_mu_).
    MutexLock writing(vpc_table_mu_);
    ASSIGN_OR_RETURN(CommandResult nft,
                     runner_.Run({{*nft_path, "-f", "-"}, std::nullopt,
                                  ReplyRoutingScript(options_.vpc_table, subnet.bridge, mark, VpcConntrackZone(subnet.vpc_id))}));
    if (nft.exit_code != 0) return Status::Internal("subnet " + subnet.id + ": nft: " + nft.err);
    vpc_table_bridges_[subnet.bridge] = subnet.vpc_id;
  }
  ASSIGN_OR_RETURN(CommandResult rule, runner_.Run({{"ip", "rule", "add", "pref", kReplyRulePref, "fwmark", std::to_string(mark),
                                       "lookup", t},
                                      std::nullopt, ""}));
  if (rule.exit_code != 0 && rule.err.find("File exists") == std::string::npos) {
    return Status::Internal("subnet " + subnet.id + ": ip rule add: " + rule.err);
  }
  MutexLock lock(mu_);
  subnet_vpcs_[subnet.id] = subnet.vpc_id;
  return Status::OK();
}

Result<bool> Network::RestoreVpcTable() {
  MutexLock writing(vpc_table_mu_);
  if (vpc_table_bridges_.empty()) return false;
  std::string script;  // each bridge's part is idempotent: chains flushed, then written
  for (const auto& [bridge, vpc_id] : vpc_table_bridges_) {
    script += ReplyRoutingScript(options_.vpc_table, bridge, ReplyMark(model::VpcRouteTable(vpc_id)),
                                 VpcConntrackZone(vpc_id));
  }
  RETURN_IF_ERROR(net::ApplyNft(runner_, script, "the host's replies into VPCs need nftables"));
  return true;
}

bool Network::RouteTableHasBridge(const std::string& table, const std::string& leaving) {
  auto shown = runner_.Run({{"ip", "-o", "route", "show", "table", table}, std::nullopt, ""});
  if (shown.ok() && shown->exit_code != 0 && shown->err.find("does not exist") != std::string::npos) return false;
  if (!shown.ok() || shown->exit_code != 0) return true;  // unknown: keep the table
  std::istringstream words(shown->out);
  std::string word, previous;
  while (words >> word) {
    if (previous == "dev" && word != "lo" && word != leaving) return true;  // lo: egress.h's local routes
    previous = word;
  }
  return false;
}

void Network::RemoveVpcRouting(const Subnet& subnet) {
  const uint32_t table = model::VpcRouteTable(subnet.vpc_id);
  const std::string t = std::to_string(table);
  // Before vpc_table_mu_, as EnsureSubnet takes it before EnsureVpcRouting's.
  auto vpc_lock = HostLock::Take(options_.lock_dir, "vpc-" + subnet.vpc_id, HostLock::Mode::kExclusive);
  {
    MutexLock lock(egress_mu_);
    egress_bridges_.erase(subnet.bridge);
  }
  for (const std::vector<std::string>& argv : {
           std::vector<std::string>{"ip", "rule", "del", "pref", kVpcRulePref, "iif", subnet.bridge, "lookup", t},
           EgressRule("del", subnet.bridge),
           std::vector<std::string>{"ip", "rule", "del", "pref", kFenceRulePref, "iif", subnet.bridge, "unreachable"},
       }) {
    for (int i = 0; i < 16; ++i) {  // bounded: duplicates are possible, endless loops are not
      auto del = runner_.Run({argv, std::nullopt, ""});
      if (!del.ok() || del->exit_code != 0) break;
    }
  }
  MutexLock writing(vpc_table_mu_);  // to the end: the bridge leaves the table and the restore list together
  // Scripts, not nft command lines: the node's table watch knows an `nft -f -` run as the
  // node's own before it commits (net/nft_runs.h). Each element alone: one already gone fails alone.
  for (const char* map : {"bridges", "zones"}) {
    (void)net::ApplyNft(runner_, "delete element inet " + options_.vpc_table + " " + map + " { \"" + subnet.bridge + "\" }\n", "");
  }
  vpc_table_bridges_.erase(subnet.bridge);
  bool last = true;
  bool no_vpc_left = false;
  {
    MutexLock lock(mu_);
    subnet_vpcs_.erase(subnet.id);
    for (const auto& [_, vpc] : subnet_vpcs_) last = last && vpc != subnet.vpc_id;
    if (last) {  // this process's claims on the table and zone numbers
      vpc_tables_.erase(table);
      vpc_zones_.erase(VpcConntrackZone(subnet.vpc_id));
    }
    no_vpc_left = subnet_vpcs_.empty();
  }
  // The routing table and the reply rule are the host's, shared by every agent with a subnet
  // of the VPC here, and this process knows only its own subnets (a restarted agent, none but
  // its records'): they go only when, besides, the kernel's table names no bridge any more. Judged
  // under the VPC's host lock, which EnsureSubnet holds while it adds a bridge's route.
  if (last && vpc_lock.ok() && !RouteTableHasBridge(t, subnet.bridge)) {
    // The bridge's route went with the bridge; the last subnet takes the table's default and
    // the reply rule too.
    (void)runner_.Run({{"ip", "route", "flush", "table", t}, std::nullopt, ""});
    for (int i = 0; i < 16; ++i) {
      auto del = runner_.Run({{"ip", "rule", "del", "pref", kReplyRulePref, "fwmark",
                               std::to_string(ReplyMark(table)), "lookup", t},
                              std::nullopt, ""});
      if (!del.ok() || del->exit_code != 0) break;
    }
    vpc_lock->Unlink();
  }
  if (no_vpc_left) {
    (void)net::ApplyNft(runner_, "delete table inet " + options_.vpc_table + "\n", "");
  }
}

Result<NetworkAttachment> Network::Attach(const std::string& id, const Subnet& subnet,
                                          const std::vector<PortMapping>& ports,
                                          const std::string& requested_ip,
                                          const NamespaceMade& namespace_made) {
  RETURN_IF_ERROR(Validate(id, subnet, ports));
  ASSIGN_OR_RETURN(Cidr cidr, ParseCidr(subnet.cidr));
  auto id_lock = IdLock(id);
  MutexLock lock(*id_lock);

  ASSIGN_OR_RETURN(std::optional<Record> existing, LoadRecord(options_, id));
  if (existing) {
    if (existing->result && NetnsExists(existing->netns)) {
      if (existing->subnet.cidr != subnet.cidr) {
        return Status::AlreadyExists("attachment " + id + " exists on subnet " + existing->subnet.cidr);
      }
      auto attachment = AttachmentFrom(*existing->result, existing->netns);
      if (attachment.ok() && !subnet.vpc_id.empty()) {
        // Made by an older agent, whose port no fence knows (egress.h "ports").
        Status named = NameEniPort(runner_, options_, *existing, attachment->ip, /*save=*/true);
        if (!named.ok()) return named.WithContext("attach " + id);
      }
      if (attachment.ok() && namespace_made) {
        namespace_made({attachment->netns_path, attachment->gateway, attachment->ip});
      }
      return attachment;
    }
    // Half made (a crash during Attach) or its namespace is gone: start over.
    RETURN_IF_ERROR(DetachLocked(id).WithContext("cleaning up stale attachment " + id));
  }
  // Held until CNI has put the port on the bridge (host_lock.h): a removal by any agent on the
  // host waits, then finds the port and keeps the bridge. EnsureSubnet takes it shared again
  // (for its other callers); two shared holds never wait on each other.
  ASSIGN_OR_RETURN(HostLock subnet_lock, HostLock::Take(options_.lock_dir, "subnet-" + subnet.id, HostLock::Mode::kShared));
  RETURN_IF_ERROR(EnsureSubnet(subnet));

  // Picked here rather than by host-local, so that namespace_made can tell it before CNI runs.
  std::string ip = requested_ip;
  if (ip.empty()) {
    ASSIGN_OR_RETURN(ip, PickAddress(subnet, cidr.network, cidr.prefix));
  }
  AtScopeExit forget_picked{[&] {
    if (requested_ip.empty()) ForgetPicked(subnet, ip);
  }};
  Record record{id, subnet, ports, NetnsPath(id), ConfList(options_, subnet, cidr, !ports.empty(), ip), std::nullopt};
  RETURN_IF_ERROR(SaveRecord(options_, record, /*durable=*/false));
  Status made = CreateNetns(record.netns);
  if (made.IsAlreadyExists()) {  // left by a crash before the record was written
    RETURN_IF_ERROR(RemoveNetns(record.netns));
    made = CreateNetns(record.netns);
  }
  if (!made.ok()) {
    unlink(RecordPath(options_, id).c_str());
    return made.WithContext("attach " + id);
  }
  AttachmentNamespace made_namespace{record.netns, Ipv4(cidr.network + 1), ip};
  bool told = false;
  {
    MutexLock subnets(mu_);
    told = wired_subnets_.count(subnet.id) > 0;
  }
  if (told && namespace_made) namespace_made(made_namespace);
  if (Status synced = SyncRecord(options_, id); !synced.ok()) {
    RemoveNetns(record.netns);
    unlink(RecordPath(options_, id).c_str());
    return synced.WithContext("attach " + id);
  }
  CniInvoker cni(runner_, options_.plugin_dir);
  CniArgs args{id, record.netns, kIfName};
  auto added = cni.Add(record.conflist, args, RuntimeConfig(ports));
  // iptables-nft (Debian 12's 1.8.9) sometimes answers "No chain/target/match by that name" for a
  // chain portmap made a moment before, when another process changed the ruleset in between. A
  // failed ADD is rolled back by CniInvoker, so trying again is safe; a real error fails again.
  for (int attempt = 1; attempt < kCniAddAttempts && !added.ok() && IsIptablesRace(added.status());
       ++attempt) {
    LOG_WARN("attach {}: {}; trying again", id, added.status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    added = cni.Add(record.conflist, args, RuntimeConfig(ports));
  }
  if (!added.ok()) {
    RemoveNetns(record.netns);
    unlink(RecordPath(options_, id).c_str());
    return added.status().WithContext("attach " + id);
  }
  {
    MutexLock subnets(mu_);
    wired_subnets_.insert(subnet.id);
  }
  if (!told && namespace_made) namespace_made(made_namespace);
  record.result = std::move(*added);
  auto attachment = AttachmentFrom(*record.result, record.netns);
  Status named = attachment.ok() && !subnet.vpc_id.empty() ? NameEniPort(runner_, options_, record, attachment->ip, /*save=*/false)
                                                             : Status::OK();
  Status saved = !attachment.ok() ? attachment.status() : !named.ok() ? named : SaveRecord(options_, record);
  if (!saved.ok()) {
    Status undone = DetachLocked(id);
    if (!undone.ok()) LOG_WARN("undoing attach {}: {}", id, undone.message());
    return saved.WithContext("attach " + id);
  }
  return attachment;
}

Status Network::AdoptEni(const std::string& id, const Subnet& subnet) {
  RETURN_IF_ERROR(EnsureSubnet(subnet));
  if (subnet.vpc_id.empty()) return Status::OK();
  auto id_lock = IdLock(id);
  MutexLock lock(*id_lock);
  ASSIGN_OR_RETURN(std::optional<Record> record, LoadRecord(options_, id));
  if (!record || !record->result) return Status::OK();  // no attachment made: nothing to name
  ASSIGN_OR_RETURN(NetworkAttachment attachment, AttachmentFrom(*record->result, record->netns));
  return NameEniPort(runner_, options_, *record, attachment.ip, /*save=*/true);
}

Result<std::string> Network::PickAddress(const Subnet& subnet, uint32_t network, int prefix) {
  // host-local's range without a rangeStart: after the gateway (.1) up to before the broadcast.
  const uint32_t first = network + 2;
  const uint32_t last = network + (uint32_t{1} << (32 - prefix)) - 2;
  const uint32_t size = last - first + 1;
  const std::string leases = LeaseDir(options_, subnet);
  MutexLock lock(address_mu_);
  // Round robin from the last address handed out, as host-local goes: an address that was
  // just given back is taken again last (the neighbours' ARP entries for it may be stale).
  uint32_t after = last;
  if (auto it = last_picked_.find(subnet.id); it != last_picked_.end()) {
    after = it->second;
  } else if (std::ifstream in(leases + "/last_reserved_ip.0"); in) {
    std::string text;
    in >> text;
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) == 1) after = ntohl(a.s_addr);
  }
  const uint32_t start = after >= first && after < last ? after - first + 1 : 0;
  std::set<std::string>& picked = picked_[subnet.id];
  for (uint32_t n = 0; n < size; ++n) {
    const uint32_t candidate = first + (start + n) % size;
    std::string ip = Ipv4(candidate);
    std::error_code ec;
    if (picked.count(ip) || fs::exists(leases + "/" + ip, ec)) continue;
    picked.insert(ip);
    last_picked_[subnet.id] = candidate;
    return ip;
  }
  return Status::Unavailable("no free address in subnet " + subnet.id + " (" + subnet.cidr + ")");
}

void Network::ForgetPicked(const Subnet& subnet, const std::string& ip) {
  MutexLock lock(address_mu_);
  picked_[subnet.id].erase(ip);
}

Status Network::RedirectCredentialsEndpoint(const std::string& netns_path, const std::string& address,
                                            uint16_t port) {
  in_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1) return Status::InvalidArgument("not an IPv4 address: " + address);
  auto nft = FindExecutable("nft");
  if (!nft.ok()) return Status::FailedPrecondition("nft not found: task credentials need nftables");
  auto nsenter = FindExecutable("nsenter");
  if (!nsenter.ok()) return nsenter.status();
  // Declared, deleted and declared again in one transaction: a second run replaces the rule.
  std::string script = "table ip wharf_credentials\n"
                       "delete table ip wharf_credentials\n"
                       "table ip wharf_credentials {\n"
                       "  chain output {\n"
                       "    type nat hook output priority -100; policy accept;\n"
                       "    ip daddr 169.254.170.2 tcp dport 80 dnat to " + address + ":" + std::to_string(port) + "\n"
                       "  }\n"
                       "}\n";
  ASSIGN_OR_RETURN(CommandResult r, runner_.Run({{*nsenter, "--net=" + netns_path, *nft, "-f", "-"}, std::nullopt,
                                                 script, std::chrono::seconds(30)}));
  if (r.exit_code != 0) return Status::Internal("nft -f in " + netns_path + ": " + r.err);
  return Status::OK();
}

Status Network::Detach(const std::string& id) {
  if (!IsCniName(id, 200)) return Status::InvalidArgument("bad attachment id: '" + id + "'");
  auto id_lock = IdLock(id);
  MutexLock lock(*id_lock);
  return DetachLocked(id);
}

Status Network::DetachLocked(const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<Record> record, LoadRecord(options_, id));
  std::string netns = record ? record->netns : NetnsPath(id);
  if (record) {
    CniInvoker cni(runner_, options_.plugin_dir);
    // With the namespace gone the veth went with it; plugins then only release what is on
    // the host (lease, portmap chains).
    CniArgs args{id, NetnsExists(netns) ? netns : "", kIfName};
    RETURN_IF_ERROR(cni.Del(record->conflist, args, record->result ? &*record->result : nullptr,
                            RuntimeConfig(record->ports))
                        .WithContext("detach " + id));
  }
  RETURN_IF_ERROR(RemoveNetns(netns).WithContext("detach " + id));
  if (unlink(RecordPath(options_, id).c_str()) != 0 && errno != ENOENT) {
    return Status::Internal("detach " + id + ": cannot remove record");
  }
  return Status::OK();
}

Result<std::vector<std::string>> Network::List() {
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.state_dir + "/attachments", ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 5 && name.ends_with(".json")) ids.insert(name.substr(0, name.size() - 5));
  }
  if (ec) return Status::Internal("listing attachments: " + ec.message());
  for (const auto& e : fs::directory_iterator(options_.netns_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with(options_.netns_prefix) && name.size() > options_.netns_prefix.size()) {
      ids.insert(name.substr(options_.netns_prefix.size()));
    }
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

uint32_t VpcReplyMark(const std::string& vpc_id) { return model::VpcReplyMark(vpc_id); }

uint16_t VpcConntrackZone(const std::string& vpc_id) { return model::VpcConntrackZone(vpc_id); }

namespace {
std::string DataDirHash(std::string_view data_dir) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", Fnv1a32(data_dir));  // stable across builds and hosts
  return hex;
}
}  // namespace

std::string NodeTableName(std::string_view base, std::string_view data_dir) {
  return std::string(base) + "_" + DataDirHash(data_dir);
}

std::string NodeNetnsPrefix(std::string_view data_dir) { return "wharf-" + DataDirHash(data_dir) + "-"; }

Status Network::SetSubnetEgress(const std::set<std::string>& bridges) {
  MutexLock lock(egress_mu_);
  Status result = Status::OK();
  for (const std::string& bridge : bridges) {
    if (egress_bridges_.count(bridge)) continue;
    if (!IsCniName(bridge, 15)) return Status::InvalidArgument("bad bridge name " + bridge);
    // By name: the rule holds from before the bridge exists (a task being attached) on.
    ASSIGN_OR_RETURN(CommandResult add, runner_.Run({EgressRule("add", bridge), std::nullopt, ""}));
    if (add.exit_code != 0 && add.err.find("File exists") == std::string::npos) {
      result = Status::Internal("bridge " + bridge + ": ip rule add: " + add.err);
      continue;
    }
    egress_bridges_.insert(bridge);
  }
  for (auto it = egress_bridges_.begin(); it != egress_bridges_.end();) {
    if (bridges.count(*it)) {
      ++it;
      continue;
    }
    for (int i = 0; i < 16; ++i) {
      auto del = runner_.Run({EgressRule("del", *it), std::nullopt, ""});
      if (!del.ok() || del->exit_code != 0) break;
    }
    it = egress_bridges_.erase(it);
  }
  return result;
}

namespace {

// Whether `bridge` has the IPv4 address `ip` (any prefix): read in-process, a netlink dump,
// so that a task on a bridge that has it already runs no `ip` on its way to RUNNING.
bool HasAddress(const std::string& bridge, const std::string& ip) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || bridge != a->ifa_name) continue;
    char text[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    found = inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr && ip == text;
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

Status Network::AddBridgeAddress(const std::string& bridge, const std::string& ip) {
  if (!IsCniName(bridge, 15)) return Status::InvalidArgument("bad bridge name " + bridge);
  if (HasAddress(bridge, ip)) return Status::OK();
  // `replace` is idempotent; /32 adds no route but the local one.
  return RunChecked(runner_, {"ip", "addr", "replace", ip + "/32", "dev", bridge}).status().WithContext("bridge " + bridge);
}

Status Network::RemoveSubnetBridge(const Subnet& subnet) {
  if (!IsCniName(subnet.id, 100) || !IsCniName(subnet.bridge, 15)) {
    return Status::InvalidArgument("bad subnet " + subnet.id + "/" + subnet.bridge);
  }
  // Exclusive to the end (host_lock.h): no agent on the host attaches to the subnet between
  // the checks below and the bridge's removal, so none gets a bare bridge CNI made afresh.
  ASSIGN_OR_RETURN(HostLock host_lock, HostLock::Take(options_.lock_dir, "subnet-" + subnet.id, HostLock::Mode::kExclusive));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, List());
  for (const std::string& id : ids) {
    auto record = LoadRecord(options_, id);
    if (record.ok() && *record && (*record)->subnet.id == subnet.id) {
      return Status::FailedPrecondition("subnet " + subnet.id + " is used by " + id);
    }
  }
  std::string brif = "/sys/class/net/" + subnet.bridge + "/brif";
  std::error_code ec;
  if (fs::exists(brif, ec) && !fs::is_empty(brif, ec)) {
    return Status::FailedPrecondition("bridge " + subnet.bridge + " still has ports");
  }
  {
    MutexLock lock(mu_);
    ready_subnets_.erase(subnet.id);
    wired_subnets_.erase(subnet.id);
  }
  RETURN_IF_ERROR(RemoveSubnetRules(runner_, subnet));
  if (fs::exists("/sys/class/net/" + subnet.bridge, ec)) {
    RETURN_IF_ERROR(RunChecked(runner_, {"ip", "link", "del", subnet.bridge}).status());
  }
  if (!subnet.vpc_id.empty()) RemoveVpcRouting(subnet);
  fs::remove_all(options_.state_dir + "/ipam/wharf-" + subnet.id, ec);
  ForgetSubnet(SubnetsDir(), subnet.id);  // last: all of it is gone
  host_lock.Unlink();
  return Status::OK();
}

std::vector<Subnet> Network::SubnetsMade() const { return RecordedSubnets(SubnetsDir()); }

}  // namespace wharf::agent
