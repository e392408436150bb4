// Task and container instance records as the ECS handlers use them: the record layout and
// the typed views are model/task.h and model/container_instance.h; reading them from the
// store is controlplane/records.h. What is left here is what DescribeTasks shows.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "api/ecs/ecs.h"
#include "base/status.h"
#include "controlplane/records.h"
#include "model/container_instance.h"
#include "model/task.h"

namespace wharf::api::ecs {

using controlplane::LoadContainerInstances;
using model::CpuUnits;
using model::Demand;
using model::kReservedPorts;
using model::MemoryMiB;
using model::PresentContainerInstance;
using model::TaskDemand;

inline bool IsStopped(const boost::json::object& task) { return model::TaskRecord(task).stopped(); }
inline std::vector<int> HostPortsInUse(const boost::json::object& task) {
  return model::TaskRecord(task).host_ports_in_use();
}
// Every task record under `prefix` (TasksPrefix(cluster), or model::keys::kTasks for all).
inline Result<std::vector<boost::json::object>> LoadTasks(store::Store& store, std::string_view prefix) {
  return controlplane::LoadRecords(store, prefix);
}

// The Task shape as DescribeTasks answers it.
boost::json::object PresentTask(const boost::json::object& record);

}  // namespace wharf::api::ecs
