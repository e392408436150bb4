// Task and container instance records: what the store keeps and what Describe shows.
//
// A task is stored under ecs/tasks/<cluster>/<id> as the Task shape of the ECS model plus a
// "_wharf" object that only the server and the agents see:
//   {"node": <instance id of the node that runs it>, "containerInstanceId": <id> (EC2 only),
//    "taskDefinition": <the TaskDefinition shape it runs>, "networkMode": ...,
//    "eni": {"subnetId", "cidr", "ip", "mac", "gateway"} (awsvpc only),
//    "hostPorts": [fixed host ports it holds]}
// A container instance is stored under ecs/container-instances/<cluster>/<id> as
// {"containerInstance": <ContainerInstance shape, without remaining resources>, "node": <id>}.
// Remaining resources and task counts are computed from the tasks when shown, so a task's
// one write is the whole of its placement.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "api/ecs/ecs.h"
#include "base/status.h"

namespace wharf::api::ecs {

// The host ports ECS reserves on every container instance, as the ECS agent registers them.
inline constexpr int kReservedPorts[] = {22, 2375, 2376, 51678, 51679};

// What a task takes from where it runs.
struct Demand {
  int64_t cpu = 0;     // CPU units
  int64_t memory = 0;  // MiB
  std::vector<int> host_ports;  // fixed, non-zero TCP host ports (bridge and host modes)
};

// Task-level cpu/memory when set (with overrides), else the sum over its containers (memory:
// the hard limit, else the reservation), as ECS counts them for placement.
Demand TaskDemand(const boost::json::object& task_definition, const boost::json::object& overrides);

// "1024" or "1 vCPU" -> CPU units; "512", "0.5 GB" -> MiB. 0 when absent or unreadable.
int64_t CpuUnits(std::string_view text);
int64_t MemoryMiB(std::string_view text);

bool IsStopped(const boost::json::object& task);

// Every task record under `prefix` (TasksPrefix(cluster), or "ecs/tasks/" for all).
Result<std::vector<boost::json::object>> LoadTasks(store::Store& store, std::string_view prefix);
// Every container instance record of a cluster ("" for all clusters).
Result<std::vector<boost::json::object>> LoadContainerInstances(store::Store& store,
                                                                std::string_view cluster);

// The Task shape as DescribeTasks answers it.
boost::json::object PresentTask(const boost::json::object& record);

// The ContainerInstance shape with remainingResources and task counts from `tasks` (the
// cluster's tasks; those on other instances are skipped).
boost::json::object PresentContainerInstance(const boost::json::object& record,
                                             const std::vector<boost::json::object>& tasks);

// Host ports a task holds: fixed ones from placement, dynamic ones its containers reported.
std::vector<int> HostPortsInUse(const boost::json::object& task);

}  // namespace wharf::api::ecs
