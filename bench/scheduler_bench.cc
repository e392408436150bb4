// Places 10,000 tasks on 1,000 container instances with each placement strategy (and the
// defaults, and a memberOf + distinctInstance mix) and prints how long each Place call took.
// Pure CPU work: no I/O beyond the report.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "scheduler/placement.h"

namespace {

using wharf::scheduler::Constraint;
using wharf::scheduler::Instance;
using wharf::scheduler::Strategy;
using wharf::scheduler::TaskShape;

std::vector<Instance> MakeCluster(int n) {
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  const char* types[] = {"t2.large", "m5.xlarge", "c5.2xlarge"};
  std::vector<Instance> out;
  for (int i = 0; i < n; ++i) {
    Instance in;
    in.id = "ci-" + std::to_string(i);
    in.arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + in.id;
    in.attributes = {{"ecs.availability-zone", zones[i % 3]},
                     {"ecs.instance-type", types[(i / 3) % 3]},
                     {"ecs.os-type", "linux"}};
    in.remaining_cpu = 4096 + (i % 7) * 512;
    in.remaining_memory = 16384 + (i % 5) * 1024;
    in.used_ports = {22, 2375, 2376, 51678, 51679};
    for (int t = 0; t < i % 4; ++t) in.task_groups.push_back("service:web");
    in.task_definitions.resize(in.task_groups.size(), "arn:aws:ecs:us-east-1:0:task-definition/web:1");
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace

int main() {
  const std::vector<Instance> cluster = MakeCluster(1000);
  TaskShape task;
  task.cpu = 128;
  task.memory = 256;
  task.group = "service:web";
  task.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2";
  struct Case {
    const char* name;
    std::vector<Strategy> strategies;
    std::vector<Constraint> constraints;
  };
  const std::vector<Case> cases = {
      {"binpack(memory)", {{"binpack", "memory"}}, {}},
      {"binpack(cpu)", {{"binpack", "cpu"}}, {}},
      {"spread(instanceId)", {{"spread", "instanceId"}}, {}},
      {"spread(attribute:ecs.availability-zone)", {{"spread", "attribute:ecs.availability-zone"}}, {}},
      {"random", {{"random", ""}}, {}},
      {"default (service: spread AZ, instanceId)", {}, {}},
      {"spread(AZ)+binpack(memory), memberOf =~ regex", {{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}},
       {{"memberOf", "attribute:ecs.instance-type =~ (t2|m5).* and attribute:ecs.os-type == linux"}}},
      {"spread(instanceId), memberOf not(task:group == database)", {{"spread", "instanceId"}},
       {{"memberOf", "not(task:group == database)"}}},
  };
  bool all_fast = true;
  for (const auto& c : cases) {
    auto start = std::chrono::steady_clock::now();
    auto plan = wharf::scheduler::Place(cluster, task, 10000, c.constraints, c.strategies, 42);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!plan.ok()) {
      std::printf("%-62s error: %s\n", c.name, plan.status().ToString().c_str());
      return 1;
    }
    std::printf("%-62s %8.1f ms  placed=%zu failures=%zu\n", c.name, ms, plan->instance_arns.size(),
                plan->failures.size());
    if (ms >= 1000) all_fast = false;
  }
  return all_fast ? 0 : 2;
}
