#include "api/ecs/task_records.h"

#include <boost/json/array.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "api/ecs/common.h"
#include "api/json_util.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

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

bool IsStopped(const json::object& task) { return GetString(task, "lastStatus") == "STOPPED"; }

Result<std::vector<json::object>> LoadTasks(store::Store& store, std::string_view prefix) {
  ASSIGN_OR_RETURN(store::Page page, store.List(prefix, "", 0));
  std::vector<json::object> out;
  out.reserve(page.items.size());
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object task, ParseObject(kv.value));
    out.push_back(std::move(task));
  }
  return out;
}

Result<std::vector<json::object>> LoadContainerInstances(store::Store& store, std::string_view cluster) {
  std::string prefix = cluster.empty() ? "ecs/container-instances/" : ContainerInstancesPrefix(cluster);
  return LoadTasks(store, prefix);  // the same: parsed records under a prefix
}

json::object PresentTask(const json::object& record) {
  json::object task = record;
  task.erase("_wharf");
  return task;
}

std::vector<int> HostPortsInUse(const json::object& task) {
  std::set<int> ports;
  for (const auto& p : GetArray(GetObject(task, "_wharf"), "hostPorts")) {
    if (p.is_int64()) ports.insert(static_cast<int>(p.get_int64()));
  }
  for (const auto& c : GetArray(task, "containers")) {
    for (const auto& b : GetArray(c.get_object(), "networkBindings")) {
      if (auto host = GetInt(b.get_object(), "hostPort")) ports.insert(static_cast<int>(*host));
    }
  }
  return {ports.begin(), ports.end()};
}

json::object PresentContainerInstance(const json::object& record, const std::vector<json::object>& tasks) {
  json::object ci = GetObject(record, "containerInstance");
  std::string id = ShortId(GetString(ci, "containerInstanceArn"));
  int64_t cpu_used = 0, memory_used = 0, running = 0, pending = 0;
  std::set<int> ports(std::begin(kReservedPorts), std::end(kReservedPorts));
  for (const auto& task : tasks) {
    if (GetString(GetObject(task, "_wharf"), "containerInstanceId") != id || IsStopped(task)) continue;
    Demand d = TaskDemand(GetObject(GetObject(task, "_wharf"), "taskDefinition"), GetObject(task, "overrides"));
    cpu_used += d.cpu;
    memory_used += d.memory;
    for (int p : HostPortsInUse(task)) ports.insert(p);
    (GetString(task, "lastStatus") == "RUNNING" ? running : pending) += 1;
  }
  json::array remaining;
  for (const auto& r : GetArray(ci, "registeredResources")) {
    json::object res = r.get_object();
    std::string name = GetString(res, "name");
    if (name == "CPU") res["integerValue"] = GetInt(res, "integerValue").value_or(0) - cpu_used;
    if (name == "MEMORY") res["integerValue"] = GetInt(res, "integerValue").value_or(0) - memory_used;
    if (name == "PORTS") {
      json::array set;
      for (int p : ports) set.push_back(json::value(std::to_string(p)));
      res["stringSetValue"] = std::move(set);
    }
    remaining.push_back(std::move(res));
  }
  ci["remainingResources"] = std::move(remaining);
  ci["runningTasksCount"] = running;
  ci["pendingTasksCount"] = pending;
  return ci;
}

}  // namespace wharf::api::ecs
