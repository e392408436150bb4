#include "scheduler/fargate_capacity.h"

#include <cassert>
#include <cmath>
#include <utility>

namespace wharf::scheduler {

namespace {

int64_t Overcommitted(int64_t registered, double overcommit) {
  return static_cast<int64_t>(std::floor(static_cast<double>(registered) * overcommit));
}

}  // namespace

Resources FargateRemaining(Resources registered, Resources reserved, double overcommit) {
  assert(overcommit >= 1.0);  // the flag is checked where it is read
  return Resources{Overcommitted(registered.cpu, overcommit) - reserved.cpu,
                   Overcommitted(registered.memory, overcommit) - reserved.memory};
}

Instance FargateNode(Instance node, Resources registered, Resources reserved, double overcommit) {
  Resources remaining = FargateRemaining(registered, reserved, overcommit);
  node.remaining_cpu = remaining.cpu;
  node.remaining_memory = remaining.memory;
  return node;
}

}  // namespace wharf::scheduler
