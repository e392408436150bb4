// The documents of the ECS task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4), built
// from the task record and its task definition.
//
// Terms: `task` is the task as DescribeTasks shows it (taskArn, clusterArn, desiredStatus,
// lastStatus, cpu, memory, launchType, availabilityZone, group, pullStartedAt/pullStoppedAt/
// executionStoppedAt in epoch seconds, containers[] with containerArn/runtimeId/imageDigest/
// lastStatus/exitCode/healthStatus/networkBindings, attachments[] with the ENI's details);
// `task_definition` is its task definition (family, revision, networkMode,
// containerDefinitions[]). What only the node knows (container timestamps, bridge
// addresses, health details, the awsvpc subnet's CIDR, clock drift) comes in TaskRuntime.
// Field names, types and timestamp format ("2020-10-02T00:15:07.620912337Z", Go's RFC 3339
// with nanoseconds) are those of the AWS documentation's examples.
//
// Pure functions of their inputs; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/health_check.h"

namespace wharf::agent {

// What the node knows of one container beyond the task record.
struct ContainerFacts {
  std::string name;        // as in the task definition
  std::string runtime_id;  // DockerId; the record's runtimeId when empty
  std::optional<std::chrono::system_clock::time_point> created_at, started_at, finished_at;
  std::vector<std::string> ipv4_addresses;  // bridge mode: the container's own addresses
  std::optional<HealthReport> health;       // containers with a health check
};

// Fargate reports how far the task's clock may be off.
struct ClockDrift {
  double error_bound_ms = 0;
  std::chrono::system_clock::time_point reference;
  bool synchronized = false;
};

struct TaskRuntime {
  std::vector<ContainerFacts> containers;
  // awsvpc: the ENI's address (when the task's attachment does not show it) and its subnet's
  // CIDR, from the task's assignment.
  std::string eni_ip;
  std::string subnet_cidr;
  std::optional<ClockDrift> clock_drift;
};

// "2020-10-02T00:15:07.620912337Z": Go's time.RFC3339Nano, trailing zeros dropped.
std::string MetadataTime(std::chrono::system_clock::time_point t);

// The document at ${ECS_CONTAINER_METADATA_URI_V4}. NotFound when the task has no such container.
Result<boost::json::object> ContainerMetadata(const boost::json::object& task,
                                              const boost::json::object& task_definition,
                                              const TaskRuntime& runtime, const std::string& container_name);

// The document at ${ECS_CONTAINER_METADATA_URI_V4}/task.
boost::json::object TaskMetadata(const boost::json::object& task, const boost::json::object& task_definition,
                                 const TaskRuntime& runtime);

// The clock's state from the kernel (adjtimex), as Fargate's ClockDrift shows it.
ClockDrift ReadClockDrift(Clock& clock);

}  // namespace wharf::agent
