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
