// The scheduler's view of one ECS container instance: an immutable snapshot taken by the
// controller before placement. Plain values, no behaviour; the scheduler copies what it
// changes while it places (see placement.h).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace wharf::scheduler {

struct Instance {
  std::string arn;  // container instance ARN: what RunTask `failures` name
  std::string id;   // the ARN's last part; what spread(instanceId) tells instances apart by
  // False when DRAINING (or otherwise not ACTIVE): never placed on, never named in failures.
  bool active = true;
  // False when the agent is disconnected: ECS refuses to place there with reason AGENT.
  bool agent_connected = true;
  // name -> value ("" when valueless): ecs.availability-zone, ecs.instance-type, ecs.os-type,
  // ecs.capability.*, custom attributes.
  std::map<std::string, std::string> attributes;
  int64_t remaining_cpu = 0;     // CPU units
  int64_t remaining_memory = 0;  // MiB
  std::set<int> used_ports;      // TCP host ports in use (reserved ports included)
  // One entry per task on the instance (pending or running), in the same order:
  std::vector<std::string> task_groups;       // its group ("service:web", "family:batch")
  std::vector<std::string> task_definitions;  // its task definition ARN
  // Subjects of the cluster query language besides attributes:
  std::string ec2_instance_id;  // ec2InstanceId
  std::string agent_version;    // agentVersion, e.g. "1.68.2"
  int64_t registered_at = 0;    // registeredAt, seconds since the Unix epoch (UTC)
};

}  // namespace wharf::scheduler
