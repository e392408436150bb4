// The security group compiler: groups, rules and members -> the nft script (pure). The
// kernel's side is NetworkTest.SecurityGroups* in network_test.cc.
#include "agent/network/firewall.h"

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {

using model::SecurityGroupRule;

SecurityGroupRule Tcp(int from, int to, std::string cidr = "", std::string group = "") {
  SecurityGroupRule r;
  r.protocol = "tcp";
  r.from_port = from;
  r.to_port = to;
  r.cidr = std::move(cidr);
  r.group_id = std::move(group);
  return r;
}

SecurityGroupRule AllTo(std::string cidr) {
  SecurityGroupRule r;
  r.cidr = std::move(cidr);
  return r;
}

bool Has(const std::string& script, const std::string& line) { return script.find(line) != std::string::npos; }

FirewallPlan TwoTasks() {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5", "10.0.1.1", {"sg-web"}, "wh-1"}, {"10.0.1.6", "10.0.1.1", {"sg-app"}, "wh-1"}};
  plan.security.groups = {{"sg-web", {Tcp(80, 80, "", "sg-alb")}, {AllTo("0.0.0.0/0")}},
                          {"sg-app", {Tcp(8080, 8090, "10.0.0.0/16")}, {}}};
  plan.security.members["sg-alb"] = {{"10.0.2.7", "10.0.2.8"}, {0x77000001}};
  return plan;
}

TEST(FirewallCompileTest, EmptyPlanRemovesTheTable) {
  auto script = CompileFirewall(FirewallPlan{}, "wharf");
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(*script, "table inet wharf {}\ndelete table inet wharf\n");
}

TEST(FirewallCompileTest, ReplacesTheTableInOneScript) {
  auto script = CompileFirewall(TwoTasks(), "wharf");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_EQ(script->rfind("table inet wharf {}\ndelete table inet wharf\ntable inet wharf {\n", 0), 0u) << *script;
}

TEST(FirewallCompileTest, RulesByGroupCidrAndPorts) {
  auto script = CompileFirewall(TwoTasks());
  ASSERT_TRUE(script.ok());
  // A group peer: its members' addresses and its load balancers' marks.
  EXPECT_TRUE(Has(*script, "ip saddr @sg_alb_addrs tcp dport 80 accept")) << *script;
  EXPECT_TRUE(Has(*script, "meta mark @sg_alb_marks tcp dport 80 accept")) << *script;
  EXPECT_TRUE(Has(*script, "elements = { 10.0.2.7, 10.0.2.8 }")) << *script;
  EXPECT_TRUE(Has(*script, "elements = { 1996488705 }")) << *script;  // 0x77000001
  // A CIDR and a port range; all traffic anywhere.
  EXPECT_TRUE(Has(*script, "ip saddr 10.0.0.0/16 tcp dport 8080-8090 accept")) << *script;
  EXPECT_TRUE(Has(*script, "chain sg_web_out {\n    meta nfproto ipv4 accept\n  }")) << *script;
  // No egress rule: nothing out.
  EXPECT_TRUE(Has(*script, "chain sg_app_out {\n  }")) << *script;
}

TEST(FirewallCompileTest, ProtocolsAndIcmp) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5", "10.0.1.1", {"sg-a"}, "wh-1"}};
  SecurityGroupRule all_tcp = Tcp(0, 65535, "10.1.0.0/16");
  SecurityGroupRule udp = Tcp(53, 53, "10.2.0.0/16");
  udp.protocol = "udp";
  SecurityGroupRule ping;
  ping.protocol = "icmp";
  ping.from_port = 8;
  ping.to_port = -1;
  ping.cidr = "10.3.0.0/16";
  SecurityGroupRule unreachable = ping;
  unreachable.from_port = 3;
  unreachable.to_port = 4;
  SecurityGroupRule all_icmp = ping;
  all_icmp.from_port = -1;
  SecurityGroupRule gre;
  gre.protocol = "47";
  gre.cidr = "10.4.0.0/16";
  SecurityGroupRule v6 = Tcp(22, 22, "::/0");
  SecurityGroupRule prefix_list = Tcp(22, 22);
  prefix_list.prefix_list_id = "pl-123";
  plan.security.groups = {{"sg-a", {all_tcp, udp, ping, unreachable, all_icmp, gre, v6, prefix_list}, {}}};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "ip saddr 10.1.0.0/16 meta l4proto tcp accept")) << *script;
  EXPECT_TRUE(Has(*script, "ip saddr 10.2.0.0/16 udp dport 53 accept")) << *script;
  EXPECT_TRUE(Has(*script, "ip saddr 10.3.0.0/16 meta l4proto icmp icmp type 8 accept")) << *script;
  EXPECT_TRUE(Has(*script, "ip saddr 10.3.0.0/16 meta l4proto icmp icmp type 3 icmp code 4 accept")) << *script;
  EXPECT_TRUE(Has(*script, "ip saddr 10.3.0.0/16 meta l4proto icmp accept")) << *script;
  EXPECT_TRUE(Has(*script, "ip saddr 10.4.0.0/16 meta l4proto 47 accept")) << *script;
  EXPECT_FALSE(Has(*script, "::/0")) << *script;
  EXPECT_FALSE(Has(*script, "pl-123")) << *script;
}

// Chains per distinct set of groups, not per task: a hundred tasks in the same two groups
// add map elements, not rules.
TEST(FirewallCompileTest, SeveralGroupsAreAUnionAndTasksShareChains) {
  FirewallPlan plan;
  for (int i = 0; i < 100; ++i) {
    plan.enis.push_back({"10.0.1." + std::to_string(i + 2), "10.0.1.1", {"sg-b", "sg-a"}, "wh-1"});
  }
  plan.enis.push_back({"10.0.2.2", "10.0.2.1", {"sg-a"}, "wh-2"});
  plan.security.groups = {{"sg-a", {Tcp(80, 80, "10.0.0.0/8")}, {}}, {"sg-b", {Tcp(443, 443, "10.0.0.0/8")}, {}}};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  // Numbered in the order of the sets of groups: {a} before {a, b}.
  EXPECT_TRUE(Has(*script, "chain eni_1_in {\n    jump sg_a_in\n    jump sg_b_in\n    drop\n  }")) << *script;
  EXPECT_TRUE(Has(*script, "chain eni_0_in {\n    jump sg_a_in\n    drop\n  }")) << *script;
  EXPECT_FALSE(Has(*script, "chain eni_2_in")) << *script;
  EXPECT_TRUE(Has(*script, "10.0.1.101 : jump eni_1_in")) << *script;
  EXPECT_TRUE(Has(*script, "10.0.2.2 : jump eni_0_out")) << *script;
  EXPECT_TRUE(Has(*script, "elements = { 10.0.1.1, 10.0.2.1 }")) << *script;  // the gateways
}

TEST(FirewallCompileTest, StatefulBaseChains) {
  auto script = CompileFirewall(TwoTasks());
  ASSERT_TRUE(script.ok());
  for (const char* chain : {"forward_egress", "forward_ingress", "output_ingress", "input_egress"}) {
    std::string head = std::string("chain ") + chain + " {\n";
    size_t at = script->find(head);
    ASSERT_NE(at, std::string::npos) << chain << "\n" << *script;
    std::string body = script->substr(at, script->find("  }\n", at) - at);
    // Connection tracking as AWS's: every packet of an admitted connection passes early, but
    // for the side of it that is untracked (the bit of its ENI's role in the connection).
    EXPECT_TRUE(Has(body, "ct state related accept\n")) << body;
    bool egress = std::string(chain).ends_with("egress");
    EXPECT_TRUE(Has(body, std::string("ct state established ct direction original ct mark & ") +
                              (egress ? "0x00001000" : "0x00002000") + " == 0 accept\n")) << body;
    EXPECT_TRUE(Has(body, std::string("ct state established ct direction reply ct mark & ") +
                              (egress ? "0x00002000" : "0x00001000") + " == 0 accept\n")) << body;
  }
  EXPECT_TRUE(Has(*script, "type filter hook forward priority -10; policy accept;\n"
                           "    ct state related accept\n"))
      << *script;
  EXPECT_TRUE(Has(*script, "== 0 accept\n    iifname . ip saddr vmap @eni_out")) << *script;
  // The gateway as asked for, not as a redirect made it (a load balancer's interface address).
  EXPECT_TRUE(Has(*script, "ct original ip daddr @gateways accept\n    iifname . ip saddr vmap @eni_out")) << *script;
}

// Egress is matched at the address the task asked for: a connection to a load balancer's
// interface address, redirected on the host to the task's own gateway, meets the rules with
// the load balancer's address (by CIDR or as a member of a group the rule names).
TEST(FirewallCompileTest, EgressMatchesTheOriginalDestination) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5", "10.0.1.1", {"sg-a"}, "wh-1"}};
  SecurityGroupRule to_lb;
  to_lb.protocol = "tcp";
  to_lb.from_port = 80;
  to_lb.to_port = 80;
  to_lb.group_id = "sg-lb";
  plan.security.groups = {{"sg-a", {}, {Tcp(443, 443, "10.0.2.0/24"), to_lb}}};
  plan.security.members["sg-lb"].addresses = {"10.0.1.4"};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  // The port too is the one asked for: a load balancer's or an endpoint's connection is
  // redirected or DNAT'd to another port before the input hook.
  EXPECT_TRUE(Has(*script, "chain sg_a_out {\n    ct original ip daddr 10.0.2.0/24 meta l4proto tcp ct original proto-dst 443 accept\n"
                           "    ct original ip daddr @sg_lb_addrs meta l4proto tcp ct original proto-dst 80 accept\n  }"))
      << *script;
  EXPECT_TRUE(Has(*script, "set sg_lb_addrs {\n    type ipv4_addr\n    elements = { 10.0.1.4 }")) << *script;
}

// AWS leaves a TCP or UDP flow untracked when a 0.0.0.0/0 rule admits it and the other
// direction admits every port of its protocol from anywhere: its first packet flags the
// connection for that ENI's side, so that a revoke stops it at once.
TEST(FirewallCompileTest, UntrackedFlowsAreFlaggedOnTheirFirstPacket) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5", "10.0.1.1", {"sg-web"}, "wh-1"}, {"10.0.1.6", "10.0.1.1", {"sg-app"}, "wh-1"},
               {"10.0.1.7", "10.0.1.1", {"sg-tcp"}, "wh-1"}};
  plan.security.groups = {
      // Web: tcp 80 from anywhere, all egress (a new group's): inbound tcp 80 is untracked.
      {"sg-web", {Tcp(80, 80, "0.0.0.0/0"), Tcp(22, 22, "10.0.0.0/8")}, {AllTo("0.0.0.0/0")}},
      // App: tcp 8080 from anywhere, but egress to the VPC only: tracked.
      {"sg-app", {Tcp(8080, 8080, "0.0.0.0/0")}, {AllTo("10.0.0.0/16")}},
      // All tcp from anywhere both ways: tcp untracked both ways, nothing for udp.
      {"sg-tcp", {Tcp(0, 65535, "0.0.0.0/0")}, {Tcp(0, 65535, "0.0.0.0/0")}}};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  auto chain = [&](const std::string& name) {
    size_t at = script->find("chain " + name + " {\n");
    return at == std::string::npos ? std::string() : script->substr(at, script->find("  }\n", at) - at);
  };
  // Sets sorted: {sg-app} eni_0, {sg-tcp} eni_1, {sg-web} eni_2.
  EXPECT_TRUE(Has(chain("eni_2_in"), "    ct state new meta nfproto ipv4 tcp dport 80 ct mark set ct mark | 0x00002000 accept\n"
                                     "    jump sg_web_in\n")) << chain("eni_2_in");
  EXPECT_FALSE(Has(chain("eni_2_in"), "dport 22 ct mark")) << "10.0.0.0/8 is not anywhere";
  EXPECT_FALSE(Has(chain("eni_2_out"), "ct mark set")) << "no ingress admits all ports from anywhere";
  EXPECT_FALSE(Has(chain("eni_0_in"), "ct mark set")) << chain("eni_0_in");
  EXPECT_TRUE(Has(chain("eni_1_in"), "ct state new meta nfproto ipv4 meta l4proto tcp ct mark set ct mark | 0x00002000 accept"));
  EXPECT_TRUE(Has(chain("eni_1_out"), "ct state new meta nfproto ipv4 meta l4proto tcp ct mark set ct mark | 0x00001000 accept"));
  EXPECT_FALSE(Has(chain("eni_1_in"), "udp")) << chain("eni_1_in");
}

// A group the server did not describe (deleted meanwhile) allows nothing; a referenced group
// with no members is an empty set, not a missing one.
TEST(FirewallCompileTest, UnknownGroupsAllowNothing) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5", "", {"sg-gone"}, "wh-1"}};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok());
  EXPECT_TRUE(Has(*script, "chain eni_0_in {\n    drop\n  }")) << *script;

  plan.security.groups = {{"sg-gone", {Tcp(80, 80, "", "sg-empty")}, {}}};
  script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok());
  EXPECT_TRUE(Has(*script, "set sg_empty_addrs {\n    type ipv4_addr\n  }")) << *script;
}

TEST(FirewallCompileTest, RefusesWhatIsNotAnAddressOrGroup) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.5; flush ruleset", "", {"sg-a"}, "wh-1"}};
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
  plan.enis = {{"10.0.1.5", "", {"sg-a }"}, "wh-1"}};
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
  plan.enis = {{"10.0.1.5", "", {"sg-a"}, "wh-1\" }"}};
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
  plan.enis = {{"10.0.1.5", "", {"sg-a"}, ""}};  // no bridge
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
  plan.enis = {{"10.0.1.5", "", {"sg-a"}, "wh-1"}};
  plan.security.groups = {{"sg-a", {Tcp(80, 80, "10.0.0.0/33")}, {}}};
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
  plan.security.groups = {{"sg-a", {Tcp(80, 80, "", "sg-b")}, {}}};
  plan.security.members["sg-b"] = {{"not-an-ip"}, {}};
  EXPECT_TRUE(CompileFirewall(plan).status().IsInvalidArgument());
}

// Two VPCs on a node may give two ENIs one address: the bridge tells them apart.
TEST(FirewallCompileTest, OneAddressInTwoVpcsIsTwoEnis) {
  FirewallPlan plan;
  plan.enis = {{"10.0.1.4", "10.0.1.1", {"sg-a"}, "wh-vpc1"}, {"10.0.1.4", "10.0.1.1", {"sg-b"}, "wh-vpc2"}};
  auto script = CompileFirewall(plan);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_TRUE(Has(*script, "type ifname . ipv4_addr : verdict")) << *script;
  EXPECT_TRUE(Has(*script, "\"wh-vpc1\" . 10.0.1.4 : jump eni_0_in")) << *script;
  EXPECT_TRUE(Has(*script, "\"wh-vpc2\" . 10.0.1.4 : jump eni_1_in")) << *script;
  EXPECT_TRUE(Has(*script, "oifname . ip daddr vmap @eni_in")) << *script;
}

// A task's ENI joining a set of groups that has its chains, and a group's members changing,
// are element changes: the shape stays, and the changes are one transaction of deletes then
// adds that names nothing else.
TEST(FirewallCompileTest, AnEniJoiningIsElementChangesOnly) {
  FirewallPlan before = TwoTasks();
  FirewallPlan after = TwoTasks();
  after.enis.push_back({"10.0.1.7", "10.0.1.1", {"sg-web"}, "wh-1"});
  after.security.members["sg-alb"].addresses = {"10.0.2.8", "10.0.2.9"};
  auto a = CompileFirewallParts(before), b = CompileFirewallParts(after);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->shape, b->shape);
  EXPECT_NE(a->full, b->full);
  EXPECT_EQ(b->full, *CompileFirewall(after));
  EXPECT_FALSE(Has(b->shape, "elements")) << b->shape;
  EXPECT_EQ(FirewallElementChanges(*a, *b),
            "delete element inet wharf sg_alb_addrs { 10.0.2.7 }\n"
            "add element inet wharf eni_in { \"wh-1\" . 10.0.1.7 : jump eni_1_in }\n"
            "add element inet wharf eni_out { \"wh-1\" . 10.0.1.7 : jump eni_1_out }\n"
            "add element inet wharf sg_alb_addrs { 10.0.2.9 }\n");
  EXPECT_EQ(FirewallElementChanges(*b, *b), "");
  // Leaving again: the reverse.
  EXPECT_EQ(FirewallElementChanges(*b, *a),
            "delete element inet wharf eni_in { \"wh-1\" . 10.0.1.7 }\n"
            "delete element inet wharf eni_out { \"wh-1\" . 10.0.1.7 }\n"
            "delete element inet wharf sg_alb_addrs { 10.0.2.9 }\n"
            "add element inet wharf sg_alb_addrs { 10.0.2.7 }\n");
  // A new set of groups is a new chain: another shape, the whole table.
  FirewallPlan other = TwoTasks();
  other.enis.push_back({"10.0.1.8", "10.0.1.1", {"sg-web", "sg-app"}, "wh-1"});
  auto c = CompileFirewallParts(other);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->shape, c->shape);
}

// A task given a leaving task's address waits for its own entry, not the leaving one's.
TEST(EnforcedEnisTest, KeyedByTaskAndAddress) {
  EnforcedEnis enforced;
  enforced.SetKeys({{"arn:aws:ecs:us-east-1:000000000000:task/default/old", "10.0.1.7"}});
  auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::milliseconds(100); };
  EXPECT_TRUE(enforced.Wait("arn:aws:ecs:us-east-1:000000000000:task/default/old", "10.0.1.7", soon(), nullptr));
  EXPECT_FALSE(enforced.Wait("arn:aws:ecs:us-east-1:000000000000:task/default/new", "10.0.1.7", soon(), nullptr));
}

}  // namespace
}  // namespace wharf::agent
