#include "model/container_instance.h"

#include <boost/json/array.hpp>
#include <set>

#include "model/arn.h"
#include "model/json.h"
#include "model/task.h"

namespace wharf::model {
namespace json = boost::json;

json::object PresentContainerInstance(const json::object& record, const std::vector<json::object>& tasks) {
  json::object ci = GetObject(record, "containerInstance");
  std::string id = ShortId(GetString(ci, "containerInstanceArn"));
  int64_t cpu_used = 0, memory_used = 0, running = 0, pending = 0;
  std::set<int> ports(std::begin(kReservedPorts), std::end(kReservedPorts));
  for (const auto& value : tasks) {
    TaskRecord task(value);
    if (task.container_instance_id() != id || task.stopped()) continue;
    Demand d = task.demand();
    cpu_used += d.cpu;
    memory_used += d.memory;
    for (int p : task.host_ports_in_use()) ports.insert(p);
    (task.last_status() == "RUNNING" ? running : pending) += 1;
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

}  // namespace wharf::model
