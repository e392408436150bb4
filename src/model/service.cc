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

std::string ServiceRevisionId(const json::object& deployment) {
  std::string id = GetString(deployment, "id");
  size_t slash = id.rfind('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

std::string ServiceRevisionIdOfArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

namespace {
// "arn:...:service/<cluster>/<name>" -> "arn:...:<kind>/<cluster>/<name>/<id>"
std::string ServiceChildArn(std::string_view service_arn, std::string_view kind, std::string_view id) {
  std::string arn(service_arn);
  size_t at = arn.find(":service/");
  if (at == std::string::npos) return arn + "/" + std::string(id);
  return arn.substr(0, at + 1) + std::string(kind) + arn.substr(at + 8) + "/" + std::string(id);
}
}  // namespace

std::string ServiceDeploymentArn(std::string_view service_arn, std::string_view id) {
  return ServiceChildArn(service_arn, "service-deployment", id);
}

std::string ServiceRevisionArn(std::string_view service_arn, std::string_view revision_id) {
  return ServiceChildArn(service_arn, "service-revision", revision_id);
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

json::object PresentService(json::object service, bool with_tags) {
  // The current service deployment, and the revisions running now (ECS's summary), read
  // before the internal fields they come from are dropped.
  std::string service_arn = GetString(service, "serviceArn");
  json::array revisions;
  std::string current_deployment;
  if (const auto* deployments = service.if_contains("deployments"); deployments && deployments->is_array()) {
    for (const auto& v : deployments->get_array()) {
      if (!v.is_object()) continue;
      const json::object& d = v.get_object();
      revisions.push_back(json::object{{"arn", ServiceRevisionArn(service_arn, ServiceRevisionId(d))},
                                       {"requestedTaskCount", GetInt(d, "desiredCount").value_or(0)},
                                       {"runningTaskCount", GetInt(d, "runningCount").value_or(0)},
                                       {"pendingTaskCount", GetInt(d, "pendingCount").value_or(0)}});
    }
    const json::array& list = deployments->get_array();
    if (!list.empty() && list[0].is_object()) {
      std::string id = GetString(GetObject(list[0].get_object(), kServiceDeployment), "id");
      if (!id.empty()) current_deployment = ServiceDeploymentArn(service_arn, id);
    }
  }
  service.erase("_wharf");
  service.erase(kServiceDeploymentHistory);
  service.erase(kServiceRevisions);
  if (auto* deployments = service.if_contains("deployments"); deployments && deployments->is_array()) {
    for (auto& d : deployments->as_array()) {
      if (!d.is_object()) continue;
      d.as_object().erase(kDeploymentLoadBalancers);
      d.as_object().erase(kServiceDeployment);
      d.as_object().erase(kDeploymentBlueGreen);
    }
  }
  if (!current_deployment.empty()) service["currentServiceDeployment"] = std::move(current_deployment);
  if (!revisions.empty()) service["currentServiceRevisions"] = std::move(revisions);
  if (!with_tags) service.erase("tags");
  return service;
}

}  // namespace wharf::model
