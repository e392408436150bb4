// ECS task records: ecs/tasks/<cluster>/<id> holds the Task shape of the ECS model plus a
// "_wharf" object that only the server and the agents see (docs/STATE.md):
//   {"node": <EC2 instance id of the node that runs it>, "containerInstanceId": <id> (EC2),
//    "taskDefinition": <the TaskDefinition shape it runs>, "networkMode": ...,
//    "eni": {subnetId, vpcId, cidr, ip, mac, gateway, eniId, attachmentId} (awsvpc),
//    "hostPorts": [fixed host ports it holds], "securityGroups": [...]}
//
// TaskRecord is the typed view the control plane reasons with: every field name of a task
// record is spelled here. The JSON stays what DescribeTasks shows (less "_wharf"). Pure.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

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

// The IAM roles a task runs with, as ECS decides them: the task's overrides (taskRoleArn,
// executionRoleArn) win over its task definition's. Empty when it has none.
enum class TaskRoleKind { kTask, kExecution };
std::string TaskRoleArn(const boost::json::object& task_definition, const boost::json::object& overrides,
                        TaskRoleKind kind);

// "1024" or "1 vCPU" -> CPU units; "512", "0.5 GB" -> MiB. 0 when absent or unreadable.
int64_t CpuUnits(std::string_view text);
int64_t MemoryMiB(std::string_view text);

// An awsvpc task's interface (its "_wharf.eni").
struct TaskEni {
  std::string subnet_id, cidr, ip, mac, gateway, eni_id, attachment_id;
  std::string vpc_id;  // empty in a record written before the node isolated VPCs
  bool egress = false; // its VPC reaches outside (model::RouteTableRecord::routes_outside)
  std::string dns_server{};  // its VPC's resolver (model::VpcResolverAddress); "": none
  std::string public_ip{};   // assignPublicIp ENABLED: its address from the public pool
};

// A view: `value` must outlive it.
class TaskRecord {
 public:
  explicit TaskRecord(const boost::json::object& value) : value_(value) {}

  const boost::json::object& json() const { return value_; }

  std::string arn() const;
  std::string id() const;  // the last segment of the ARN
  std::string group() const;
  std::string started_by() const;
  std::string last_status() const;
  std::string desired_status() const;
  std::string stop_code() const;
  std::string health_status() const;  // UNKNOWN when not reported
  double started_at() const;          // seconds since the epoch; 0 while not started
  std::string task_definition_arn() const;
  std::string container_instance_arn() const;
  std::string cluster_arn() const;
  std::string launch_type() const;
  std::string stopped_reason() const;
  bool stopped() const;  // lastStatus STOPPED

  // The "_wharf" part.
  std::string node() const;
  std::string container_instance_id() const;  // EC2 launch type only
  std::string network_mode() const;
  const boost::json::object& task_definition() const;
  const boost::json::object& overrides() const;
  std::optional<TaskEni> eni() const;
  std::vector<std::string> security_groups() const;  // awsvpc: the ENI's groups
  Demand demand() const;
  std::string role_arn(TaskRoleKind kind) const;  // TaskRoleArn of its definition and overrides
  bool has_container_health_check() const;
  // Task scale-in protection (UpdateTaskProtection): until when, in seconds since the epoch; 0
  // when none was set. Kept in the server part, as ECS shows it only through GetTaskProtection.
  double protected_until() const;
  // Host ports it holds: fixed ones from placement, dynamic ones its containers reported.
  std::vector<int> host_ports_in_use() const;
  // The host port a container's containerPort is bound to, once reported (bridge mode).
  std::optional<int> host_port(std::string_view container_name, int container_port) const;

 private:
  const boost::json::object& wharf() const;
  const boost::json::object& value_;
};

// The Task shape as DescribeTasks answers it: the record without its "_wharf" part.
boost::json::object PresentTask(const boost::json::object& record);

// A copy of `task` told to stop: desiredStatus STOPPED with ECS's stopCode and reason,
// stoppingAt `now`, its version bumped.
boost::json::object StopRequested(const boost::json::object& task, std::string_view stop_code,
                                  std::string_view reason, double now);

}  // namespace wharf::model
