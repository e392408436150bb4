// The VPC egress compiler (pure), and Egress's bookkeeping of its routes over a scripted
// `ip`; the kernel's side is test_vpc_egress.py.
#include "agent/network/egress.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "base/fnv1a.h"

namespace wharf::agent {
namespace {

bool Has(const std::string& script, const std::string& text) { return script.find(text) != std::string::npos; }

TEST(EgressTest, MarksSnatAndPublicAddressesPerEni) {
  std::vector<EgressEni> enis{{"wh-aaa", "10.0.1.5", "198.51.100.7", "198.51.100.7", 0x76000001},
                              {"wh-bbb", "10.0.2.5", "198.51.100.3", "", 0x76000001},
                              {"wh-bbb", "10.0.2.6", "", "", 0x76000001}};
  auto script = CompileEgress({enis});
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "\"wh-aaa\" . 10.0.1.5 : 0x7a000001")) << *script;
  EXPECT_TRUE(Has(*script, "\"wh-bbb\" . 10.0.2.5 : 0x7a000002")) << *script;
  EXPECT_FALSE(Has(*script, "10.0.2.6 : ")) << "no outside address: no mark, so it is dropped";
  EXPECT_TRUE(Has(*script, "0x7a000002 : 198.51.100.3")) << *script;
  EXPECT_TRUE(Has(*script, "198.51.100.7 : 10.0.1.5")) << *script;
  EXPECT_TRUE(Has(*script, "198.51.100.7 : 0x76000001")) << *script;
  EXPECT_TRUE(Has(*script, "delete table ip wharf_egress\ntable ip wharf_egress {")) << "replaced whole";
}

TEST(EgressTest, OutsideAddressesAreTrackedInTheirVpcsZone) {
  std::vector<EgressEni> enis{{"wh-aaa", "10.0.1.5", "198.51.100.7", "198.51.100.7", 0x76000001, "", "", 12},
                              {"wh-bbb", "10.0.1.5", "198.51.100.9", "", 0x76000002, "", "", 34},
                              {"wh-bbb", "10.0.1.6", "198.51.100.9", "", 0x76000002, "", "", 34}};
  auto script = CompileEgress({enis});
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "198.51.100.7 : 12, 198.51.100.9 : 34 }")) << "once per address: " << *script;
  EXPECT_TRUE(Has(*script, "hook prerouting priority -299; policy accept;\n    ct zone set ip daddr map @outside_zones"))
      << *script;
  EXPECT_TRUE(Has(*script, "hook output priority -299; policy accept;\n    ct zone set ip daddr map @outside_zones"))
      << *script;
  // Only its own ENIs are SNAT'd; what no table marked is dropped after every table marked its own.
  EXPECT_TRUE(Has(*script, "\"wh-aaa\" . 10.0.1.5, \"wh-bbb\" . 10.0.1.5, \"wh-bbb\" . 10.0.1.6 }")) << *script;
  EXPECT_TRUE(Has(*script, "iifname . ip saddr @enis meta mark & 0xff000000 == 0x7a000000 snat")) << *script;
  EXPECT_TRUE(Has(*script, "priority -19; policy accept;\n    iifname \"wh-*\" oifname != \"wh-*\" meta mark")) << *script;
}

TEST(EgressTest, NoEnisRemovesTheTableAndBadInputIsRefused) {
  auto empty = CompileEgress({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "table ip wharf_egress\ndelete table ip wharf_egress\n"
                    "table bridge wharf_egress\ndelete table bridge wharf_egress\n");
  EXPECT_FALSE(CompileEgress({{{"wh-a\"; drop", "10.0.1.5", "", "", 0}}}).ok());
  EXPECT_FALSE(CompileEgress({{{"wh-a", "10.0.1.5", "1.2.3.4 } ", "", 0}}}).ok());
  EXPECT_FALSE(CompileEgress({{{"wh-a", "10.0.1.5", "", "not-an-ip", 0}}}).ok());
  EXPECT_FALSE(CompileEgress({{{"wh-a", "10.0.1.5", "", "", 0}}, ServerFront{"127.0.0.1; drop", 4566}}).ok());
}

TEST(EgressTest, OnlyEnisWithAWayOutReachTheHostAndTheServersFront) {
  EgressPlan plan{{{"wh-aaa", "10.0.1.5", "198.51.100.7", "", 0x76000001, "10.0.1.1", "10.0.0.2"},
                   {"wh-bbb", "10.0.2.6", "", "", 0x76000001, "10.0.2.1", "10.0.0.2"}},
                  ServerFront{"127.0.0.1", 4566},
                  {0, 41234}};
  auto script = CompileEgress(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "set outside { type ifname . ipv4_addr; elements = { \"wh-aaa\" . 10.0.1.5 } }")) << *script;
  EXPECT_TRUE(Has(*script, "iifname . ip saddr @outside ip daddr 198.18.0.1 tcp dport 443 dnat to 127.0.0.1:4566"))
      << *script;
  EXPECT_TRUE(Has(*script, "iifname \"wh-*\" ip daddr 198.18.0.1 drop")) << "the rest time out: " << *script;
  EXPECT_TRUE(Has(*script, "iifname . ip daddr @services tcp dport { 53, 41234 } accept")) << *script;
  EXPECT_TRUE(Has(*script, "\"wh-bbb\" . 10.0.0.2, \"wh-bbb\" . 10.0.2.1")) << "its bridge's own: " << *script;
  EXPECT_TRUE(Has(*script, "ip daddr 127.0.0.0/8 ct status & dnat == 0 drop")) << *script;
  EXPECT_TRUE(Has(*script, "    drop\n  }")) << "the host's other addresses: " << *script;
  EXPECT_TRUE(Has(*script, "dnat == 0 drop\n    iifname . ip saddr != @enis accept\n    ct state"))
      << "another agent's ENI is its own table's to judge, but not on 127/8: " << *script;
  EXPECT_FALSE(Has(*CompileEgress({plan.enis}), "dnat to 127.0.0.1")) << "no server, no front";
}

// The endpoints the server says admit an ENI are DNAT'd to the server on 443 from that ENI
// only; every other packet to an endpoint's address is dropped; the addresses are local to
// their VPC's routing table.
TEST(EgressTest, AdmittedEndpointsAreRedirectedToTheServer) {
  EgressEni a{"wh-aaa", "10.0.1.5", "", "", 0x76000001, "10.0.1.1", "10.0.0.2"};
  a.endpoints = {"10.0.1.9", "10.0.1.10"};
  a.admitted_endpoints = {"10.0.1.9"};
  a.vpc_route_table = 70000;
  EgressEni b{"wh-bbb", "10.0.2.6", "", "", 0x76000001, "10.0.2.1", "10.0.0.2"};
  b.endpoints = {"10.0.1.9"};
  b.vpc_route_table = 70000;
  EgressPlan plan{{a, b}, ServerFront{"127.0.0.1", 4566}, {}};
  auto script = CompileEgress(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "set endpoint_paths { type ifname . ipv4_addr . ipv4_addr; elements = { \"wh-aaa\" . "
                           "10.0.1.5 . 10.0.1.9 } }"))
      << "only the admitted ENI's path: " << *script;
  EXPECT_TRUE(Has(*script, "set endpoints { type ifname . ipv4_addr; elements = { \"wh-aaa\" . 10.0.1.10, "
                           "\"wh-aaa\" . 10.0.1.9, \"wh-bbb\" . 10.0.1.9 } }"))
      << *script;
  EXPECT_TRUE(Has(*script, "iifname . ip saddr . ip daddr @endpoint_paths tcp dport 443 dnat to 127.0.0.1:4566"))
      << *script;
  EXPECT_TRUE(Has(*script, "ct status & dnat != 0 accept\n    iifname . ip daddr @endpoints drop\n"
                           "    iifname . ip saddr @outside accept"))
      << "not admitted: a timeout even with a way out: " << *script;
  EXPECT_EQ(EndpointRoutes(plan), (std::set<std::string>{"70000 10.0.1.10", "70000 10.0.1.9"}));
  EXPECT_EQ(CompileEndpointRoutes({"70000 10.0.1.9"}, {"70000 10.0.1.10"}),
            "route del local 10.0.1.10/32 dev lo table 70000\n"
            "route replace local 10.0.1.9/32 dev lo table 70000 proto 78\n");
  EXPECT_EQ(CompileEndpointRoutes({"70000 10.0.1.9"}, {"70000 10.0.1.9"}), "");
  EXPECT_EQ(CompileEndpointRoutes({"70000 10.0.1.9"}, {"70000 10.0.1.9"}, /*rewrite=*/true),
            "route replace local 10.0.1.9/32 dev lo table 70000 proto 78\n")
      << "the refresh writes them again";
  plan.enis[0].admitted_endpoints = {"10.0.1.x"};
  EXPECT_FALSE(CompileEgress(plan).ok());
}

// Answers `ip route show` with `kernel`, an `ip -batch` with `batch_exit`; records the batches.
class ScriptedIp final : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& c) override {
    if (std::find(c.argv.begin(), c.argv.end(), "show") != c.argv.end()) return CommandResult{0, kernel, ""};
    if (std::find(c.argv.begin(), c.argv.end(), "-batch") != c.argv.end()) {
      batches.push_back(c.stdin_data);
      return CommandResult{batch_exit, "", batch_exit ? "RTNETLINK answers: No such process" : ""};
    }
    return CommandResult{0, "", ""};  // nft
  }
  std::string kernel;
  int batch_exit = 0;
  std::vector<std::string> batches;
};

TEST(EgressTest, TheFirstApplyRemovesRoutesOfOursNoEniWantsAndOnlyMadeRoutesAreRecorded) {
  if (!FindExecutable("ip").ok() || !FindExecutable("nft").ok()) GTEST_SKIP() << "no ip or nft here";
  EgressEni a{"wh-aaa", "10.0.1.5", "", "", 0x76000001, "10.0.1.1", "10.0.0.2"};
  a.endpoints = {"10.0.1.9"};
  a.vpc_route_table = 70000;
  EgressPlan plan{{a}, ServerFront{"127.0.0.1", 4566}, {}};
  ScriptedIp ip;
  ip.kernel = "local 10.0.1.9 dev lo table 70000 proto 78 scope host \n"
              "local 10.0.1.77 dev lo table 70000 proto 78 scope host \n"
              "local 10.0.2.8 dev lo table 70001 proto 78 scope host \n";  // another VPC's: not ours
  Egress egress(ip, "wharf_egress_test");
  ASSERT_TRUE(egress.Apply(plan).ok());
  ASSERT_EQ(ip.batches.size(), 1u);
  EXPECT_EQ(ip.batches[0], "route del local 10.0.1.77/32 dev lo table 70000\n") << "a leftover goes, the wanted one stays";


  // A route that cannot be made is not recorded: the next Apply tries it again.
  plan.enis[0].endpoints.push_back("10.0.1.10");
  ip.kernel = "local 10.0.1.9 dev lo table 70000 proto 78 scope host \n";
  ip.batch_exit = 2;
  ASSERT_TRUE(egress.Apply(plan).ok());
  ip.batch_exit = 0;
  ASSERT_TRUE(egress.Apply(plan).ok());
  ASSERT_EQ(ip.batches.size(), 3u);
  EXPECT_EQ(ip.batches[2], "route replace local 10.0.1.10/32 dev lo table 70000 proto 78\n");
  ASSERT_TRUE(egress.Apply(plan).ok());
  EXPECT_EQ(ip.batches.size(), 3u) << "made: nothing more to do";
}

TEST(EgressTest, OnlyEnisOnTheirBridgeReachTheHostAtAll) {
  auto script = CompileEgress({{{"wh-aaa", "10.0.1.5", "", "", 0x76000001}}});
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  // Each agent's table claims its own ENIs, the fence comes after every table's claim and drops
  // the rest (a spoofed source), and the claim is gone before the security groups' chains.
  EXPECT_TRUE(Has(*script, "priority -22; policy accept;\n    iifname . ip saddr @enis meta mark set meta mark | 0x00008000\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "priority -21; policy accept;\n    iifname @bridges meta mark & 0x00008000 == 0 drop\n"))
      << *script;
  // Only the bridges this table's ENIs are on: others' ENIs elsewhere are not this table's to judge.
  EXPECT_TRUE(Has(*script, "set bridges { type ifname; elements = { \"wh-aaa\" } }\n")) << *script;
  EXPECT_TRUE(Has(*script, "priority -20; policy accept;\n    iifname != \"wh-*\" accept\n"
                           "    meta mark set meta mark & 0xffff7fff\n"))
      << *script;
}

TEST(EgressTest, EachEniSendsFromItsOwnPortWithItsOwnAddressAndNoIpv6) {
  EXPECT_EQ(EniPortName("wh-c3d4e5f67890", "10.0.1.5").size(), 15u);
  EXPECT_TRUE(EniPortName("wh-c3d4e5f67890", "10.0.1.5").starts_with("wv"));
  // 52 bits of the bridge and the address: the names differ in many digits, not in the
  // 20 bits of a bridge hash alone.
  EXPECT_NE(EniPortName("wh-c3d4e5f67890", "10.0.1.5"), EniPortName("wh-c3d4e5f67890", "10.0.1.6"));
  EXPECT_EQ(EniPortName("wh-a", "10.0.1.5"), "wv" + [] {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%013llx",
                  static_cast<unsigned long long>(Fnv1a64("wh-a/10.0.1.5") & ((uint64_t{1} << 52) - 1)));
    return std::string(hex);
  }());
  EXPECT_EQ(EniMac("10.0.1.5"), "02:77:0a:00:01:05");
  EXPECT_NE(EniPortName("wh-aaa", "10.0.1.5"), EniPortName("wh-bbb", "10.0.1.5")) << "one address in two VPCs";
  auto script = CompileEgress({{{"wh-aaa", "10.0.1.5", "", "", 0x76000001}, {"wh-aaa", "10.0.1.6", "", "", 0x76000001}}});
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  // One element per ENI: (its port, its MAC, its address); the chains are the same for any number.
  EXPECT_TRUE(Has(*script, "table bridge wharf_egress {\n  set ports { type ifname . ether_addr . ipv4_addr; elements = { \"" +
                               EniPortName("wh-aaa", "10.0.1.5") + "\" . 02:77:0a:00:01:05 . 10.0.1.5, \"" +
                               EniPortName("wh-aaa", "10.0.1.6") + "\" . 02:77:0a:00:01:06 . 10.0.1.6 } }\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "priority -203; policy accept;\n"
                           "    ether type ip iifname . ether saddr . ip saddr @ports meta mark set meta mark | 0x00008000\n"
                           "    ether type arp iifname . ether saddr . arp saddr ip @ports iifname . arp saddr ether . "
                           "arp saddr ip @ports meta mark set meta mark | 0x00008000\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "priority -202; policy accept;\n    iifname \"wv*\" ether type ip6 drop\n"
                           "    iifname \"wv*\" meta mark & 0x00008000 == 0 drop\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "priority -201; policy accept;\n    iifname \"wv*\" meta mark set meta mark & 0xffff7fff\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "hook forward priority -202; policy accept;\n    oifname \"wv*\" ether type ip6 drop\n"))
      << *script;
}

// nft as a script: records what it is given, applies nothing.
class RecordingNft final : public CommandRunner {
 public:
  std::vector<std::string> scripts;
  Result<CommandResult> Run(const Command& command) override {
    scripts.push_back(command.stdin_data);
    return CommandResult{0, "", ""};
  }
};

// A table the node removed on purpose (its last VPC ENI gone) is not held: when the watch
// (net/nft_watch.h) names it gone, the agent does not write it back (ForgetGoneTables).
TEST(EgressTest, ATableRemovedOnPurposeIsNotHeldAndStaysGone) {
  if (!FindExecutable("nft").ok()) GTEST_SKIP() << "no nft";
  RecordingNft nft;
  Egress egress(nft, "wharf_egress_test");
  ASSERT_TRUE(egress.Apply({{{"wh-aaa", "10.0.1.5", "", "", 0x76000001}}}).ok());
  EXPECT_TRUE(egress.holds_table());
  ASSERT_TRUE(egress.Apply({}).ok());
  EXPECT_FALSE(egress.holds_table()) << "removed on purpose: not to be written again";
  ASSERT_TRUE(egress.Apply({}).ok());
  EXPECT_EQ(nft.scripts.size(), 2u) << "and the same empty plan runs nothing";
}

TEST(EgressTest, AnEndpointGoneFromItsVpcEndsItsConnectionsOnceTheTableNoLongerDnatsThem) {
  if (!FindExecutable("ip").ok() || !FindExecutable("nft").ok()) GTEST_SKIP() << "no ip or nft here";
  EgressEni a{"wh-aaa", "10.0.1.5", "", "", 0x76000001, "10.0.1.1", "10.0.0.2", 7};
  a.endpoints = {"10.0.1.9", "10.0.1.10"};
  a.admitted_endpoints = {"10.0.1.9"};
  a.vpc_route_table = 70000;
  EgressEni b{"wh-bbb", "10.0.2.6", "", "", 0x76000002, "10.0.2.1", "10.0.0.2", 8};
  b.endpoints = {"10.0.2.9"};
  b.vpc_route_table = 70001;
  EgressPlan plan{{a, b}, ServerFront{"127.0.0.1", 4566}, {}};
  ScriptedIp ip;
  // The flows the fake conntrack holds: each address's, DNAT'd to the server, in each zone.
  const std::vector<std::string> dialled = {"10.0.1.9", "10.0.1.10", "10.0.2.9", "10.0.3.3", "198.18.0.1"};
  std::vector<std::pair<uint16_t, std::string>> ended;
  bool started = false;
  Egress egress(ip, "wharf_egress_test", [&](uint16_t zone, const net::FlowFilter& which) -> Result<int> {
    EXPECT_NE(zone, 0) << "never the host's zone";
    int n = 0;
    for (const std::string& address : dialled) {
      net::ConntrackFlow f;
      f.original_destination.sin_port = htons(443);
      inet_pton(AF_INET, address.c_str(), &f.original_destination.sin_addr);
      f.reply_source.sin_port = htons(4566);
      inet_pton(AF_INET, "127.0.0.1", &f.reply_source.sin_addr);
      if (!which(f)) continue;
      if (started) {
        EXPECT_TRUE(Has(ip.batches.back(), "route del local " + address + "/32 dev lo table 70000\n"))
            << "the route is gone (and the table written) before the flows end";
      }
      ended.emplace_back(zone, address);
      ++n;
    }
    return n;
  });
  ASSERT_TRUE(egress.Apply(plan).ok());
  // Started: what goes to an interface of none of the VPC's endpoints (an endpoint deleted
  // while no agent ran), nor to the server's public address, ends.
  EXPECT_EQ(ended, (std::vector<std::pair<uint16_t, std::string>>{
                       {7, "10.0.2.9"}, {7, "10.0.3.3"}, {8, "10.0.1.9"}, {8, "10.0.1.10"}, {8, "10.0.3.3"}}));
  ended.clear();
  started = true;

  // The endpoint at 10.0.1.9 deleted; VPC 8's ENI left the node with its VPC's endpoint.
  plan.enis = {a};
  plan.enis[0].endpoints = {"10.0.1.10"};
  plan.enis[0].admitted_endpoints = {};
  ASSERT_TRUE(egress.Apply(plan).ok());
  EXPECT_EQ(ended, (std::vector<std::pair<uint16_t, std::string>>{{7, "10.0.1.9"}}))
      << "only the deleted endpoint's, in its VPC's zone: a VPC the node no longer serves keeps its own";
  ASSERT_TRUE(egress.Apply(plan).ok());
  EXPECT_EQ(ended.size(), 1u) << "once";

  EXPECT_EQ(EndpointsGone({{7, "10.0.1.9", ""}, {7, "10.0.1.10", ""}}, plan),
            (std::vector<EndpointFlowKey>{{7, "10.0.1.9", ""}}));
  EXPECT_TRUE(EndpointsGone({{7, "10.0.1.9", ""}}, EgressPlan{}).empty()) << "no ENI of the VPC left: nothing to end";

  // Replaced (Terraform's replace): a new endpoint at the same address is another one.
  plan.enis[0].endpoint_ids = {{"10.0.1.10", "vpce-new"}};
  EXPECT_EQ(EndpointsGone({{7, "10.0.1.10", "vpce-old"}}, plan), (std::vector<EndpointFlowKey>{{7, "10.0.1.10", "vpce-old"}}));
  EXPECT_TRUE(EndpointsGone({{7, "10.0.1.10", "vpce-new"}}, plan).empty());
  // Zone 0 is the host's: never ended.
  plan.enis[0].vpc_zone = 0;
  EXPECT_TRUE(EndpointFlows(plan).empty());
  EXPECT_TRUE(EndpointsGone({{0, "10.0.1.9", ""}}, plan).empty());
  ended.clear();
  plan.enis[0].endpoints = {};
  (void)egress.Apply(plan);
  EXPECT_TRUE(ended.empty()) << "nothing in zone 0";
}

}  // namespace
}  // namespace wharf::agent
