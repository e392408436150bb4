#include "agent/network/host_rules.h"

#include <vector>

#include "agent/network/network.h"

namespace wharf::agent {
namespace {

struct Rule {
  std::string table;
  std::string chain;
  std::vector<std::string> spec;
};

std::vector<Rule> RulesFor(const Subnet& subnet) {
  std::vector<std::string> tag = {"-m", "comment", "--comment", "wharf subnet " + subnet.id};
  auto with_tag = [&](std::vector<std::string> spec) {
    spec.insert(spec.end() - 2, tag.begin(), tag.end());  // before "-j TARGET"
    return spec;
  };
  return {
      {"nat", "POSTROUTING",
       with_tag({"-s", subnet.cidr, "!", "-d", subnet.cidr, "-j", "MASQUERADE"})},
      {"nat", "POSTROUTING",
       with_tag({"-s", subnet.cidr, "-d", subnet.cidr, "-m", "conntrack", "--ctstate", "DNAT",
                 "-j", "MASQUERADE"})},
      {"filter", "FORWARD", with_tag({"-i", subnet.bridge, "-j", "ACCEPT"})},
      {"filter", "FORWARD", with_tag({"-o", subnet.bridge, "-j", "ACCEPT"})},
  };
}

std::vector<std::string> Iptables(const Rule& rule, const std::string& op) {
  std::vector<std::string> argv = {"iptables", "-w", "-t", rule.table, op, rule.chain};
  argv.insert(argv.end(), rule.spec.begin(), rule.spec.end());
  return argv;
}

}  // namespace

Status EnsureSubnetRules(CommandRunner& runner, const Subnet& subnet) {
  for (const Rule& rule : RulesFor(subnet)) {
    ASSIGN_OR_RETURN(CommandResult check, runner.Run({Iptables(rule, "-C"), std::nullopt, ""}));
    if (check.exit_code == 0) continue;
    // FORWARD rules go first so that they win over a DROP appended by someone else.
    auto added = RunChecked(runner, Iptables(rule, rule.chain == "FORWARD" ? "-I" : "-A"));
    if (!added.ok()) return added.status().WithContext("subnet " + subnet.id);
  }
  return Status::OK();
}

Status RemoveSubnetRules(CommandRunner& runner, const Subnet& subnet) {
  for (const Rule& rule : RulesFor(subnet)) {
    for (int i = 0; i < 16; ++i) {  // bounded: duplicates are possible, endless loops are not
      ASSIGN_OR_RETURN(CommandResult del, runner.Run({Iptables(rule, "-D"), std::nullopt, ""}));
      if (del.exit_code != 0) break;
    }
  }
  return Status::OK();
}

}  // namespace wharf::agent
