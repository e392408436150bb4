#include "lb/public_addresses.h"
#include "net/local_routes.h"

#include <gtest/gtest.h>

namespace wharf::lb {
namespace {

Listener Make(uint16_t port, std::vector<std::string> publics) {
  Listener l;
  l.port = port;
  l.public_addresses = std::move(publics);
  return l;
}

TEST(PublicAddressesTest, EachPublicAddressWithItsOwnListenersPortsOnly) {
  auto script = CompilePublicAddresses({Make(80, {"198.51.100.2", "198.51.100.1"}), Make(8443, {"198.51.100.2"}),
                                        Make(9000, {})},
                                       "127.0.0.1", "wharf_lb_us_east_1");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("elements = { 198.51.100.1 . 80, 198.51.100.2 . 80, 198.51.100.2 . 8443 }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("ip daddr . tcp dport @listeners dnat to 127.0.0.1"), std::string::npos);
  EXPECT_NE(script->find("type nat hook output"), std::string::npos);
  EXPECT_NE(script->find("type nat hook prerouting"), std::string::npos);
  // 9000 has no public address: only its port is guarded (it listens at 0.0.0.0 too).
  EXPECT_EQ(script->find(" . 9000"), std::string::npos) << *script;
  EXPECT_NE(script->find("set facing_ports { type inet_service; elements = { 80, 8443, 9000 } }"), std::string::npos)
      << *script;
}

TEST(PublicAddressesTest, NoListenerRemovesTheTableAndAnyBindIsLoopback) {
  auto none = CompilePublicAddresses({}, "127.0.0.1", "t");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "table ip t\ndelete table ip t\n");
  auto any = CompilePublicAddresses({Make(80, {"198.51.100.9"})}, "0.0.0.0", "t");
  ASSERT_TRUE(any.ok());
  EXPECT_NE(any->find("dnat to 127.0.0.1"), std::string::npos);
}

TEST(PublicAddressesTest, RefusesWhatIsNotAnAddressOrATableName) {
  EXPECT_FALSE(CompilePublicAddresses({Make(80, {"198.51.100.1; flush ruleset"})}, "127.0.0.1", "t").ok());
  EXPECT_FALSE(CompilePublicAddresses({Make(80, {"198.51.100.1"})}, "::1", "t").ok());
  EXPECT_FALSE(CompilePublicAddresses({}, "127.0.0.1", "t; x").ok());
  EXPECT_EQ(PublicAddressTable("eu-west-1", "/var/lib/wharf"), PublicAddressTable("eu-west-1", "/var/lib/wharf"));
  EXPECT_EQ(PublicAddressTable("eu-west-1", "/var/lib/wharf").rfind("wharf_lb_eu_west_1_", 0), 0u);
  EXPECT_NE(PublicAddressTable("eu-west-1", "/var/lib/wharf"), PublicAddressTable("eu-west-1", "/tmp/wharf"));
  EXPECT_TRUE(CompilePublicAddresses({}, "127.0.0.1", PublicAddressTable("ap-southeast-2", "/tmp/x")).ok());
}

Listener Internal(uint16_t port, std::vector<std::string> addresses, std::vector<std::string> bridges,
                  std::vector<std::string> sources) {
  Listener l;
  l.port = port;
  l.internal = true;
  l.private_addresses = std::move(addresses);
  l.vpc_bridges = std::move(bridges);
  l.admitted_sources = std::move(sources);
  return l;
}

TEST(PublicAddressesTest, AnInternalListenerIsRedirectedFromItsVpcsBridgesOnly) {
  auto script = CompilePublicAddresses(
      {Internal(8081, {"10.0.1.4", "10.0.2.4"}, {"wh-aaaaaaaaaaaa", "wh-bbbbbbbbbbbb"}, {"10.0.0.0/16"})},
      "127.0.0.1", "t");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("\"wh-aaaaaaaaaaaa\" . 10.0.1.4 . 8081, \"wh-aaaaaaaaaaaa\" . 10.0.2.4 . 8081, "
                         "\"wh-bbbbbbbbbbbb\" . 10.0.1.4 . 8081, \"wh-bbbbbbbbbbbb\" . 10.0.2.4 . 8081 }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("iifname . ip daddr . tcp dport @interfaces redirect"), std::string::npos);
  // The port reached any other way (the host, the bind address, another VPC) is dropped.
  EXPECT_NE(script->find("set internal_ports { type inet_service; elements = { 8081 } }"), std::string::npos);
  EXPECT_NE(script->find("tcp dport @internal_ports ct direction original ct status & dnat == 0 drop"),
            std::string::npos);
  EXPECT_NE(script->find("10.0.1.4 . 8081 . 10.0.0.0/16, 10.0.2.4 . 8081 . 10.0.0.0/16"), std::string::npos);
  // Not reached at public addresses: it has none.
  EXPECT_NE(script->find("set listeners { type ipv4_addr . inet_service; }"), std::string::npos);
}

// An internet-facing load balancer's VPC reaches it at its interfaces' addresses too (as a
// task reaches an ALB's ENIs on AWS); its port is refused elsewhere but at the bind address,
// where it listened before listeners moved to 0.0.0.0.
TEST(PublicAddressesTest, AnInternetFacingListenerIsReachedFromItsVpcToo) {
  Listener l = Internal(8082, {"10.0.1.4"}, {"wh-aaaaaaaaaaaa"}, {"0.0.0.0/0"});
  l.internal = false;
  l.public_addresses = {"198.51.100.1"};
  auto script = CompilePublicAddresses({l}, "127.0.0.1", "t");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("set interfaces { type ifname . ipv4_addr . inet_service; elements = { "
                         "\"wh-aaaaaaaaaaaa\" . 10.0.1.4 . 8082 } }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("elements = { 10.0.1.4 . 8082 . 0.0.0.0/0, 198.51.100.1 . 8082 . 0.0.0.0/0 }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("set internal_ports { type inet_service; }"), std::string::npos);
  EXPECT_NE(script->find("set facing_ports { type inet_service; elements = { 8082 } }"), std::string::npos);
  EXPECT_NE(script->find("tcp dport @facing_ports ct direction original ct status & dnat == 0 ip daddr != 127.0.0.1 "
                         "reject with tcp reset"),
            std::string::npos)
      << *script;
  // Bound to every address: nothing to refuse.
  auto everywhere = CompilePublicAddresses({l}, "0.0.0.0", "t");
  ASSERT_TRUE(everywhere.ok());
  EXPECT_EQ(everywhere->find("@facing_ports ct"), std::string::npos) << *everywhere;
}

// A VPC's task reaches a public address only with a way out: redirected as an interface
// address is, SNAT'd to its outside address, and that address checked against the groups.
TEST(PublicAddressesTest, AVpcsTaskReachesAPublicAddressThroughItsWayOutOnly) {
  Listener l = Make(80, {"198.51.100.1"});
  l.admitted_sources = {"0.0.0.0/0"};
  auto script = CompilePublicAddresses({l}, "127.0.0.1", "t", {"wh-b", "wh-a"},
                                       {{"wh-a", "10.0.1.9", "198.18.0.9"}});
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("set vpc_bridges { type ifname; elements = { \"wh-a\", \"wh-b\" } }"), std::string::npos)
      << *script;
  EXPECT_NE(script->find("map outside { type ifname . ipv4_addr : ipv4_addr; elements = { \"wh-a\" . 10.0.1.9 : "
                         "198.18.0.9 } }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("iifname @vpc_bridges ip daddr . tcp dport @listeners iifname . ip saddr != @way_out drop"),
            std::string::npos);
  EXPECT_NE(script->find("iifname . ip saddr @way_out ip daddr . tcp dport @listeners redirect\n"
                         "    ip daddr . tcp dport @listeners dnat to 127.0.0.1"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("snat to iifname . ip saddr map @outside"), std::string::npos);
  EXPECT_NE(script->find("ct original ip daddr . tcp dport . ip saddr != @admitted drop"), std::string::npos);
  // The bind address is the host's way in, not a VPC's (a routable one included).
  auto routable = CompilePublicAddresses({l}, "192.0.2.10", "t", {"wh-a"});
  ASSERT_TRUE(routable.ok());
  EXPECT_NE(routable->find("iifname @vpc_bridges ip daddr 192.0.2.10 tcp dport @facing_ports drop"), std::string::npos)
      << *routable;
  EXPECT_FALSE(CompilePublicAddresses({l}, "127.0.0.1", "t", {"wh-a\"; flush"}).ok());
  EXPECT_FALSE(CompilePublicAddresses({l}, "127.0.0.1", "t", {}, {{"wh-a", "10.0.1.9", "not an address"}}).ok());
}

TEST(PublicAddressesTest, AdmittedSourcesAreChecked) {
  Listener open = Make(80, {"198.51.100.1"});
  open.admitted_sources = {"0.0.0.0/0", "203.0.113.7", "10.0.0.9/8"};  // nested in the first: one interval
  Listener closed = Make(81, {"198.51.100.1"});
  auto script = CompilePublicAddresses({open, closed}, "127.0.0.1", "t");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("flags interval; elements = { 198.51.100.1 . 80 . 0.0.0.0/0 }"), std::string::npos)
      << *script;
  EXPECT_NE(script->find("ip daddr . tcp dport @listeners ip daddr . tcp dport . ip saddr != @admitted drop"),
            std::string::npos);
  Listener bad = Make(80, {"198.51.100.1"});
  bad.admitted_sources = {"10.0.0.0/33"};
  EXPECT_FALSE(CompilePublicAddresses({bad}, "127.0.0.1", "t").ok());
  EXPECT_FALSE(CompilePublicAddresses({Internal(80, {"10.0.1.4"}, {"wh-x\"; flush"}, {})}, "127.0.0.1", "t").ok());
  // An internal listener without admitted sources still makes the table: its port is guarded.
  auto guarded = CompilePublicAddresses({Internal(82, {"10.0.1.4"}, {"wh-a"}, {})}, "127.0.0.1", "t");
  ASSERT_TRUE(guarded.ok());
  EXPECT_NE(guarded->find("set admitted { type ipv4_addr . inet_service . ipv4_addr; flags interval; }"),
            std::string::npos)
      << *guarded;
}

TEST(PublicAddressesTest, AListenersInterfaceAddressesAreLocalInItsVpcsTableOnly) {
  Listener a = Internal(80, {"10.0.1.4", "10.0.2.4"}, {"wh-a"}, {});
  a.vpc_route_table = 70000;
  Listener b = Internal(81, {"10.0.1.4"}, {"wh-b"}, {});  // another VPC, the same address
  b.vpc_route_table = 70001;
  Listener public_one = Make(82, {"198.51.100.1"});  // no interfaces known: no route
  Listener facing = Internal(83, {"10.0.3.4"}, {"wh-a"}, {});  // internet-facing, its ENI reached as well
  facing.internal = false;
  facing.vpc_route_table = 70000;
  std::set<std::string> routes;
  std::string script = CompileLocalRoutes({a, b, public_one, facing}, {"70000 10.0.9.4"}, routes);
  EXPECT_EQ(script,
            "route del local 10.0.9.4/32 dev lo table 70000\n"
            "route replace local 10.0.1.4/32 dev lo table 70000 proto 77\n"
            "route replace local 10.0.2.4/32 dev lo table 70000 proto 77\n"
            "route replace local 10.0.3.4/32 dev lo table 70000 proto 77\n"
            "route replace local 10.0.1.4/32 dev lo table 70001 proto 77\n");
  EXPECT_EQ(routes, (std::set<std::string>{"70000 10.0.1.4", "70000 10.0.2.4", "70000 10.0.3.4", "70001 10.0.1.4"}));
  EXPECT_EQ(CompileLocalRoutes({public_one}, {}, routes), "");
}

}  // namespace
}  // namespace wharf::lb

namespace wharf::lb {
namespace {

// nft as a script: refuses while `refuse` is set, records every script it is given.
class ScriptedNft final : public CommandRunner {
 public:
  bool refuse = false;
  std::vector<std::string> scripts;
  std::vector<std::string> ip_runs;  // each `ip` run's arguments and script
  Result<CommandResult> Run(const Command& command) override {
    if (!command.argv.empty() && command.argv[0].ends_with("/ip")) {
      std::string run;
      for (const std::string& a : command.argv) run += a + " ";
      ip_runs.push_back(run + "\n" + command.stdin_data);
      return CommandResult{0, "", ""};
    }
    if (command.argv.empty() || !command.argv[0].ends_with("nft")) return CommandResult{0, "", ""};
    scripts.push_back(command.stdin_data);
    return CommandResult{refuse ? 1 : 0, "", refuse ? "Error: busy" : ""};
  }
};

Config WithPorts(std::vector<uint16_t> ports) {
  Config config;
  for (uint16_t p : ports) config.listeners.push_back(Make(p, {"198.51.100.4"}));
  return config;
}

// Only ports a table in force surely holds may listen at every address: none before the
// first table applies, those the old and the refused plan share after a refusal, which is
// tried again on the next call (reported once) until it applies.
// A killed server's local routes (ours by their proto, in a VPC's table) are found after a
// restart; others' tables (main, local, small numbers) are not ours to touch.
TEST(PublicAddressesTest, LocalRoutesOfAKilledServerAreFound) {
  EXPECT_EQ(net::ParseLocalRoutes("local 10.0.1.4 table 70000 proto 77 scope host \n"
                             "local 10.0.9.4 table 1048575 proto 77 scope host\n"
                             "local 127.0.0.1 table local proto kernel scope host src 127.0.0.1\n"
                             "local 10.0.2.4 table 100 proto 77 scope host\n"
                             "local 10.0.3.4 table 2000000 proto 77 scope host\n"
                             "broadcast 127.255.255.255 table local proto kernel\n"),
            (std::set<std::string>{"70000 10.0.1.4", "1048575 10.0.9.4"}));
  EXPECT_TRUE(net::ParseLocalRoutes("").empty());
}

TEST(PublicAddressesTest, FilteredPortsAreThoseOfTheTableInForceAndARefusalIsRetried) {
  if (!FindExecutable("nft").ok()) GTEST_SKIP() << "no nft";
  ScriptedNft nft;
  PublicAddresses table(nft, "127.0.0.1", "wharf_lb_test_00000000");
  nft.refuse = true;
  EXPECT_FALSE(table.Apply(WithPorts({8080})).ok());
  EXPECT_TRUE(table.filtered_ports().empty());
  EXPECT_TRUE(table.Apply(WithPorts({8080})).ok());  // tried again, reported once
  EXPECT_EQ(nft.scripts.size(), 2u);
  EXPECT_TRUE(table.filtered_ports().empty());
  nft.refuse = false;
  ASSERT_TRUE(table.Apply(WithPorts({8080})).ok());
  EXPECT_EQ(table.filtered_ports(), (std::set<uint16_t>{8080}));
  ASSERT_TRUE(table.Apply(WithPorts({8080})).ok());  // the same plan: no nft run
  EXPECT_EQ(nft.scripts.size(), 3u);
  nft.refuse = true;
  EXPECT_FALSE(table.Apply(WithPorts({8080, 8081})).ok());
  EXPECT_EQ(table.filtered_ports(), (std::set<uint16_t>{8080}));
  EXPECT_FALSE(table.Apply(WithPorts({8081})).ok());  // a new plan is reported
  EXPECT_TRUE(table.filtered_ports().empty());  // 8080 may be gone from the table in force
  nft.refuse = false;
  ASSERT_TRUE(table.Remove().ok());
  EXPECT_TRUE(table.filtered_ports().empty());
}

// A table someone else removed (Forget): no port stays filtered while writing it again is
// refused, and Remove still deletes the table though no plan is in force.
TEST(PublicAddressesTest, AForgottenTableFiltersNoPortUntilWrittenAgain) {
  if (!FindExecutable("nft").ok()) GTEST_SKIP() << "no nft";
  ScriptedNft nft;
  PublicAddresses table(nft, "127.0.0.1", "wharf_lb_test_00000000");
  ASSERT_TRUE(table.Apply(WithPorts({8080})).ok());
  EXPECT_EQ(table.filtered_ports(), (std::set<uint16_t>{8080}));
  table.Forget();
  EXPECT_TRUE(table.filtered_ports().empty());
  nft.refuse = true;
  EXPECT_FALSE(table.Apply(WithPorts({8080})).ok());  // the same plan runs again
  EXPECT_EQ(nft.scripts.size(), 2u);
  EXPECT_TRUE(table.filtered_ports().empty());
  nft.refuse = false;
  ASSERT_TRUE(table.Remove().ok());
  ASSERT_EQ(nft.scripts.size(), 3u);
  EXPECT_NE(nft.scripts.back().find("delete table ip wharf_lb_test_00000000"), std::string::npos);
}

// A server of the API alone (no node on this host) never touches the VPCs' routing tables:
// not to sweep routes it did not make (another server's, at the same default VPC's table), not
// to add its own. One that serves VPCs here does both.
TEST(PublicAddressesTest, OnlyAServerOfVpcsHereWritesLocalRoutes) {
  if (!FindExecutable("nft").ok() || !FindExecutable("ip").ok()) GTEST_SKIP() << "no nft or ip";
  Config config = WithPorts({8080});
  config.listeners[0].vpc_route_table = 70000;
  config.listeners[0].private_addresses = {"10.0.1.4"};
  for (bool vpc_routes : {false, true}) {
    ScriptedNft nft;
    PublicAddresses table(nft, "127.0.0.1", "wharf_lb_test_00000000", vpc_routes);
    ASSERT_TRUE(table.Apply(config).ok());
    EXPECT_EQ(nft.ip_runs.size(), vpc_routes ? 2u : 0u) << vpc_routes;  // the sweep's show, the batch
    if (vpc_routes) {
      EXPECT_NE(nft.ip_runs.back().find("route replace local 10.0.1.4/32 dev lo table 70000 proto 77"),
                std::string::npos);
    }
  }
}

}  // namespace
}  // namespace wharf::lb
