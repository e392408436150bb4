#include "agent/network/host_rules.h"

#include <vector>

#include "agent/network/network.h"
#include "model/ec2_network.h"

namespace wharf::agent {
namespace {

struct Rule {
  std::string table;
  std::string chain;
  std::vector<std::string> spec;
};

std::vector<std::string> Iptables(const Rule& rule, const std::string& op) {
  std::vector<std::string> argv = {"iptables", "-w", "-t", rule.table, op, rule.chain};
  argv.insert(argv.end(), rule.spec.begin(), rule.spec.end());
  return argv;
}

// A VPC's subnet bridges (model::SubnetBridgeName's "wh-"), in iptables' wildcard.
const std::string kVpcBridges = std::string(model::kSubnetBridgePrefix) + "+";

std::vector<std::string> Tagged(const Subnet& subnet, std::vector<std::string> spec) {
  std::vector<std::string> tag = {"-m", "comment", "--comment", "wharf subnet " + subnet.id};
  spec.insert(spec.end() - 2, tag.begin(), tag.end());  // before "-j TARGET"
  return spec;
}

std::vector<Rule> RulesFor(const Subnet& subnet) {
  std::vector<Rule> rules;
  if (subnet.vpc_id.empty()) {
    rules.push_back({"nat", "POSTROUTING", Tagged(subnet, {"-s", subnet.cidr, "!", "-d", subnet.cidr, "-j", "MASQUERADE"})});
  } else {  // host_rules.h: the VPC's other subnets see the task's own address
    rules.push_back({"nat", "POSTROUTING", Tagged(subnet, {"-s", subnet.cidr, "!", "-d", subnet.cidr, "!", "-o",
                                                            kVpcBridges, "-j", "MASQUERADE"})});
    rules.push_back({"nat", "POSTROUTING", Tagged(subnet, {"-s", subnet.cidr, "!", "-d", subnet.cidr, "-o", kVpcBridges,
                                                            "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"})});
  }
  rules.push_back({"nat", "POSTROUTING", Tagged(subnet, {"-s", subnet.cidr, "-d", subnet.cidr, "-m", "conntrack",
                                                          "--ctstate", "DNAT", "-j", "MASQUERADE"})});
  rules.push_back({"filter", "FORWARD", Tagged(subnet, {"-i", subnet.bridge, "-j", "ACCEPT"})});
  rules.push_back({"filter", "FORWARD", Tagged(subnet, {"-o", subnet.bridge, "-j", "ACCEPT"})});
  return rules;
}

// Rules an older agent made that no longer stand: a VPC subnet's masquerade of everything
// leaving it, its VPC's other subnets included (host_rules.h).
std::vector<Rule> FormerRulesFor(const Subnet& subnet) {
  if (subnet.vpc_id.empty()) return {};
  return {{"nat", "POSTROUTING", Tagged(subnet, {"-s", subnet.cidr, "!", "-d", subnet.cidr, "-j", "MASQUERADE"})}};
}

// Deletes every copy of `rule`.
Status RemoveRule(CommandRunner& runner, const Rule& rule) {
  for (int i = 0; i < 16; ++i) {  // bounded: duplicates are possible, endless loops are not
    ASSIGN_OR_RETURN(CommandResult del, runner.Run({Iptables(rule, "-D"), std::nullopt, ""}));
    if (del.exit_code != 0) break;
  }
  return Status::OK();
}

}  // namespace

Status EnsureSubnetRules(CommandRunner& runner, const Subnet& subnet) {
  for (const Rule& rule : FormerRulesFor(subnet)) RETURN_IF_ERROR(RemoveRule(runner, rule));
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
  for (const Rule& rule : RulesFor(subnet)) RETURN_IF_ERROR(RemoveRule(runner, rule));
  for (const Rule& rule : FormerRulesFor(subnet)) RETURN_IF_ERROR(RemoveRule(runner, rule));
  return Status::OK();
}

}  // namespace wharf::agent
