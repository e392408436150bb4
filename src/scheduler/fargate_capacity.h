// What a node offers FARGATE tasks, as a pure function of what it registered and what runs on it.
//
// On AWS a FARGATE task runs on capacity AWS owns: no instance of yours fills up, and a
// rolling update at maximumPercent 200 simply gets twice the tasks for a while. wharf runs
// FARGATE tasks on its own nodes, so each node offers them an OVERCOMMITTED pool:
//
//   Fargate CPU    = overcommit x the node's registered CPU units   - what every task on it reserves
//   Fargate memory = overcommit x the node's registered memory (MiB) - what every task on it reserves
//
// "Every task" means the FARGATE and the EC2 tasks the node runs, whatever their cluster: both
// take the same machine. The overcommit is safe because each task keeps its own limits: its
// CPU units become cgroup CPU weights (a share under contention, not a reservation), its
// memory the hard limit of its cgroup; the machine's real memory is what bounds what they
// use, as with containers started by hand. When the pool is short, placement fails with each
// node's RESOURCE:* reason and RunTask answers Fargate's "Capacity is unavailable at this
// time" (src/controlplane/task_placement.cc).
//
// EC2 launch type accounting is NOT affected and stays as strict as ECS's: a container
// instance's remainingResources are its registered resources less the EC2 tasks placed on it
// (model/container_instance.h). FARGATE tasks never appear in them, as on AWS, where they run on no
// container instance of the cluster; so an EC2 task placed after FARGATE tasks still gets the
// whole instance, and the node's total reservations can reach (overcommit + 1) x its size.
#pragma once

#include <cstdint>

#include "scheduler/instance.h"

namespace wharf::scheduler {

// The default of `wharf server --fargate-overcommit`. Seed 001 (a service of 2 tasks of
// 1 vCPU / 3 GB, deployment 100 % / 200 %) peaks at 4 tasks = 4,096 CPU units, twice a
// 2-core node: 2 is the least that lets it roll; 4 leaves room for a second such service or
// standalone tasks beside it.
inline constexpr double kDefaultFargateOvercommit = 4.0;

struct Resources {
  int64_t cpu = 0;     // CPU units
  int64_t memory = 0;  // MiB
};

// `registered` x `overcommit` (rounded down) less `reserved`, per resource: may be negative
// when EC2 tasks took more than the pool (nothing then fits). `overcommit` >= 1.
Resources FargateRemaining(Resources registered, Resources reserved, double overcommit);

// `node` (its identity and attributes; its remaining_* are overwritten) with the Fargate pool
// FargateRemaining gives as its remaining CPU and memory.
Instance FargateNode(Instance node, Resources registered, Resources reserved, double overcommit);

}  // namespace wharf::scheduler
