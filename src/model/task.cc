#include "model/task.h"

#include <boost/json/array.hpp>
#include <cmath>
#include <cstdlib>
#include <set>

#include "model/arn.h"
#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

// The part of a task record only the server reads (task.h).
constexpr std::string_view kServerPart = "_wharf";

// "2 vCPU" / "0.5 GB" style: the number and the unit after it.
std::pair<double, std::string> NumberAndUnit(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit(end ? end : "");
  unit.erase(0, unit.find_first_not_of(' '));
  for (auto& c : unit) c = static_cast<char>(std::tolower(c));
  return {v, unit};
}

int64_t ContainerMemory(const json::object& c) {
  if (auto m = GetInt(c, "memory")) return *m;
  return GetInt(c, "memoryReservation").value_or(0);
}

const json::object* OverrideFor(const json::object& overrides, std::string_view name) {
  for (const auto& o : GetArray(overrides, "containerOverrides")) {
    if (o.is_object() && GetString(o.get_object(), "name") == name) return &o.get_object();
  }
  return nullptr;
}

std::optional<double> Number(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

}  // namespace

int64_t CpuUnits(std::string_view text) {
  auto [v, unit] = NumberAndUnit(text);
  if (unit == "vcpu") v *= 1024;
  return static_cast<int64_t>(std::llround(v));
}

int64_t MemoryMiB(std::string_view text) {
  auto [v, unit] = NumberAndUnit(text);
  if (unit == "gb") v *= 1024;
  return static_cast<int64_t>(std::llround(v));
}

Demand TaskDemand(const json::object& task_definition, const json::object& overrides) {
  Demand d;
  std::string cpu = GetString(overrides, "cpu", GetString(task_definition, "cpu"));
  std::string memory = GetString(overrides, "memory", GetString(task_definition, "memory"));
  int64_t container_cpu = 0, container_memory = 0;
  std::string mode = GetString(task_definition, "networkMode", "bridge");
  for (const auto& v : GetArray(task_definition, "containerDefinitions")) {
    const json::object& c = v.get_object();
    const json::object* o = OverrideFor(overrides, GetString(c, "name"));
    container_cpu += (o && GetInt(*o, "cpu")) ? *GetInt(*o, "cpu") : GetInt(c, "cpu").value_or(0);
    int64_t mem = ContainerMemory(c);
    if (o && (GetInt(*o, "memory") || GetInt(*o, "memoryReservation"))) mem = ContainerMemory(*o);
    container_memory += mem;
    if (mode == "awsvpc") continue;  // the task's own address: no host port taken
    for (const auto& pm : GetArray(c, "portMappings")) {
      const json::object& p = pm.get_object();
      int64_t host = GetInt(p, "hostPort").value_or(mode == "host" ? GetInt(p, "containerPort").value_or(0) : 0);
      if (host > 0 && GetString(p, "protocol", "tcp") == "tcp") d.host_ports.push_back(static_cast<int>(host));
    }
  }
  d.cpu = cpu.empty() ? container_cpu : CpuUnits(cpu);
  d.memory = memory.empty() ? container_memory : MemoryMiB(memory);
  return d;
}

const json::object& TaskRecord::wharf() const { return GetObject(value_, kServerPart); }

std::string TaskRecord::arn() const { return GetString(value_, "taskArn"); }
std::string TaskRecord::id() const { return ShortId(arn()); }
std::string TaskRecord::group() const { return GetString(value_, "group"); }
std::string TaskRecord::started_by() const { return GetString(value_, "startedBy"); }
std::string TaskRecord::last_status() const { return GetString(value_, "lastStatus"); }
std::string TaskRecord::desired_status() const { return GetString(value_, "desiredStatus"); }
std::string TaskRecord::stop_code() const { return GetString(value_, "stopCode"); }
std::string TaskRecord::health_status() const { return GetString(value_, "healthStatus", "UNKNOWN"); }
double TaskRecord::started_at() const { return Number(value_, "startedAt").value_or(0); }
std::string TaskRecord::task_definition_arn() const { return GetString(value_, "taskDefinitionArn"); }
std::string TaskRecord::container_instance_arn() const { return GetString(value_, "containerInstanceArn"); }
std::string TaskRecord::cluster_arn() const { return GetString(value_, "clusterArn"); }
std::string TaskRecord::launch_type() const { return GetString(value_, "launchType"); }
std::string TaskRecord::stopped_reason() const { return GetString(value_, "stoppedReason"); }
bool TaskRecord::stopped() const { return last_status() == "STOPPED"; }

double TaskRecord::protected_until() const {
  const json::value* v = wharf().if_contains("protectedUntil");
  if (!v) return 0;
  return v->is_double() ? v->get_double() : v->is_int64() ? static_cast<double>(v->get_int64()) : 0;
}

std::string TaskRecord::node() const { return GetString(wharf(), "node"); }
std::string TaskRecord::container_instance_id() const { return GetString(wharf(), "containerInstanceId"); }
std::string TaskRecord::network_mode() const { return GetString(wharf(), "networkMode"); }
const json::object& TaskRecord::task_definition() const { return GetObject(wharf(), "taskDefinition"); }
const json::object& TaskRecord::overrides() const { return GetObject(value_, "overrides"); }

std::optional<TaskEni> TaskRecord::eni() const {
  const json::object& e = GetObject(wharf(), "eni");
  if (GetString(e, "ip").empty()) return std::nullopt;
  return TaskEni{GetString(e, "subnetId"), GetString(e, "cidr"),  GetString(e, "ip"),          GetString(e, "mac"),
                 GetString(e, "gateway"),  GetString(e, "eniId"), GetString(e, "attachmentId"), GetString(e, "vpcId"),
                 GetBool(e, "egress").value_or(false), GetString(e, "dnsServer"), GetString(e, "publicIp")};
}

std::vector<std::string> TaskRecord::security_groups() const {
  std::vector<std::string> out;
  for (const auto& g : GetArray(wharf(), "securityGroups")) {
    if (g.is_string()) out.emplace_back(g.get_string());
  }
  return out;
}

Demand TaskRecord::demand() const { return TaskDemand(task_definition(), overrides()); }

std::string TaskRecord::role_arn(TaskRoleKind kind) const { return TaskRoleArn(task_definition(), overrides(), kind); }

std::string TaskRoleArn(const json::object& task_definition, const json::object& overrides, TaskRoleKind kind) {
  std::string_view field = kind == TaskRoleKind::kTask ? "taskRoleArn" : "executionRoleArn";
  std::string overridden = GetString(overrides, field);
  return overridden.empty() ? GetString(task_definition, field) : overridden;
}

bool TaskRecord::has_container_health_check() const {
  for (const auto& c : GetArray(task_definition(), "containerDefinitions")) {
    if (!GetObject(c.get_object(), "healthCheck").empty()) return true;
  }
  return false;
}

std::vector<int> TaskRecord::host_ports_in_use() const {
  std::set<int> ports;
  for (const auto& p : GetArray(wharf(), "hostPorts")) {
    if (p.is_int64()) ports.insert(static_cast<int>(p.get_int64()));
  }
  for (const auto& c : GetArray(value_, "containers")) {
    for (const auto& b : GetArray(c.get_object(), "networkBindings")) {
      if (auto host = GetInt(b.get_object(), "hostPort")) ports.insert(static_cast<int>(*host));
    }
  }
  return {ports.begin(), ports.end()};
}

std::optional<int> TaskRecord::host_port(std::string_view container_name, int container_port) const {
  for (const auto& c : GetArray(value_, "containers")) {
    if (GetString(c.get_object(), "name") != container_name) continue;
    for (const auto& b : GetArray(c.get_object(), "networkBindings")) {
      if (GetInt(b.get_object(), "containerPort") == container_port) {
        return static_cast<int>(GetInt(b.get_object(), "hostPort").value_or(0));
      }
    }
  }
  return std::nullopt;
}

json::object PresentTask(const json::object& record) {
  json::object task = record;
  task.erase(kServerPart);
  return task;
}

json::object StopRequested(const json::object& task, std::string_view stop_code, std::string_view reason,
                           double now) {
  json::object out = task;
  out["desiredStatus"] = "STOPPED";
  out["stopCode"] = stop_code;
  out["stoppedReason"] = reason;
  out["stoppingAt"] = now;
  out["version"] = GetInt(task, "version").value_or(0) + 1;
  return out;
}

}  // namespace wharf::model
