#include "api/ecs/placement_snapshot.h"

#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/task_records.h"
#include "api/json_util.h"

namespace wharf::api::ecs {
namespace json = boost::json;

scheduler::Instance InstanceSnapshot(const json::object& ci, const std::vector<json::object>& tasks) {
  scheduler::Instance s;
  s.arn = GetString(ci, "containerInstanceArn");
  s.id = ShortId(s.arn);
  s.active = GetString(ci, "status") == "ACTIVE";
  for (const auto& a : GetArray(ci, "attributes")) {
    s.attributes[GetString(a.get_object(), "name")] = GetString(a.get_object(), "value");
  }
  s.ec2_instance_id = GetString(ci, "ec2InstanceId");
  s.agent_connected = GetBool(ci, "agentConnected").value_or(true);
  s.agent_version = GetString(GetObject(ci, "versionInfo"), "agentVersion");
  s.registered_at = static_cast<int64_t>(ci.contains("registeredAt") && ci.at("registeredAt").is_number()
                                             ? ci.at("registeredAt").to_number<double>() : 0);
  for (const auto& r : GetArray(ci, "remainingResources")) {
    const json::object& res = r.get_object();
    std::string name = GetString(res, "name");
    if (name == "CPU") s.remaining_cpu = GetInt(res, "integerValue").value_or(0);
    if (name == "MEMORY") s.remaining_memory = GetInt(res, "integerValue").value_or(0);
    if (name == "PORTS") {
      for (const auto& p : GetArray(res, "stringSetValue")) s.used_ports.insert(std::atoi(p.get_string().c_str()));
    }
  }
  for (const auto& task : tasks) {
    if (GetString(GetObject(task, "_wharf"), "containerInstanceId") != s.id || IsStopped(task)) continue;
    s.task_groups.push_back(GetString(task, "group"));
    s.task_definitions.push_back(GetString(task, "taskDefinitionArn"));
  }
  return s;
}

}  // namespace wharf::api::ecs
