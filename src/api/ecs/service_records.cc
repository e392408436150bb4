#include "api/ecs/service_records.h"

#include <boost/json/array.hpp>

#include "api/ecs/common.h"

namespace wharf::api::ecs {
namespace json = boost::json;

std::string ServiceKey(std::string_view cluster, std::string_view name) {
  return ServicesPrefix(cluster) + std::string(name);
}

json::object NewDeployment(const EcsDeps& deps, const json::object& service) {
  std::string id = "ecs-svc/";
  for (int i = 0; i < 19; ++i) id += static_cast<char>('0' + deps.random.Next() % 10);
  double now = NowSeconds(deps);
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

json::object LaunchRequest(const json::object& service, const json::object& deployment,
                           const json::array& task_definition_tags) {
  json::object in{{"cluster", GetString(service, "clusterArn")},
                  {"taskDefinition", GetString(deployment, "taskDefinition")},
                  {"group", "service:" + GetString(service, "serviceName")},
                  {"startedBy", GetString(deployment, "id")}};
  for (const char* field : {"launchType", "capacityProviderStrategy", "networkConfiguration"}) {
    if (Has(deployment, field)) in[field] = deployment.at(field);
  }
  if (GetString(deployment, "launchType") != "FARGATE" && !Has(deployment, "capacityProviderStrategy")) {
    in["placementConstraints"] = GetArray(service, "placementConstraints");
    in["placementStrategy"] = GetArray(service, "placementStrategy");
  }
  std::string propagate = GetString(service, "propagateTags", "NONE");
  if (propagate == "SERVICE") in["tags"] = GetArray(service, "tags");
  if (propagate == "TASK_DEFINITION") in["tags"] = task_definition_tags;
  if (GetBool(service, "enableECSManagedTags").value_or(false)) {
    json::array tags = GetArray(in, "tags");
    tags.push_back(json::object{{"key", "aws:ecs:serviceName"}, {"value", GetString(service, "serviceName")}});
    tags.push_back(json::object{{"key", "aws:ecs:clusterName"}, {"value", ClusterName(GetString(service, "clusterArn"))}});
    in["tags"] = std::move(tags);
  }
  return in;
}

void AddServiceEvent(const EcsDeps& deps, json::object& service, const std::string& message) {
  json::array events{json::object{{"id", RandomUuid(deps.random)}, {"createdAt", NowSeconds(deps)}, {"message", message}}};
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

std::string TargetGroupName(std::string_view arn) {
  size_t at = arn.find(":targetgroup/");
  if (at == std::string_view::npos) return std::string(arn);
  std::string_view rest = arn.substr(at + std::string_view(":targetgroup/").size());
  return std::string(rest.substr(0, rest.find('/')));
}

}  // namespace wharf::api::ecs
