// Root tests against the real Debian CNI plugins, iptables and the kernel. Each test makes
// its own subnet (10.2xx.<pid%250>.0/24), bridge (wt<pid>x) and namespaces (wt<pid>-*) and
// removes them in a scope guard, also when an assertion fails.
#include "agent/network/network.h"
#include "model/ec2_network.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "agent/network/egress.h"
#include "agent/network/firewall.h"
#include "agent/network/netns.h"
#include "base/mutex.h"

namespace wharf::agent {
namespace {
namespace fs = std::filesystem;

class ScopeGuard {
 public:
  explicit ScopeGuard(std::function<void()> f) : f_(std::move(f)) {}
  ~ScopeGuard() { f_(); }

 private:
  std::function<void()> f_;
};

// The host locks of this test run's subnets (host_lock.h), shared by its Networks and
// removed at the end, not left in /run/wharf.
std::string LockDir() { return (fs::temp_directory_path() / ("wharf-net-test-locks-" + std::to_string(getpid()))).string(); }

// Runs a shell line; returns {exit code, stdout}.
std::pair<int, std::string> Sh(const std::string& line) {
  FILE* p = popen((line + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// iptables-save of nat and filter without counters and comment lines, one rule a line.
std::set<std::string> IptablesRules() {
  std::set<std::string> lines;
  for (const char* table : {"nat", "filter"}) {
    std::istringstream in(Sh(std::string("iptables-save -t ") + table).second);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#' || line == "COMMIT") continue;
      if (line[0] == ':') line = line.substr(0, line.find(' '));  // drop policy/counters
      lines.insert(std::string(table) + " " + line);
    }
  }
  return lines;
}

// Rules that appeared since `before`, minus portmap's shared top-level chains, which the plugin
// makes on its first ADD and by design never deletes (README "DNAT": "always created and never
// deleted").
std::vector<std::string> NewRules(const std::set<std::string>& before) {
  std::vector<std::string> added;
  for (const std::string& l : IptablesRules()) {
    if (!before.count(l) && l.find("CNI-HOSTPORT-") == std::string::npos) added.push_back(l);
  }
  return added;
}

// portmap and firewall make shared top-level chains on their first ADD and never delete them.
// The tests remove them at the end when the run made them and no task uses them any more, so
// that the machine is left as it was found.
class CniScaffoldingCleanup : public ::testing::Environment {
 public:
  void SetUp() override {
    had_portmap_ = Sh("iptables -w -t nat -S CNI-HOSTPORT-DNAT").first == 0;
    had_firewall_ = Sh("iptables -w -t filter -S CNI-FORWARD").first == 0;
  }
  void TearDown() override {
    fs::remove_all(LockDir());
    auto rules = [](const std::string& table, const std::string& chain) {
      auto [rc, out] = Sh("iptables -w -t " + table + " -S " + chain + " | grep -c '^-A'");
      return std::stoi(out);
    };
    if (!had_portmap_ && Sh("iptables -w -t nat -S CNI-HOSTPORT-DNAT").first == 0 &&
        rules("nat", "CNI-HOSTPORT-DNAT") == 0) {
      Sh("iptables -w -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT");
      Sh("iptables -w -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT");
      Sh("iptables -w -t nat -D POSTROUTING -m comment --comment 'CNI portfwd requiring masquerade' "
         "-j CNI-HOSTPORT-MASQ");
      for (const char* chain : {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"}) {
        Sh(std::string("iptables -w -t nat -F ") + chain + " && iptables -w -t nat -X " + chain);
      }
    }
    if (!had_firewall_ && Sh("iptables -w -t filter -S CNI-FORWARD").first == 0 &&
        rules("filter", "CNI-FORWARD") == 1 && rules("filter", "CNI-ADMIN") == 0) {
      Sh("iptables -w -D FORWARD -m comment --comment 'CNI firewall plugin rules' -j CNI-FORWARD");
      Sh("iptables -w -F CNI-FORWARD && iptables -w -X CNI-FORWARD && iptables -w -X CNI-ADMIN");
    }
  }

 private:
  bool had_portmap_ = true;
  bool had_firewall_ = true;
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new CniScaffoldingCleanup);

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pid = getpid();
    prefix_ = "wt" + std::to_string(pid) + "-";
    state_dir_ = fs::temp_directory_path() / ("wharf-net-test-" + std::to_string(pid));
    fs::remove_all(state_dir_);
    CniOptions options;
    options.state_dir = state_dir_;
    options.lock_dir = LockDir();
    options.netns_prefix = prefix_;
    options.vpc_table = VpcTable();
    auto net = Network::Open(options);
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    net_ = std::move(*net);
  }

  // Another Network on this test's state dir, as a restarted agent opens it (named with
  // `prefix`: this test's, or another an upgraded agent names with).
  Result<std::unique_ptr<Network>> Reopen(const std::string& prefix = "") {
    CniOptions options;
    options.state_dir = state_dir_;
    options.lock_dir = LockDir();
    options.netns_prefix = prefix.empty() ? prefix_ : prefix;
    options.vpc_table = VpcTable();
    return Network::Open(options);
  }

  // This test run's VPC table (an agent's is NodeTableName's), never a running agent's.
  static std::string VpcTable() { return "wt" + std::to_string(getpid()) + "_vpc"; }

  // A second agent on this host: its own state directory (emptied) and namespace prefix, the
  // host's locks shared with the first.
  static CniOptions SecondAgentOptions(const std::string& state_dir, const std::string& vpc_table) {
    fs::remove_all(state_dir);
    CniOptions options;
    options.state_dir = state_dir;
    options.lock_dir = LockDir();
    options.netns_prefix = NodeNetnsPrefix(state_dir);
    options.vpc_table = vpc_table;
    return options;
  }

  // Each test passes its own second octet so that tests never share a subnet.
  Subnet MakeSubnet(int octet) {
    char bridge[16];
    snprintf(bridge, sizeof(bridge), "wt%x-%d", static_cast<unsigned>(getpid()) & 0xffffff, octet % 100);
    return Subnet{"subnet-t" + std::to_string(getpid()) + "-" + std::to_string(octet),
                  "10." + std::to_string(octet) + "." + std::to_string(getpid() % 250) + ".0/24",
                  bridge, ""};
  }

  std::string Id(const std::string& name) { return "task-" + std::to_string(getpid()) + "-" + name; }
  std::string NetnsName(const std::string& id) { return prefix_ + id; }

  // Detaches everything the test made and removes its bridge, whatever state it is in.
  void CleanUp(const Subnet& subnet) {
    if (!net_) return;
    auto ids = net_->List();
    if (ids.ok()) {
      for (const auto& id : *ids) {
        Status s = net_->Detach(id);
        if (!s.ok()) ADD_FAILURE() << "cleanup detach " << id << ": " << s.ToString();
      }
    }
    Status s = net_->RemoveSubnetBridge(subnet);
    if (!s.ok()) ADD_FAILURE() << "cleanup bridge: " << s.ToString();
    fs::remove_all(state_dir_);
  }

  std::string prefix_;
  std::string state_dir_;
  std::unique_ptr<Network> net_;
};

// A service's replacement task often gets the address its predecessor just gave back. The
// host must reach it at once: with a random MAC per attachment, the host's ARP entry would
// still name the old interface and packets would vanish until it expired (~30 s).
TEST_F(NetworkTest, AnAddressGivenBackAndTakenAgainKeepsItsMac) {
  Subnet subnet = MakeSubnet(207);
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::string base = subnet.cidr.substr(0, subnet.cidr.rfind('.'));
  std::string ip = base + ".9";
  auto first = net_->Attach(Id("old"), subnet, {}, ip);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->ip, ip);
  char expected_mac[18];
  snprintf(expected_mac, sizeof expected_mac, "02:77:0a:%02x:%02x:09", 207, getpid() % 250);
  EXPECT_EQ(first->mac, expected_mac);
  auto [rc1, out1] = Sh("busybox ping -c1 -W2 " + ip);  // the host learns the address's MAC
  ASSERT_EQ(rc1, 0) << out1;
  ASSERT_TRUE(net_->Detach(Id("old")).ok());

  auto second = net_->Attach(Id("new"), subnet, {}, ip);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->mac, expected_mac);
  auto [rc2, out2] = Sh("busybox ping -c1 -W1 " + ip);
  EXPECT_EQ(rc2, 0) << "the new interface with the old address is not reachable: " << out2;
}

// Two VPCs with one CIDR on the node (network.h, "A subnet of a VPC"): a task in each at the
// same address; the second VPC's other subnet is reached from its own VPC only.
TEST_F(NetworkTest, VpcsWithOneCidrAreRoutedApart) {
  std::string pid = std::to_string(getpid());
  char b1[16], b2[16], b3[16];
  snprintf(b1, sizeof b1, "wt%x-v1", static_cast<unsigned>(getpid()) & 0xffffff);
  snprintf(b2, sizeof b2, "wt%x-v2", static_cast<unsigned>(getpid()) & 0xffffff);
  snprintf(b3, sizeof b3, "wt%x-v3", static_cast<unsigned>(getpid()) & 0xffffff);
  std::string net = "10.209." + std::to_string(getpid() % 250);
  std::string other = "10.210." + std::to_string(getpid() % 250);
  Subnet one{"subnet-v1-" + pid, net + ".0/24", b1, "vpc-t1-" + pid};
  Subnet two{"subnet-v2-" + pid, net + ".0/24", b2, "vpc-t2-" + pid};
  Subnet two_b{"subnet-v3-" + pid, other + ".0/24", b3, "vpc-t2-" + pid};
  ScopeGuard guard([&] {
    for (const std::string id : {"a", "b", "c"}) {
      if (Status s = net_->Detach(Id(id)); !s.ok()) ADD_FAILURE() << s.ToString();
    }
    for (const Subnet* subnet : {&two, &two_b}) {
      if (Status s = net_->RemoveSubnetBridge(*subnet); !s.ok()) ADD_FAILURE() << s.ToString();
    }
    CleanUp(one);
  });
  auto a = net_->Attach(Id("a"), one, {}, net + ".4");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = net_->Attach(Id("b"), two, {}, net + ".4");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = net_->Attach(Id("c"), two_b, {}, other + ".4");
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  std::string table2 = std::to_string(model::VpcRouteTable(two.vpc_id));
  EXPECT_EQ(Sh("ip rule show pref 1000 | grep -c 'iif " + std::string(b2) + " lookup " + table2 + "'").second,
            "1\n");
  auto in = [&](const std::string& id, const std::string& cmd) { return Sh("ip netns exec " + NetnsName(Id(id)) + " " + cmd); };
  EXPECT_EQ(in("b", "busybox ping -c1 -W2 " + other + ".4").first, 0) << "one VPC's subnets are joined";
  EXPECT_NE(in("a", "busybox ping -c1 -W1 " + other + ".4").first, 0) << "another VPC's subnet is out of reach";
  EXPECT_EQ(in("a", "busybox ping -c1 -W2 " + net + ".1").first, 0) << "the gateway, on both bridges";
  EXPECT_EQ(in("b", "busybox ping -c1 -W2 " + net + ".1").first, 0) << "the gateway, on both bridges";
  // Each VPC's bridges track their connections in the VPC's own conntrack zone.
  ASSERT_NE(VpcConntrackZone(one.vpc_id), VpcConntrackZone(two.vpc_id));
  std::string zones = Sh("nft list map inet " + VpcTable() + " zones").second;
  for (const auto& [bridge, vpc] : {std::pair{b1, one.vpc_id}, {b2, two.vpc_id}, {b3, two.vpc_id}}) {
    EXPECT_NE(zones.find("\"" + std::string(bridge) + "\" : " + std::to_string(VpcConntrackZone(vpc))),
              std::string::npos) << zones;
  }
  // Nothing outside the VPC: asked of the kernel's routing, no packet sent.
  EXPECT_NE(Sh("ip route get 192.0.2.99 from " + net + ".4 iif " + std::string(b1)).first, 0);
  // A subnet routed out (its route table sends 0.0.0.0/0 to a gateway) reaches the host's
  // networks, but still no other VPC's subnet, though main has that bridge's route.
  auto routes = [&](const char* bridge, const std::string& to) {
    return Sh("ip route get " + to + " from " + net + ".4 iif " + std::string(bridge)).first == 0;
  };
  ASSERT_TRUE(net_->SetSubnetEgress({b1}).ok());
  EXPECT_TRUE(routes(b1, "192.0.2.99"));
  EXPECT_FALSE(routes(b1, other + ".4")) << "vpc2's subnet from vpc1, through main";
  EXPECT_FALSE(routes(b2, "192.0.2.99")) << "only the subnet given";
  ASSERT_TRUE(net_->SetSubnetEgress({}).ok());
  EXPECT_FALSE(routes(b1, "192.0.2.99")) << "the route out withdrawn";

  // The rules and the table go with the bridges.
  ASSERT_TRUE(net_->Detach(Id("b")).ok());
  ASSERT_TRUE(net_->Detach(Id("c")).ok());
  ASSERT_TRUE(net_->RemoveSubnetBridge(two).ok());
  ASSERT_TRUE(net_->RemoveSubnetBridge(two_b).ok());
  EXPECT_EQ(Sh("ip rule show | grep -c 'lookup " + table2 + "'").second, "0\n");
  EXPECT_EQ(Sh("ip route show table " + table2 + " | wc -l").second, "0\n");
  zones = Sh("nft list map inet " + VpcTable() + " zones").second;
  EXPECT_EQ(zones.find(b2), std::string::npos) << zones;
}

TEST(NodeTablesTest, NamedPerDataDirectoryAndZonedPerVpc) {
  EXPECT_EQ(NodeTableName("wharf", "/var/lib/wharf/node"), NodeTableName("wharf", "/var/lib/wharf/node"));
  EXPECT_NE(NodeTableName("wharf", "/var/lib/wharf/node"), NodeTableName("wharf", "/tmp/other/node"));
  EXPECT_EQ(NodeTableName("wharf_vpc", "/x").rfind("wharf_vpc_", 0), 0u);
  EXPECT_EQ(NodeTableName("wharf_vpc", "/x").size(), std::string("wharf_vpc_").size() + 8);
  EXPECT_EQ(NodeNetnsPrefix("/x"), "wharf-" + NodeTableName("wharf_vpc", "/x").substr(10) + "-");
  EXPECT_NE(NodeNetnsPrefix("/var/lib/wharf/node"), NodeNetnsPrefix("/tmp/other/node"));
  EXPECT_NE(VpcConntrackZone("vpc-0a1b2c3d4e5f60718"), 0);
  EXPECT_EQ(VpcConntrackZone("vpc-0a1b2c3d4e5f60718"), VpcConntrackZone("vpc-0a1b2c3d4e5f60718"));
}

TEST_F(NetworkTest, TwoAttachmentsOnOneSubnetPingEachOtherAndTheGateway) {
  Subnet subnet = MakeSubnet(201);
  ScopeGuard guard([&] { CleanUp(subnet); });
  auto a = net_->Attach(Id("a"), subnet, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = net_->Attach(Id("b"), subnet, {});
  ASSERT_TRUE(b.ok()) << b.status().ToString();

  std::string base = subnet.cidr.substr(0, subnet.cidr.rfind('.'));
  EXPECT_EQ(a->gateway, base + ".1");
  EXPECT_EQ(a->prefix_length, 24);
  EXPECT_EQ(a->interface_name, "eth0");
  EXPECT_EQ(a->netns_path, "/run/netns/" + NetnsName(Id("a")));
  EXPECT_NE(a->ip, b->ip);
  EXPECT_EQ(a->ip.substr(0, base.size()), base);
  EXPECT_EQ(a->mac.size(), 17u);

  std::string in_a = "ip netns exec " + NetnsName(Id("a")) + " ";
  auto [rc1, out1] = Sh(in_a + "busybox ping -c1 -W2 " + b->ip);
  EXPECT_EQ(rc1, 0) << out1;
  auto [rc2, out2] = Sh(in_a + "busybox ping -c1 -W2 " + a->gateway);
  EXPECT_EQ(rc2, 0) << out2;
  auto [rc3, out3] = Sh("nsenter --net=" + b->netns_path + " busybox ping -c1 -W2 " + a->ip);
  EXPECT_EQ(rc3, 0) << out3;
  // Loopback is up inside.
  auto [rc4, out4] = Sh(in_a + "busybox ping -c1 -W2 127.0.0.1");
  EXPECT_EQ(rc4, 0) << out4;
  auto [rc5, mac] = Sh(in_a + "cat /sys/class/net/eth0/address");
  EXPECT_EQ(mac.substr(0, 17), a->mac);
}

// A background process inside a namespace, killed when the guard runs.
pid_t StartIn(const std::string& netns, std::vector<std::string> argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> full = {"nsenter", "--net=" + netns};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (auto& s : full) args.push_back(s.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool Eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 50; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(NetworkTest, ServerIsReachableAtItsIpAndThroughTheHostPortAndDetachLeavesNothing) {
  Subnet subnet = MakeSubnet(202);
  std::set<std::string> rules_before = IptablesRules();
  std::string links_before = Sh("ip -o link show type veth | wc -l").second;
  pid_t server = -1;
  std::string www = state_dir_ + "-www";
  ScopeGuard guard([&] {
    if (server > 0) {
      kill(server, SIGKILL);
      waitpid(server, nullptr, 0);
    }
    fs::remove_all(www);
    CleanUp(subnet);
  });
  fs::create_directories(www);
  std::ofstream(www + "/index.html") << "hello from the task\n";

  auto host_port = PickHostPort({});
  ASSERT_TRUE(host_port.ok());
  std::string id = Id("web");
  auto a = net_->Attach(id, subnet, {{*host_port, 8080, "tcp"}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto neighbour = net_->Attach(Id("client"), subnet, {});
  ASSERT_TRUE(neighbour.ok()) << neighbour.status().ToString();

  server = StartIn(a->netns_path, {"busybox", "httpd", "-f", "-p", "8080", "-h", www});
  auto curl = [](const std::string& url) {
    return Sh("curl -sS --max-time 2 " + url);
  };
  std::string direct = "http://" + a->ip + ":8080/";
  ASSERT_TRUE(Eventually([&] { return curl(direct).first == 0; })) << curl(direct).second;
  EXPECT_EQ(curl(direct).second, "hello from the task\n");
  std::string via_port = "http://127.0.0.1:" + std::to_string(*host_port) + "/";
  auto [rc, body] = curl(via_port);
  EXPECT_EQ(rc, 0) << body;
  EXPECT_EQ(body, "hello from the task\n");
  // From another namespace: the neighbour task reaches the host port on the gateway address.
  auto [rc2, body2] = Sh("ip netns exec " + NetnsName(Id("client")) + " curl -sS --max-time 2 http://" +
                         a->gateway + ":" + std::to_string(*host_port) + "/");
  EXPECT_EQ(rc2, 0) << body2;
  EXPECT_EQ(body2, "hello from the task\n");

  std::string lease = state_dir_ + "/ipam/wharf-" + subnet.id + "/" + a->ip;
  EXPECT_TRUE(fs::exists(lease));
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  server = -1;

  ASSERT_TRUE(net_->Detach(id).ok());
  ASSERT_TRUE(net_->Detach(Id("client")).ok());
  EXPECT_FALSE(fs::exists(lease));
  EXPECT_FALSE(fs::exists(a->netns_path));
  EXPECT_EQ(Sh("ip netns list | grep -c " + prefix_).second, "0\n");
  EXPECT_EQ(Sh("ip -o link show master " + subnet.bridge + " | wc -l").second, "0\n");
  EXPECT_EQ(Sh("ip -o link show type veth | wc -l").second, links_before);
  // Nothing per task is left: no rule names the task's address or a per-task portmap chain.
  for (const std::string& l : IptablesRules()) {
    EXPECT_EQ(l.find(a->ip + "/"), std::string::npos) << l;
    EXPECT_EQ(l.find(a->ip + ":"), std::string::npos) << l;
    EXPECT_EQ(l.find("CNI-DN-"), std::string::npos) << l;
  }
  EXPECT_FALSE(curl(via_port).first == 0);
  auto ids = net_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());

  // With the subnet gone too, iptables is as it was (but for portmap's shared chains).
  ASSERT_TRUE(net_->RemoveSubnetBridge(subnet).ok());
  EXPECT_FALSE(fs::exists("/sys/class/net/" + subnet.bridge));
  std::vector<std::string> left = NewRules(rules_before);
  EXPECT_TRUE(left.empty()) << "left behind: " << left.front();
}

TEST_F(NetworkTest, AttachTwiceReturnsTheSameAttachmentAndDetachTwiceSucceeds) {
  Subnet subnet = MakeSubnet(203);
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::string id = Id("again");
  auto first = net_->Attach(id, subnet, {{PickHostPort({}).value(), 80, "tcp"}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // A second Network on the same state dir: what the agent sees after a restart.
  auto restarted = Reopen();
  ASSERT_TRUE(restarted.ok());
  auto second = (*restarted)->Attach(id, subnet, {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->ip, first->ip);
  EXPECT_EQ(second->mac, first->mac);
  EXPECT_EQ(second->netns_path, first->netns_path);
  auto ids = net_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>{id});

  ASSERT_TRUE(net_->Detach(id).ok());
  EXPECT_TRUE(net_->Detach(id).ok());
  EXPECT_TRUE(net_->Detach(Id("never-attached")).ok());
  EXPECT_TRUE(net_->List()->empty());
}

// A VPC ENI's port is named for the egress table's fence (egress.h "ports"), learns no MAC and
// holds its ENI's by a static entry, on a bridge that learns none from link-local frames; a
// port an older agent left with CNI's name gets it when a restarted agent adopts the task.
TEST_F(NetworkTest, AnEnisPortIsNamedAndPinnedAndAnOlderAgentsIsNamedAtAdoption) {
  Subnet subnet = MakeSubnet(213);
  subnet.vpc_id = "vpc-t" + std::to_string(getpid());
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::string id = Id("eni");
  std::string ip = subnet.cidr.substr(0, subnet.cidr.rfind('.')) + ".7";
  auto attached = net_->Attach(id, subnet, {}, ip);
  ASSERT_TRUE(attached.ok()) << attached.status().ToString();
  const std::string port = EniPortName(subnet.bridge, ip);
  EXPECT_NE(Sh("ip -d link show dev " + subnet.bridge).second.find("no_linklocal_learn 1"), std::string::npos);
  EXPECT_NE(Sh("ip -d link show dev " + port).second.find("learning off"), std::string::npos);
  EXPECT_NE(Sh("bridge fdb show br " + subnet.bridge).second.find(EniMac(ip) + " dev " + port + " sticky master " +
                                                                   subnet.bridge + " static"),
            std::string::npos)
      << Sh("bridge fdb show br " + subnet.bridge).second;
  const std::string record_path = state_dir_ + "/attachments/" + id + ".json";
  auto read = [&] {
    std::ifstream in(record_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string record = read();
  ASSERT_NE(record.find("\"" + port + "\""), std::string::npos) << record;

  // What an older agent left: CNI's name on the port and in the record, learning on, no entry.
  const std::string veth = "veth" + std::to_string(getpid() % 100000) + "t";
  ASSERT_EQ(Sh("ip link set dev " + port + " down && ip link set dev " + port + " name " + veth + " && ip link set dev " +
               veth + " type bridge_slave learning on && ip link set dev " + veth + " up && bridge fdb del " + EniMac(ip) +
               " dev " + veth + " master")
                .first,
            0);
  std::string older = record;
  older.replace(older.find("\"" + port + "\""), port.size() + 2, "\"" + veth + "\"");
  std::ofstream(record_path) << older;
  // A restarted agent adopts the task.
  auto restarted = Reopen();
  ASSERT_TRUE(restarted.ok());
  Status adopted = (*restarted)->AdoptEni(id, subnet);
  ASSERT_TRUE(adopted.ok()) << adopted.ToString();
  EXPECT_EQ(Sh("ip link show dev " + port).first, 0) << "renamed";
  EXPECT_NE(Sh("ip link show dev " + veth).first, 0);
  EXPECT_NE(Sh("ip -d link show dev " + port).second.find("learning off"), std::string::npos);
  EXPECT_NE(Sh("bridge fdb show br " + subnet.bridge).second.find(EniMac(ip) + " dev " + port), std::string::npos);
  EXPECT_NE(read().find("\"" + port + "\""), std::string::npos) << "the record names the port";
  EXPECT_EQ(read().find("\"" + veth + "\""), std::string::npos);
  // Renamed by an agent that stopped before saving its record: accepted, and the record says so.
  std::ofstream(record_path) << older;
  adopted = (*restarted)->AdoptEni(id, subnet);
  ASSERT_TRUE(adopted.ok()) << adopted.ToString();
  EXPECT_NE(read().find("\"" + port + "\""), std::string::npos);
  // Adopted again, nothing to do; Attach finds the attachment as it is.
  EXPECT_TRUE((*restarted)->AdoptEni(id, subnet).ok());
  auto again = (*restarted)->Attach(id, subnet, {}, ip);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ip, ip);
  EXPECT_EQ(Sh("ip link show dev " + port).first, 0);
}

// Two agents on one host with subnets of one VPC (each its own state dir, as after a
// restart that knows its subnets only from records): one taking its subnet down leaves the
// VPC's routing table and reply rule, which the other's task still uses; and a subnet taken
// down by one is set up whole again at the other's next attach, though it had it cached.
TEST_F(NetworkTest, ASubnetTakenDownLeavesAnotherAgentsVpcRoutingAndIsSetUpAgainWhole) {
  const std::string pid = std::to_string(getpid());
  const std::string other_dir = state_dir_ + "-other";
  CniOptions options = SecondAgentOptions(other_dir, VpcTable() + "b");
  auto other = Network::Open(options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  char b1[16], b2[16];
  snprintf(b1, sizeof b1, "wt%x-s1", static_cast<unsigned>(getpid()) & 0xffffff);
  snprintf(b2, sizeof b2, "wt%x-s2", static_cast<unsigned>(getpid()) & 0xffffff);
  const std::string n1 = "10.211." + std::to_string(getpid() % 250), n2 = "10.212." + std::to_string(getpid() % 250);
  Subnet s1{"subnet-s1-" + pid, n1 + ".0/24", b1, "vpc-ts-" + pid};
  Subnet s2{"subnet-s2-" + pid, n2 + ".0/24", b2, "vpc-ts-" + pid};
  const std::string table = std::to_string(model::VpcRouteTable(s1.vpc_id));
  ScopeGuard guard([&] {
    (void)net_->Detach(Id("x"));
    (void)(*other)->Detach(Id("y"));
    (void)(*other)->RemoveSubnetBridge(s2);
    (void)(*other)->RemoveSubnetBridge(s1);
    CleanUp(s1);
    fs::remove_all(other_dir);
  });
  auto x = net_->Attach(Id("x"), s1, {}, n1 + ".4");
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  auto y = (*other)->Attach(Id("y"), s2, {}, n2 + ".4");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  auto reply_rules = [&] { return Sh("ip rule show pref 999 | grep -c 'lookup " + table + "$'").second; };
  ASSERT_EQ(reply_rules(), "1\n");

  // X stops idle: its subnet goes, the VPC's table keeps Y's subnet and the reply rule stays.
  ASSERT_TRUE(net_->Detach(Id("x")).ok());
  ASSERT_TRUE(net_->RemoveSubnetBridge(s1).ok());
  EXPECT_EQ(Sh("ip route show table " + table + " | grep -c 'dev " + std::string(b2) + "'").second, "1\n");
  EXPECT_EQ(reply_rules(), "1\n");
  EXPECT_EQ(Sh("ip netns exec " + (*other)->NetnsPath(Id("y")).substr(std::string("/run/netns/").size()) +
               " busybox ping -c1 -W2 " + n2 + ".1").first,
            0);

  // Y takes down S2 with no task on it; X, which had it cached as set up, attaches to it:
  // the bridge comes back with its rules and routing, not bare from CNI.
  ASSERT_TRUE((*other)->Detach(Id("y")).ok());
  ASSERT_TRUE(net_->Attach(Id("x"), s2, {}, n2 + ".5").ok());  // cached in X now
  ASSERT_TRUE(net_->Detach(Id("x")).ok());
  ASSERT_TRUE((*other)->RemoveSubnetBridge(s2).ok());
  EXPECT_EQ(reply_rules(), "0\n") << "the last bridge of the VPC took them";
  auto again = net_->Attach(Id("x"), s2, {}, n2 + ".6");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Sh("iptables -w -t nat -S POSTROUTING | grep -c 'wharf subnet " + s2.id + "\"'").second, "3\n");
  EXPECT_EQ(Sh("ip rule show pref 1000 | grep -c 'iif " + std::string(b2) + " lookup " + table + "'").second, "1\n");
  EXPECT_EQ(reply_rules(), "1\n");
  ASSERT_TRUE(net_->Detach(Id("x")).ok());
  ASSERT_TRUE(net_->RemoveSubnetBridge(s2).ok());
  EXPECT_EQ(reply_rules(), "0\n");
  EXPECT_EQ(Sh("ip route show table " + table + " 2>/dev/null | wc -l").second, "0\n") << "the table is flushed";
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(LockDir(), ec)) << "the subnets' and the VPC's lock files went with them";
}

TEST_F(NetworkTest, AttachAfterItsNamespaceVanishedStartsOverWithoutLeaking) {
  Subnet subnet = MakeSubnet(204);
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::string id = Id("crashed");
  auto first = net_->Attach(id, subnet, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(RemoveNetns(first->netns_path).ok());  // as after a reboot
  auto second = net_->Attach(id, subnet, {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(NetnsExists(second->netns_path));
  // The first lease was released before the new one was taken.
  size_t leases = 0;
  for (const auto& e : fs::directory_iterator(state_dir_ + "/ipam/wharf-" + subnet.id)) {
    if (e.path().filename().string().starts_with("10.")) ++leases;
  }
  EXPECT_EQ(leases, 1u);
}

// Two agents on one host (two nodes, or a test's second server with its node): each lists,
// and so sweeps, only its own namespaces, a namespace of its own without a record included
// (a kill between making it and writing the record must not leak it).
TEST_F(NetworkTest, ListsOnlyItsOwnNamespacesWithOrWithoutARecord) {
  const std::string other_dir = state_dir_ + "-other";
  CniOptions options = SecondAgentOptions(other_dir, VpcTable());
  ASSERT_NE(options.netns_prefix, NodeNetnsPrefix(state_dir_));
  auto other = Network::Open(options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  const std::string mine = Id("mine"), theirs = Id("theirs");
  ScopeGuard guard([&] {
    RemoveNetns(net_->NetnsPath(mine));
    RemoveNetns((*other)->NetnsPath(theirs));
    fs::remove_all(other_dir);
  });
  EXPECT_EQ((*other)->NetnsPath(theirs), "/run/netns/" + NodeNetnsPrefix(other_dir) + theirs);
  ASSERT_TRUE(CreateNetns(net_->NetnsPath(mine)).ok());
  ASSERT_TRUE(CreateNetns((*other)->NetnsPath(theirs)).ok());

  EXPECT_EQ(*net_->List(), std::vector<std::string>{mine});
  EXPECT_EQ(*(*other)->List(), std::vector<std::string>{theirs});
  auto listed = net_->List();
  ASSERT_TRUE(listed.ok());
  for (const auto& id : *listed) ASSERT_TRUE(net_->Detach(id).ok()) << id;  // the agent's sweep
  EXPECT_FALSE(NetnsExists(net_->NetnsPath(mine)));
  EXPECT_TRUE(NetnsExists((*other)->NetnsPath(theirs)));
  EXPECT_TRUE(net_->List()->empty());
  ASSERT_TRUE((*other)->Detach(theirs).ok());
  EXPECT_FALSE(NetnsExists((*other)->NetnsPath(theirs)));
}

// An agent that names its namespaces anew adopts an attachment made under the old name (an
// older agent's "wharf-<id>"): its record names the path, which the task's containers use.
TEST_F(NetworkTest, AnAttachmentMadeUnderAnotherPrefixKeepsItsNamespace) {
  Subnet subnet = MakeSubnet(214);
  ScopeGuard guard([&] { CleanUp(subnet); });
  const std::string id = Id("adopted");
  auto first = net_->Attach(id, subnet, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->netns_path, "/run/netns/" + prefix_ + id);
  auto renamed = Reopen(NodeNetnsPrefix(state_dir_));
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(*(*renamed)->List(), std::vector<std::string>{id});
  auto again = (*renamed)->Attach(id, subnet, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->netns_path, first->netns_path);
  EXPECT_EQ(again->ip, first->ip);
  ASSERT_TRUE((*renamed)->Detach(id).ok());
  EXPECT_FALSE(NetnsExists(first->netns_path));
  EXPECT_TRUE((*renamed)->List()->empty());
}

TEST_F(NetworkTest, RejectsBadInput) {
  Subnet subnet = MakeSubnet(205);
  CniOptions unnamed;  // no prefix: its List would name every namespace on the host
  unnamed.state_dir = state_dir_;
  unnamed.lock_dir = LockDir();
  EXPECT_TRUE(Network::Open(unnamed).status().IsInvalidArgument());
  EXPECT_TRUE(net_->Attach("../x", subnet, {}).status().IsInvalidArgument());
  Subnet long_bridge = subnet;
  long_bridge.bridge = "a-bridge-name-too-long";
  EXPECT_TRUE(net_->Attach(Id("x"), long_bridge, {}).status().IsInvalidArgument());
  Subnet bad_cidr = subnet;
  bad_cidr.cidr = "10.1.2.3/24";
  EXPECT_TRUE(net_->Attach(Id("x"), bad_cidr, {}).status().IsInvalidArgument());
  EXPECT_TRUE(net_->Attach(Id("x"), subnet, {{80, 80, "sctp"}}).status().IsInvalidArgument());
}

// Wraps the real runner and adds up the time spent per program (and CNI verb).
class TimingRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override {
    auto t0 = std::chrono::steady_clock::now();
    auto r = real_.Run(command);
    std::string key = command.argv[0].substr(command.argv[0].rfind('/') + 1);
    if (command.env && command.env->count("CNI_COMMAND")) key += " " + command.env->at("CNI_COMMAND");
    MutexLock lock(mu_);
    auto& [n, ms] = totals_[key];
    ++n;
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  void Print(int cycles) {
    MutexLock lock(mu_);
    for (const auto& [key, v] : totals_) {
      std::printf("[latency]   %-16s %5.1f ms per attach+detach (%d runs in all)\n", key.c_str(),
                  v.second / cycles, v.first);
    }
    totals_.clear();
  }

 private:
  ProcessRunner real_;
  Mutex mu_;
  std::map<std::string, std::pair<int, double>> totals_ GUARDED_BY(mu_);
};

TEST_F(NetworkTest, LatencyOfAttachAndDetach) {
  Subnet subnet = MakeSubnet(206);
  ScopeGuard guard([&] { CleanUp(subnet); });
  TimingRunner timing;
  CniOptions options;
  options.state_dir = state_dir_;
  options.lock_dir = LockDir();
  options.netns_prefix = prefix_;
  options.runner = &timing;
  net_ = std::move(Network::Open(options).value());
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  ASSERT_TRUE(net_->Attach(Id("warm"), subnet, {}).ok());  // bridge and subnet rules
  ASSERT_TRUE(net_->Detach(Id("warm")).ok());
  timing.Print(1);
  for (bool with_ports : {false, true}) {
    std::vector<double> attach, detach;
    for (int i = 0; i < 9; ++i) {
      std::string id = Id("lat" + std::to_string(i));
      std::vector<PortMapping> ports;
      if (with_ports) ports.push_back({PickHostPort({}).value(), 80, "tcp"});
      auto t0 = Clock::now();
      auto a = net_->Attach(id, subnet, ports);
      auto t1 = Clock::now();
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(net_->Detach(id).ok());
      auto t2 = Clock::now();
      attach.push_back(ms(t1 - t0));
      detach.push_back(ms(t2 - t1));
    }
    std::sort(attach.begin(), attach.end());
    std::sort(detach.begin(), detach.end());
    std::printf("[latency] %s: attach p50 %.1f ms max %.1f ms, detach p50 %.1f ms max %.1f ms\n",
                with_ports ? "with a port mapping" : "no ports", attach[4], attach.back(), detach[4],
                detach.back());
    timing.Print(static_cast<int>(attach.size()));
  }
}

TEST_F(NetworkTest, ConcurrentAttachesOnOneSubnetGetDistinctAddresses) {
  Subnet subnet = MakeSubnet(207);
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::vector<Result<NetworkAttachment>> results(6, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = net_->Attach(Id("par" + std::to_string(i)), subnet, {}); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ips;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ips.insert(r->ip);
  }
  EXPECT_EQ(ips.size(), results.size());
  threads.clear();
  std::vector<Status> detached(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { detached[i] = net_->Detach(Id("par" + std::to_string(i))); });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : detached) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(net_->List()->empty());
}

// Without a requested address the node picks one before CNI runs, so that a runner writes a
// container's hostname and /etc/hosts, and creates it, while CNI wires its namespace. Round
// robin as host-local goes: leases are skipped, an address given back is not taken at once.
TEST_F(NetworkTest, APickedAddressIsToldWithTheNamespaceBeforeCniAndTaken) {
  Subnet subnet = MakeSubnet(212);
  ScopeGuard guard([&] { CleanUp(subnet); });
  std::string base = subnet.cidr.substr(0, subnet.cidr.rfind('.'));
  const std::string leases = state_dir_ + "/ipam/wharf-" + subnet.id;
  auto first = net_->Attach(Id("first"), subnet, {});  // the subnet's first: told after CNI
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->ip, base + ".2");
  // A lease the node did not make (another writer of the directory) is skipped.
  { std::ofstream(leases + "/" + base + ".3") << "someone\n"; }

  AttachmentNamespace told;
  bool leased_when_told = true, netns_when_told = false;
  auto second = net_->Attach(Id("second"), subnet, {}, "", [&](const AttachmentNamespace& ns) {
    told = ns;
    leased_when_told = fs::exists(leases + "/" + ns.ip);
    netns_when_told = fs::exists(ns.netns_path);
  });
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(told.ip, base + ".4");
  EXPECT_EQ(second->ip, told.ip);
  EXPECT_FALSE(leased_when_told) << "told after CNI ran";
  EXPECT_TRUE(netns_when_told);
  auto [rc, out] = Sh("busybox ping -c1 -W2 " + second->ip);
  EXPECT_EQ(rc, 0) << out;

  ASSERT_TRUE(net_->Detach(Id("first")).ok());
  auto third = net_->Attach(Id("third"), subnet, {});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->ip, base + ".5") << "an address given back is taken again last";
  fs::remove(leases + "/" + base + ".3");
}

TEST_F(NetworkTest, FirewallPluginRulesGoAwayOnDetach) {
  Subnet subnet = MakeSubnet(208);
  ScopeGuard guard([&] { CleanUp(subnet); });
  CniOptions options;
  options.state_dir = state_dir_;
  options.lock_dir = LockDir();
  options.netns_prefix = prefix_;
  options.firewall_plugin = true;
  net_ = std::move(Network::Open(options).value());
  auto a = net_->Attach(Id("fw"), subnet, {{PickHostPort({}).value(), 80, "tcp"}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  bool seen = false;
  for (const std::string& l : IptablesRules()) seen |= l.find(a->ip + "/32") != std::string::npos;
  EXPECT_TRUE(seen) << "the firewall plugin added no rule for " << a->ip;
  ASSERT_TRUE(net_->Detach(Id("fw")).ok());
  for (const std::string& l : IptablesRules()) EXPECT_EQ(l.find(a->ip + "/"), std::string::npos) << l;
}

TEST(PickHostPort, AvoidsTakenAndBoundPorts) {
  std::set<int> taken;
  for (int i = 0; i < 50; ++i) {
    auto port = PickHostPort(taken);
    ASSERT_TRUE(port.ok());
    EXPECT_GE(*port, 49153);
    EXPECT_LE(*port, 65535);
    EXPECT_FALSE(taken.count(*port));
    taken.insert(*port);
  }
}

// Security groups on real ENIs: three tasks on one bridge (so the filtering of bridged traffic
// is proven too) and the host, with the agent's Firewall on a table of the test's own. A
// dropped connection times out (no refusal comes back); an admitted one connects.
class SecurityGroupsTest : public NetworkTest {
 protected:
  // nc's exit code and how long it took: 0 within the timeout when admitted, 1 after ~1 s
  // when dropped (a refused one would fail at once).
  std::pair<int, double> Connect(const std::string& from_netns, const std::string& ip, int port) {
    auto start = std::chrono::steady_clock::now();
    std::string prefix = from_netns.empty() ? "" : "ip netns exec " + from_netns + " ";
    int rc = Sh(prefix + "timeout 3 busybox nc -w 1 " + ip + " " + std::to_string(port) + " </dev/null").first;
    return {rc, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  }
  bool Admitted(const std::string& from, const std::string& ip, int port) { return Connect(from, ip, port).first == 0; }
  bool Dropped(const std::string& from, const std::string& ip, int port) {
    auto [rc, seconds] = Connect(from, ip, port);
    return rc != 0 && seconds >= 0.9;
  }
};

TEST_F(SecurityGroupsTest, RulesAdmitAndDropAndTheTableGoes) {
  Subnet subnet = MakeSubnet(211);
  std::string table = "wt" + std::to_string(getpid());
  ProcessRunner runner;
  Firewall firewall(runner, table);
  std::vector<pid_t> servers;
  ScopeGuard guard([&] {
    for (pid_t p : servers) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
    Sh("nft delete table inet " + table);
    CleanUp(subnet);
  });
  auto a = net_->Attach(Id("a"), subnet, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = net_->Attach(Id("b"), subnet, {});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = net_->Attach(Id("c"), subnet, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  servers.push_back(StartIn(b->netns_path, {"busybox", "nc", "-ll", "-p", "8080", "-e", "/bin/true"}));
  std::string ns_a = NetnsName(Id("a")), ns_c = NetnsName(Id("c"));
  ASSERT_TRUE(Eventually([&] { return Admitted(ns_a, b->ip, 8080); })) << "the server never answered";

  using model::SecurityGroupRule;
  SecurityGroupRule all_out{"-1", -1, -1, "0.0.0.0/0", "", ""};
  SecurityGroupRule from_a{"tcp", 8080, 8080, "", "sg-a", ""};
  SecurityGroupRule ping_from_a{"icmp", 8, -1, "", "sg-a", ""};
  FirewallPlan plan;
  plan.enis = {{a->ip, a->gateway, {"sg-a"}, subnet.bridge},
               {b->ip, b->gateway, {"sg-b"}, subnet.bridge},
               {c->ip, c->gateway, {"sg-c"}, subnet.bridge}};
  plan.security.groups = {{"sg-a", {}, {all_out}}, {"sg-b", {}, {all_out}}, {"sg-c", {}, {all_out}}};
  ASSERT_TRUE(firewall.Apply(plan).ok());

  // sg-b admits nothing: its neighbours on the bridge and the host are dropped.
  EXPECT_TRUE(Dropped(ns_a, b->ip, 8080));
  EXPECT_TRUE(Dropped("", b->ip, 8080));
  EXPECT_NE(Sh("ip netns exec " + ns_a + " busybox ping -c1 -W1 " + b->ip).first, 0);

  // sg-b admits sg-a's members on 8080 and their pings: a gets in, c does not.
  plan.security.groups[1].ingress = {from_a, ping_from_a};
  plan.security.members["sg-a"] = {{a->ip}, {}};
  ASSERT_TRUE(firewall.Apply(plan).ok());
  EXPECT_TRUE(Admitted(ns_a, b->ip, 8080));
  EXPECT_EQ(Sh("ip netns exec " + ns_a + " busybox ping -c1 -W1 " + b->ip).first, 0);
  EXPECT_TRUE(Dropped(ns_c, b->ip, 8080));
  EXPECT_NE(Sh("ip netns exec " + ns_c + " busybox ping -c1 -W1 " + b->ip).first, 0);
  // Replies pass although sg-a admits nothing in (stateful), and a's gateway stays reachable.
  EXPECT_EQ(Sh("ip netns exec " + ns_a + " busybox ping -c1 -W1 " + a->gateway).first, 0);

  // A load balancer in sg-lb connects from the host with its mark: sg-b admits sg-lb, so the
  // marked connection gets in and an unmarked one from the same host does not.
  plan.security.groups[1].ingress.push_back(SecurityGroupRule{"tcp", 8080, 8080, "", "sg-lb", ""});
  plan.security.members["sg-lb"] = {{}, {0x77000123}};
  ASSERT_TRUE(firewall.Apply(plan).ok());
  auto from_host = [&](uint32_t mark) {
    return Sh("python3 -c \"import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, 36, " +
              std::to_string(mark) + "); s.settimeout(1); s.connect(('" + b->ip + "', 8080))\"")
        .first;
  };
  EXPECT_EQ(from_host(0x77000123), 0);
  EXPECT_NE(from_host(0x77000124), 0);
  EXPECT_TRUE(Dropped("", b->ip, 8080));

  // c joins sg-a: membership alone lets it in.
  plan.enis[2].groups = {"sg-c", "sg-a"};
  plan.security.members["sg-a"] = {{a->ip, c->ip}, {}};
  ASSERT_TRUE(firewall.Apply(plan).ok());
  EXPECT_TRUE(Admitted(ns_c, b->ip, 8080));

  // a leaves sg-a's members: an element change only (one transaction of set element deletes),
  // and a is dropped at once while c still gets in.
  plan.security.members["sg-a"] = {{c->ip}, {}};
  ASSERT_TRUE(firewall.Apply(plan).ok());
  EXPECT_TRUE(Dropped(ns_a, b->ip, 8080));
  EXPECT_TRUE(Admitted(ns_c, b->ip, 8080));
  // The table removed behind the agent's back: the element change fails, the whole table comes back.
  ASSERT_EQ(Sh("nft delete table inet " + table).first, 0);
  plan.security.members["sg-a"] = {{a->ip, c->ip}, {}};
  ASSERT_TRUE(firewall.Apply(plan).ok());
  EXPECT_TRUE(Admitted(ns_a, b->ip, 8080));
  EXPECT_TRUE(Dropped("", b->ip, 8080));

  // a's egress revoked: b would admit it, but it cannot get out.
  plan.security.groups[0].egress.clear();
  ASSERT_TRUE(firewall.Apply(plan).ok());
  EXPECT_TRUE(Dropped(ns_a, b->ip, 8080));

  // No ENIs left: the table goes.
  ASSERT_TRUE(firewall.Apply(FirewallPlan{}).ok());
  EXPECT_NE(Sh("nft list table inet " + table).first, 0);
  EXPECT_TRUE(Admitted(ns_a, b->ip, 8080));
  ASSERT_TRUE(firewall.Remove().ok());  // idempotent
}

}  // namespace
}  // namespace wharf::agent
