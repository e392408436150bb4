// A security group rule change reaching 200 running awsvpc tasks in 20 groups (issue 13's
// figure: aim < 1 s). 200 real tasks are too heavy for this 2-core machine shared by six
// builders, so this measures the path a change takes once it is committed, with 200 ENIs the
// bench makes up:
//   1. the server: the store watch wakes the assignment board, which resolves the node's
//      security (controlplane::ResolveNodeSecurity over 200 task records, 20 groups, 2 load
//      balancers) and writes the answer (TaskAssignments::ToJson -> serialize);
//   2. the agent: parses the answer (FromJson), compiles the table (CompileFirewall) and, with
//      root and nft, replaces it in the kernel (`nft -f`, one transaction) in a scratch table
//      `inet wharf_sgbench`, deleted at the end.
// Beside it, the floor: `nft -f` of an empty table (the process and netlink round trip).
// Every group admits the next group's members on 8080 (group references, so a change of one
// group's rule touches every ENI's chain set) and 10.0.0.0/16 on 22; each change flips a rule.
// Then a route change reaching the same 200 ENIs (a NAT gateway route given, then taken back):
// the egress table (agent/network/egress.h) compiled and replaced, scratch table
// `ip wharf_egbench`.
// Prints each step's median of 20 runs. Run as root, under the e2e lock (the scratch tables hook
// the host's forward path for a moment): flock /tmp/wharf-e2e.lock ./build/bench/sg_change_bench
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "agent/network/egress.h"
#include "agent/network/firewall.h"
#include "base/process.h"
#include "controlplane/node_security.h"
#include "model/task_assignment.h"

namespace {
namespace json = boost::json;
using namespace wharf;
using Clock = std::chrono::steady_clock;

constexpr int kTasks = 200;
constexpr int kGroups = 20;
constexpr int kRuns = 20;

std::string Group(int g) {
  char id[32];
  std::snprintf(id, sizeof id, "sg-%017x", 0x100 + g);
  return id;
}

std::string Ip(int t) { return "10.0." + std::to_string(1 + t / 200) + "." + std::to_string(4 + t % 200); }

json::object TaskRecord(int t) {
  std::string ip = Ip(t);
  return json::object{
      {"taskArn", "arn:aws:ecs:us-east-1:000000000000:task/default/" + std::to_string(100000 + t)},
      {"desiredStatus", "RUNNING"},
      {"lastStatus", "RUNNING"},
      {"_wharf", json::object{{"node", "i-bench"},
                              {"networkMode", "awsvpc"},
                              {"taskDefinition", json::object{{"containerDefinitions",
                                                               json::array{json::object{{"name", "app"}}}}}},
                              {"eni", json::object{{"ip", ip}, {"gateway", "10.0.1.1"}, {"subnetId", "subnet-bench"},
                                                   {"cidr", "10.0.0.0/16"}, {"vpcId", "vpc-bench"}}},
                              {"securityGroups", json::array{json::value(Group(t % kGroups))}}}}};
}

json::object GroupRecord(int g, int port) {
  json::array permissions{
      json::object{{"IpProtocol", "tcp"}, {"FromPort", port}, {"ToPort", port},
                   {"UserIdGroupPairs", json::array{json::object{{"GroupId", Group((g + 1) % kGroups)}}}}},
      json::object{{"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22},
                   {"IpRanges", json::array{json::object{{"CidrIp", "10.0.0.0/16"}}}}}};
  return json::object{{"GroupId", Group(g)}, {"VpcId", "vpc-bench"}, {"IpPermissions", std::move(permissions)},
                      {"IpPermissionsEgress", json::array{json::object{
                                                  {"IpProtocol", "-1"},
                                                  {"IpRanges", json::array{json::object{{"CidrIp", "0.0.0.0/0"}}}}}}}};
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  std::vector<json::object> tasks;
  for (int t = 0; t < kTasks; ++t) tasks.push_back(TaskRecord(t));
  std::vector<double> server_ms, agent_parse_ms, compile_ms, nft_ms, floor_ms;
  ProcessRunner runner;
  bool kernel = FindExecutable("nft").ok() && geteuid() == 0;
  agent::Firewall firewall(runner, "wharf_sgbench");
  std::string floor_script = "table inet wharf_sgfloor {}\ndelete table inet wharf_sgfloor\n";
  for (int run = 0; run < kRuns; ++run) {
    std::vector<json::object> groups;
    for (int g = 0; g < kGroups; ++g) groups.push_back(GroupRecord(g, g == 0 ? 8080 + run % 2 : 8080));
    // 1. The server's answer to the node.
    auto t0 = Clock::now();
    model::TaskAssignments answer;
    answer.revision = run + 1;
    for (const auto& task : tasks) answer.assignments.push_back(model::AssignmentOf(model::TaskRecord(task)));
    answer.security = controlplane::ResolveNodeSecurity("i-bench", tasks, groups, {});
    std::string wire = json::serialize(answer.ToJson());
    auto t1 = Clock::now();
    // 2. The agent: parse, plan, compile, apply.
    auto parsed = model::TaskAssignments::FromJson(json::parse(wire).as_object());
    if (!parsed.ok()) {
      std::fprintf(stderr, "parse: %s\n", parsed.status().ToString().c_str());
      return 1;
    }
    agent::FirewallPlan plan;
    plan.security = parsed->security;
    for (const auto& a : parsed->assignments) {
      plan.enis.push_back(agent::FirewallEni{a.eni->ip, a.eni->gateway, a.eni->security_groups, "wh-bench0000"});
    }
    auto t2 = Clock::now();
    auto script = agent::CompileFirewall(plan, "wharf_sgbench");
    auto t3 = Clock::now();
    if (!script.ok()) {
      std::fprintf(stderr, "compile: %s\n", script.status().ToString().c_str());
      return 1;
    }
    server_ms.push_back(Ms(t1 - t0));
    agent_parse_ms.push_back(Ms(t2 - t1));
    compile_ms.push_back(Ms(t3 - t2));
    if (kernel) {
      auto t4 = Clock::now();
      Status applied = firewall.Apply(plan);
      auto t5 = Clock::now();
      if (!applied.ok()) {
        std::fprintf(stderr, "nft: %s\n", applied.ToString().c_str());
        (void)firewall.Remove();
        return 1;
      }
      nft_ms.push_back(Ms(t5 - t4));
      auto t6 = Clock::now();
      (void)runner.Run({{"nft", "-f", "-"}, std::nullopt, floor_script, std::chrono::seconds(10)});
      floor_ms.push_back(Ms(Clock::now() - t6));
    }
    if (run == 0) std::printf("answer %zu bytes, nft script %zu bytes\n", wire.size(), script->size());
  }
  if (kernel) (void)firewall.Remove();
  std::vector<double> egress_compile_ms, egress_nft_ms;
  agent::Egress egress(runner, "wharf_egbench");
  for (int run = 0; run < kRuns; ++run) {
    std::vector<agent::EgressEni> enis;
    for (int t = 0; t < kTasks; ++t) {
      enis.push_back(agent::EgressEni{"wh-bench" + std::to_string(t % 4), Ip(t), run % 2 ? "198.51.100.3" : "", "",
                                      0x76000001});
    }
    auto t0 = Clock::now();
    auto script = agent::CompileEgress(enis, "wharf_egbench");
    egress_compile_ms.push_back(Ms(Clock::now() - t0));
    if (kernel) {
      auto t1 = Clock::now();
      Status applied = egress.Apply(enis);
      egress_nft_ms.push_back(Ms(Clock::now() - t1));
      if (!applied.ok()) {
        std::fprintf(stderr, "nft: %s\n", applied.ToString().c_str());
        break;
      }
    }
  }
  if (kernel) (void)egress.Remove();
  double total = Median(server_ms) + Median(agent_parse_ms) + Median(compile_ms) + (kernel ? Median(nft_ms) : 0);
  std::printf("%d ENIs in %d groups, a rule change, median of %d:\n", kTasks, kGroups, kRuns);
  std::printf("  server: resolve + answer       %8.2f ms\n", Median(server_ms));
  std::printf("  agent: parse + plan            %8.2f ms\n", Median(agent_parse_ms));
  std::printf("  agent: CompileFirewall         %8.2f ms\n", Median(compile_ms));
  if (kernel) {
    std::printf("  agent: nft -f (replace table)  %8.2f ms   floor (empty table) %.2f ms = %.1fx\n", Median(nft_ms),
                Median(floor_ms), Median(nft_ms) / Median(floor_ms));
  } else {
    std::printf("  agent: nft -f                  (skipped: needs root and nft)\n");
  }
  std::printf("  total                          %8.2f ms (aim < 1000 ms; plus the long poll's wake-up and one HTTP answer)\n",
              total);
  std::printf("a route change reaching %d ENIs (egress table), median of %d:\n", kTasks, kRuns);
  std::printf("  agent: CompileEgress           %8.2f ms\n", Median(egress_compile_ms));
  if (kernel && !egress_nft_ms.empty()) {
    std::printf("  agent: nft -f (replace table)  %8.2f ms\n", Median(egress_nft_ms));
  }
  return 0;
}
