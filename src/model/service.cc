#include "model/service.h"

#include <boost/json/array.hpp>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

json::object NewDeployment(Random& random, double now, const json::object& service) {
  std::string id = "ecs-svc/";
  for (int i = 0; i < 19; ++i) id += static_cast<char>('0' + random.Next() % 10);
  json::object d{{"id", id},
                 {"status", "PRIMARY"},
                 {"taskDefinition", GetString(service, "taskDefinition")},
                 {"desiredCount", GetInt(service, "desiredCount").value_or(0)},
                 {"pendingCount", 0},
                 {"runningCount", 0},
                 {"failedTasks", 0},
                 {"createdAt", now},
                 {"updatedAt", now},
                 {"rolloutState", "IN_PROGRESS"},
                 {"rolloutStateReason", "ECS deployment " + id + " in progress."}};
  for (const char* field : {"launchType", "capacityProviderStrategy", "platformVersion", "platformFamily",
                            "networkConfiguration"}) {
    if (Has(service, field)) d[field] = service.at(field);
  }
  d[kDeploymentLoadBalancers] = GetArray(service, "loadBalancers");
  return d;
}

void AddServiceEvent(Random& random, double now, json::object& service, const std::string& message) {
  json::array events{json::object{{"id", RandomUuid(random)}, {"createdAt", now}, {"message", message}}};
  for (const auto& e : GetArray(service, "events")) {
    if (events.size() == kMaxServiceEvents) break;
    events.push_back(e);
  }
  service["events"] = std::move(events);
}

ServiceControllerState ServiceControllerState::Of(const json::object& service) {
  const json::object& meta = GetObject(service, "_wharf");
  ServiceControllerState s;
  for (const auto& [id, by] : GetObject(meta, "retiring")) {
    if (by.is_string()) s.retiring[std::string(id)] = std::string(by.get_string());
  }
  for (const auto& id : GetArray(meta, "failuresCounted")) {
    if (id.is_string()) s.failures_counted.emplace_back(id.get_string());
  }
  s.steady = GetBool(meta, "steady").value_or(false);
  s.last_completed = GetObject(meta, "lastCompleted");
  const json::object& throttle = GetObject(meta, "throttle");
  s.throttle_deployment = GetString(throttle, "deployment");
  s.throttle_failures = static_cast<int>(GetInt(throttle, "failures").value_or(0));
  if (auto* after = throttle.if_contains("launchAfter"); after && after->is_number()) {
    s.throttle_launch_after = after->to_number<double>();
  }
  return s;
}

void ServiceControllerState::WriteTo(json::object& service, size_t max_failures_remembered) const {
  json::object retiring_json;
  for (const auto& [id, by] : retiring) retiring_json[id] = by;
  json::array counted;
  size_t skip = failures_counted.size() > max_failures_remembered ? failures_counted.size() - max_failures_remembered : 0;
  for (size_t i = skip; i < failures_counted.size(); ++i) counted.emplace_back(failures_counted[i]);
  json::object meta{{"retiring", std::move(retiring_json)},
                    {"failuresCounted", std::move(counted)},
                    {"steady", steady},
                    {"throttle", json::object{{"deployment", throttle_deployment},
                                              {"failures", throttle_failures},
                                              {"launchAfter", throttle_launch_after}}}};
  if (!last_completed.empty()) meta["lastCompleted"] = last_completed;
  service["_wharf"] = std::move(meta);
}

json::object PresentService(const json::object& record, bool with_tags) {
  json::object service = record;
  service.erase("_wharf");
  if (auto* deployments = service.if_contains("deployments"); deployments && deployments->is_array()) {
    for (auto& d : deployments->as_array()) {
      if (d.is_object()) d.as_object().erase(kDeploymentLoadBalancers);
    }
  }
  if (!with_tags) service.erase("tags");
  return service;
}

}  // namespace wharf::model
