// The exact iptables arguments of a subnet's host rules (host_rules.h), against a fake runner.
#include "agent/network/host_rules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "agent/network/network.h"

namespace wharf::agent {
namespace {

// Answers every `-C` (check) with "missing" and every `-D` with "deleted" once per rule, so
// that each call shows up once.
class RecordingIptables final : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override {
    calls.push_back(command.argv);
    if (command.argv.size() > 4 && command.argv[4] == "-D") {
      const bool again = deleted.count(Join(command.argv)) > 0;
      deleted.insert(Join(command.argv));
      return CommandResult{again ? 1 : 0, "", ""};
    }
    return CommandResult{command.argv.size() > 4 && command.argv[4] == "-C" ? 1 : 0, "", ""};
  }
  // The calls with iptables operation `op` (or `or_op`), in order.
  std::vector<std::vector<std::string>> With(const std::string& op, const std::string& or_op = "") const {
    std::vector<std::vector<std::string>> out;
    for (const auto& argv : calls) {
      if (argv.size() > 4 && (argv[4] == op || argv[4] == or_op)) out.push_back(argv);
    }
    return out;
  }
  std::vector<std::vector<std::string>> calls;
  std::set<std::string> deleted;

 private:
  static std::string Join(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += a + " ";
    return s;
  }
};

using Argv = std::vector<std::string>;
const Argv kTag = {"-m", "comment", "--comment", "wharf subnet subnet-1"};

Argv Rule(Argv head, const Argv& spec, const Argv& target) {
  head.insert(head.end(), spec.begin(), spec.end());
  head.insert(head.end(), kTag.begin(), kTag.end());
  head.insert(head.end(), target.begin(), target.end());
  return head;
}

TEST(HostRulesTest, ABridgeSubnetMasqueradesAllThatLeavesIt) {
  RecordingIptables iptables;
  Subnet subnet{"subnet-1", "10.9.1.0/24", "wharf0", ""};
  ASSERT_TRUE(EnsureSubnetRules(iptables, subnet).ok());
  const Argv nat = {"iptables", "-w", "-t", "nat", "-A", "POSTROUTING"};
  const Argv filter = {"iptables", "-w", "-t", "filter", "-I", "FORWARD"};  // first: ahead of a DROP
  EXPECT_EQ(iptables.With("-A", "-I"),
            (std::vector<Argv>{
                Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24"}, {"-j", "MASQUERADE"}),
                Rule(nat, {"-s", "10.9.1.0/24", "-d", "10.9.1.0/24", "-m", "conntrack", "--ctstate", "DNAT"},
                     {"-j", "MASQUERADE"}),
                Rule(filter, {"-i", "wharf0"}, {"-j", "ACCEPT"}),
                Rule(filter, {"-o", "wharf0"}, {"-j", "ACCEPT"}),
            }));
  EXPECT_TRUE(iptables.With("-D").empty());  // no former rules for a bridge subnet
}

TEST(HostRulesTest, AVpcSubnetLeavesItsVpcsBridgesOutButDnatAndDropsTheFormerRule) {
  RecordingIptables iptables;
  Subnet subnet{"subnet-1", "10.9.1.0/24", "wh-1", "vpc-1"};
  ASSERT_TRUE(EnsureSubnetRules(iptables, subnet).ok());
  const Argv nat = {"iptables", "-w", "-t", "nat", "-A", "POSTROUTING"};
  const Argv filter = {"iptables", "-w", "-t", "filter", "-I", "FORWARD"};  // first: ahead of a DROP
  const Argv former = Rule({"iptables", "-w", "-t", "nat", "-D", "POSTROUTING"},
                           {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24"}, {"-j", "MASQUERADE"});
  // The older agent's rule goes first, every copy (here one: the second -D fails).
  ASSERT_GE(iptables.calls.size(), 2u);
  EXPECT_EQ(iptables.calls[0], former);
  EXPECT_EQ(iptables.calls[1], former);
  EXPECT_EQ(iptables.With("-A", "-I"),
            (std::vector<Argv>{
                Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24", "!", "-o", "wh-+"}, {"-j", "MASQUERADE"}),
                Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24", "-o", "wh-+", "-m", "conntrack", "--ctstate", "DNAT"},
                     {"-j", "MASQUERADE"}),
                Rule(nat, {"-s", "10.9.1.0/24", "-d", "10.9.1.0/24", "-m", "conntrack", "--ctstate", "DNAT"},
                     {"-j", "MASQUERADE"}),
                Rule(filter, {"-i", "wh-1"}, {"-j", "ACCEPT"}),
                Rule(filter, {"-o", "wh-1"}, {"-j", "ACCEPT"}),
            }));
}

TEST(HostRulesTest, RemovalDeletesTheRulesAndTheFormerOne) {
  RecordingIptables iptables;
  Subnet subnet{"subnet-1", "10.9.1.0/24", "wh-1", "vpc-1"};
  ASSERT_TRUE(RemoveSubnetRules(iptables, subnet).ok());
  std::set<Argv> deleted;
  for (Argv argv : iptables.With("-D")) deleted.insert(argv);
  const Argv nat = {"iptables", "-w", "-t", "nat", "-D", "POSTROUTING"};
  const Argv filter = {"iptables", "-w", "-t", "filter", "-D", "FORWARD"};
  EXPECT_EQ(deleted, (std::set<Argv>{
                         Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24", "!", "-o", "wh-+"}, {"-j", "MASQUERADE"}),
                         Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24", "-o", "wh-+", "-m", "conntrack",
                                    "--ctstate", "DNAT"},
                              {"-j", "MASQUERADE"}),
                         Rule(nat, {"-s", "10.9.1.0/24", "-d", "10.9.1.0/24", "-m", "conntrack", "--ctstate", "DNAT"},
                              {"-j", "MASQUERADE"}),
                         Rule(filter, {"-i", "wh-1"}, {"-j", "ACCEPT"}),
                         Rule(filter, {"-o", "wh-1"}, {"-j", "ACCEPT"}),
                         Rule(nat, {"-s", "10.9.1.0/24", "!", "-d", "10.9.1.0/24"}, {"-j", "MASQUERADE"}),
                     }));
}

}  // namespace
}  // namespace wharf::agent
