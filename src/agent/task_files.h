// The pieces of a task's containers that come from the task rather than the image: the
// container definition with RunTask's overrides applied, /etc/hosts, /etc/hostname and
// /etc/resolv.conf written per container (as Docker writes them), task volumes, and the
// environment ECS adds. Pure functions over values, except the file writing in TaskMounts.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "agent/runtime/oci_spec.h"
#include "base/status.h"

namespace wharf::agent {

// command, environment (merged by name), cpu, memory and memoryReservation from the
// task's containerOverrides entry for this container.
boost::json::object WithOverrides(const boost::json::object& container_definition,
                                  const boost::json::object& task_overrides);

// The Linux bridge of a VPC subnet on every node: "wh-" and the id's last 12 characters.
std::string BridgeNameFor(const std::string& subnet_id);

// The hostname: the definition's, else the awsvpc form "ip-10-0-0-4", else the task id's
// first 12 characters (as Docker uses a container id's).
std::string HostnameFor(const boost::json::object& container_definition, const std::string& task_id,
                        const std::string& ip);

// AWS_REGION, AWS_DEFAULT_REGION and AWS_EXECUTION_ENV as ECS sets them.
std::vector<std::string> TaskEnvironment(const std::string& region, const std::string& launch_type);

struct ContainerFiles {
  std::string task_dir;     // tasks/<id>
  std::string name;         // the container's name
  std::string hostname;
  std::string ip;           // its address ("" in host mode)
  std::string network_mode;
  std::map<std::string, std::string> addresses;  // every container of the task -> its address
  // The nameservers of its resolv.conf (an awsvpc task's VPC resolver); empty: the host's.
  std::vector<std::string> dns_servers;
};

// Writes the container's hosts, hostname and resolv.conf under task_dir/containers/<name>/etc
// and returns the mounts for them and for its mountPoints (host volumes by sourcePath,
// task-scoped volumes under task_dir/volumes/<name>), volumesFrom included.
Result<std::vector<Mount>> TaskMounts(const ContainerFiles& files, const boost::json::object& task_definition,
                                      const boost::json::object& container_definition);

}  // namespace wharf::agent
