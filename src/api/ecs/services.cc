// Services: CreateService, UpdateService, DeleteService, DescribeServices, ListServices.
//
// The handlers only record what the user wants (desired count, deployments); the service
// controller (service_controller.h) makes it so on the leader. A change that needs new tasks
// (a task definition, network configuration or forceNewDeployment) starts a new PRIMARY
// deployment; the previous one becomes ACTIVE and is scaled down as the new one comes up.
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <memory>
#include <set>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "api/ecs/service_records.h"
#include "api/ecs/task_launch.h"
#include "controlplane/blue_green.h"
#include "controlplane/service_controller.h"
#include "controlplane/service_deployments.h"
#include "controlplane/service_registries.h"
#include "api/ecs/task_records.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

AwsError ServiceNotFound() { return AwsError::Client("ServiceNotFoundException", "Service not found."); }
AwsError ServiceNotActive() { return AwsError::Client("ServiceNotActiveException", "Service was not ACTIVE."); }

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::optional<AwsError> CheckUnsupported(const json::object& in) {
  if (Has(in, "deploymentController")) {
    std::string type = GetString(GetObject(in, "deploymentController"), "type", "ECS");
    if (type != "ECS") {
      return InvalidParameter("deploymentController type " + type +
                              " is not supported by wharf: only ECS (rolling update) deployments.");
    }
  }
  if (GetBool(GetObject(in, "serviceConnectConfiguration"), "enabled").value_or(false)) {
    return InvalidParameter("Service Connect is not supported by wharf: use serviceRegistries (AWS Cloud Map "
                            "service discovery) to find the service's tasks.");
  }
  if (!GetArray(in, "volumeConfigurations").empty()) return InvalidParameter("volumeConfigurations (Amazon EBS volumes) are not supported by wharf.");
  if (!GetArray(in, "vpcLatticeConfigurations").empty()) return InvalidParameter("VPC Lattice is not supported by wharf.");
  if (GetBool(in, "enableExecuteCommand").value_or(false)) return InvalidParameter("enableExecuteCommand is not supported by wharf.");
  const json::object& config = GetObject(in, "deploymentConfiguration");
  if (std::string strategy = GetString(config, "strategy", "ROLLING"); strategy != "ROLLING" && strategy != "BLUE_GREEN") {
    return InvalidParameter("deployment strategy " + strategy + " is not supported by wharf: only ROLLING and BLUE_GREEN.");
  }
  for (const char* field : {"linearConfiguration", "canaryConfiguration"}) {
    if (Has(config, field)) return InvalidParameter(std::string(field) + " is not supported by wharf: only ROLLING and BLUE_GREEN deployments.");
  }
  // Lambda hooks need AWS Lambda, which wharf does not have; PAUSE hooks wait for
  // ContinueServiceDeployment.
  for (const auto& v : GetArray(config, "lifecycleHooks")) {
    const json::object& hook = v.get_object();
    if (GetString(hook, "targetType", "AWS_LAMBDA") != "PAUSE") {
      return InvalidParameter("Lifecycle hooks with targetType AWS_LAMBDA are not supported by wharf: it has no AWS "
                              "Lambda to invoke. Use targetType PAUSE and ContinueServiceDeployment.");
    }
    if (Has(hook, "hookTargetArn") || Has(hook, "hookDetails")) {
      return InvalidParameter("hookTargetArn and hookDetails are only valid for lifecycle hooks with targetType AWS_LAMBDA.");
    }
    if (GetArray(hook, "lifecycleStages").empty()) {
      return InvalidParameter("lifecycleStages must be specified for a deployment lifecycle hook.");
    }
  }
  return std::nullopt;
}

// A listener rule of an Application Load Balancer named by a blue/green load balancer, and the
// target groups its forward action names.
std::variant<std::set<std::string>, AwsError> ListenerRuleGroups(const EcsDeps& deps, const std::string& arn,
                                                                 const char* field) {
  std::string key = controlplane::RuleKeyOfArn(arn);
  if (key.empty()) {
    return InvalidParameter("The " + std::string(field) + " " + arn + " is not a valid listener rule ARN. wharf "
                            "supports Application Load Balancer listener rules only.");
  }
  auto record = ReadRecord(deps.store, key);
  if (!record.ok()) return EcsError(record.status());
  if (!*record || GetString(GetObject((*record)->value, "rule"), "RuleArn") != arn) {
    return InvalidParameter("Unable to find the " + std::string(field) + " " + arn + ".");
  }
  std::set<std::string> groups;
  for (const auto& a : GetArray(GetObject((*record)->value, "rule"), "Actions")) {
    const json::object& action = a.get_object();
    if (GetString(action, "Type") != "forward") continue;
    if (Has(action, "TargetGroupArn")) groups.insert(GetString(action, "TargetGroupArn"));
    for (const auto& t : GetArray(GetObject(action, "ForwardConfig"), "TargetGroups")) {
      groups.insert(GetString(t.get_object(), "TargetGroupArn"));
    }
  }
  return groups;
}

// ECS's native blue/green (strategy BLUE_GREEN): bakeTimeInMinutes, and for each load balancer
// an advancedConfiguration whose production (and test) listener rule forwards to both the
// primary and the alternate target group, the way ECS shifts traffic between them.
std::optional<AwsError> CheckBlueGreen(const EcsDeps& deps, const json::object& config, const json::array& lbs) {
  const bool blue_green = GetString(config, "strategy", "ROLLING") == "BLUE_GREEN";
  if (!blue_green) {
    if (GetInt(config, "bakeTimeInMinutes").value_or(0) != 0) {
      return InvalidParameter("bakeTimeInMinutes is only supported by wharf with the BLUE_GREEN deployment strategy.");
    }
    if (!GetArray(config, "lifecycleHooks").empty()) {
      return InvalidParameter("lifecycleHooks are only supported with the BLUE_GREEN deployment strategy.");
    }
    for (const auto& v : lbs) {
      if (Has(v.get_object(), "advancedConfiguration")) {
        return InvalidParameter("advancedConfiguration is only supported with the BLUE_GREEN deployment strategy.");
      }
    }
    return std::nullopt;
  }
  auto bake = GetInt(config, "bakeTimeInMinutes");
  if (!bake) return InvalidParameter("bakeTimeInMinutes must be specified for the BLUE_GREEN deployment strategy.");
  if (*bake < 0 || *bake > 1440) return InvalidParameter("bakeTimeInMinutes must be between 0 and 1440.");
  for (const auto& v : lbs) {
    const json::object& lb = v.get_object();
    const json::object& advanced = GetObject(lb, "advancedConfiguration");
    if (!Has(lb, "advancedConfiguration")) {
      return InvalidParameter("advancedConfiguration must be specified for each load balancer of a service that uses the "
                              "BLUE_GREEN deployment strategy.");
    }
    for (const char* field : {"alternateTargetGroupArn", "productionListenerRule", "roleArn"}) {
      if (GetString(advanced, field).empty()) {
        return InvalidParameter(std::string(field) + " must be specified in advancedConfiguration.");
      }
    }
    std::string primary = GetString(lb, "targetGroupArn");
    std::string alternate = GetString(advanced, "alternateTargetGroupArn");
    if (alternate == primary) {
      return InvalidParameter("The alternateTargetGroupArn must be different from the targetGroupArn " + primary + ".");
    }
    auto tg = ReadRecord(deps.store, model::keys::TargetGroupKey(TargetGroupName(alternate)));
    if (!tg.ok()) return EcsError(tg.status());
    if (!*tg || GetString(GetObject((*tg)->value, "targetGroup"), "TargetGroupArn") != alternate) {
      return InvalidParameter("Unable to find target group: " + alternate);
    }
    auto primary_tg = ReadRecord(deps.store, model::keys::TargetGroupKey(TargetGroupName(primary)));
    if (!primary_tg.ok()) return EcsError(primary_tg.status());
    if (*primary_tg && GetString(GetObject((*tg)->value, "targetGroup"), "TargetType", "instance") !=
                           GetString(GetObject((*primary_tg)->value, "targetGroup"), "TargetType", "instance")) {
      return InvalidParameter("The alternate target group " + alternate + " must have the same target type as " + primary + ".");
    }
    std::string test_rule = GetString(advanced, "testListenerRule");
    if (test_rule == GetString(advanced, "productionListenerRule")) {
      return InvalidParameter("The testListenerRule must be different from the productionListenerRule.");
    }
    for (const char* field : {"productionListenerRule", "testListenerRule"}) {
      if (!Has(advanced, field)) continue;
      auto groups = ListenerRuleGroups(deps, GetString(advanced, field), field);
      if (auto* err = std::get_if<AwsError>(&groups)) return *err;
      const auto& names = std::get<std::set<std::string>>(groups);
      for (const std::string& arn : {primary, alternate}) {
        if (!names.count(arn)) {
          return InvalidParameter("The " + std::string(field) + " " + GetString(advanced, field) +
                                  " must forward to both the primary target group and the alternate target group: " +
                                  arn + " is not attached to it.");
        }
      }
    }
  }
  return std::nullopt;
}

// AWS's defaults filled in, and the percentages checked.
std::variant<json::object, AwsError> DeploymentConfiguration(const json::object& given, const json::object& base) {
  json::object config = base.empty() ? json::object{{"deploymentCircuitBreaker", json::object{{"enable", false}, {"rollback", false}}},
                                                    {"maximumPercent", 200},
                                                    {"minimumHealthyPercent", 100}}
                                     : base;
  for (const auto& [k, v] : given) config[k] = v;
  int64_t max = GetInt(config, "maximumPercent").value_or(200);
  int64_t min = GetInt(config, "minimumHealthyPercent").value_or(100);
  if (max < 100 || max > 200) return InvalidParameter("maximumPercent must be between 100 and 200.");
  if (min < 0 || min > 100) return InvalidParameter("minimumHealthyPercent must be between 0 and 100.");
  if (max == 100 && min == 100) {
    return InvalidParameter("The maximumPercent and minimumHealthyPercent cannot both be 100: no task could be replaced.");
  }
  return config;
}

// Each load balancer: a target group that exists, is in front of a load balancer, has the
// right target type, and a container and port of the task definition.
std::optional<AwsError> CheckLoadBalancers(const EcsDeps& deps, const json::array& lbs, const json::object& td) {
  if (lbs.size() > 5) return InvalidParameter("At most 5 load balancers can be specified for a service.");
  bool awsvpc = GetString(td, "networkMode", "bridge") == "awsvpc";
  for (const auto& v : lbs) {
    const json::object& lb = v.get_object();
    std::string arn = GetString(lb, "targetGroupArn");
    if (arn.empty()) {
      return InvalidParameter(Has(lb, "loadBalancerName")
                                  ? "Classic load balancers are not supported by wharf: give a targetGroupArn."
                                  : "targetGroupArn must be specified.");
    }
    auto record = ReadRecord(deps.store, model::keys::TargetGroupKey(TargetGroupName(arn)));
    if (!record.ok()) return EcsError(record.status());
    if (!*record || GetString(GetObject((*record)->value, "targetGroup"), "TargetGroupArn") != arn) {
      return InvalidParameter("Unable to find target group: " + arn);
    }
    // AWS wants the target group in front of a load balancer already (a listener or rule
    // forwards to it).
    bool attached = false;
    for (std::string_view prefix : {model::keys::kListeners, model::keys::kRules}) {
      auto page = deps.store.List(prefix, "", 0);
      if (!page.ok()) return EcsError(page.status());
      for (const auto& kv : page->items) attached = attached || kv.value.find("\"" + arn + "\"") != std::string::npos;
    }
    if (!attached) {
      return InvalidParameter("The target group with targetGroupArn " + arn + " does not have an associated load balancer.");
    }
    std::string type = GetString(GetObject((*record)->value, "targetGroup"), "TargetType", "instance");
    if (awsvpc && type != "ip") {
      return InvalidParameter("The provided target group " + arn + " has target type " + type +
                              ", which is incompatible with the awsvpc network mode specified in the task definition.");
    }
    std::string name = GetString(lb, "containerName");
    auto port = GetInt(lb, "containerPort");
    bool found = false;
    for (const auto& c : GetArray(td, "containerDefinitions")) {
      if (GetString(c.get_object(), "name") != name) continue;
      for (const auto& pm : GetArray(c.get_object(), "portMappings")) {
        found = found || GetInt(pm.get_object(), "containerPort") == port;
      }
    }
    if (!found) {
      return InvalidParameter("The container " + name + " did not have a container port " +
                              std::to_string(port.value_or(0)) + " defined.");
    }
  }
  return std::nullopt;
}

// The serviceRegistries entries as ECS checks them: at most one; its Cloud Map service
// exists; a port for an SRV record (`port`, or containerName and containerPort of the task
// definition); awsvpc tasks only (wharf registers a task by its ENI's address).
std::optional<AwsError> CheckServiceRegistries(const EcsDeps& deps, const json::array& registries, const json::object& td) {
  if (registries.empty()) return std::nullopt;
  if (registries.size() > 1) return InvalidParameter("Only one service registry can be specified for a service.");
  const json::object& r = registries[0].get_object();
  std::string arn = GetString(r, "registryArn");
  if (arn.empty()) return InvalidParameter("registryArn must be specified for a service registry.");
  auto record = ReadRecord(deps.store, model::keys::CloudMapServiceKey(controlplane::CloudMapServiceId(arn)));
  if (!record.ok()) return EcsError(record.status());
  if (!*record || GetString((*record)->value, "Arn") != arn) {
    return InvalidParameter("The service registry " + arn + " does not exist.");
  }
  if (GetString(td, "networkMode", "bridge") != "awsvpc") {
    return InvalidParameter("serviceRegistries are supported by wharf only for tasks with the awsvpc network mode.");
  }
  if (Has(r, "port") && Has(r, "containerPort")) {
    return InvalidParameter("A service registry can specify either port or containerName and containerPort, not both.");
  }
  if (Has(r, "containerName") != Has(r, "containerPort")) {
    return InvalidParameter("A service registry must specify both containerName and containerPort, or neither.");
  }
  if (Has(r, "containerName")) {
    bool found = false;
    for (const auto& c : GetArray(td, "containerDefinitions")) {
      if (GetString(c.get_object(), "name") != GetString(r, "containerName")) continue;
      for (const auto& pm : GetArray(c.get_object(), "portMappings")) {
        found = found || GetInt(pm.get_object(), "containerPort") == GetInt(r, "containerPort");
      }
    }
    if (!found) {
      return InvalidParameter("The container " + GetString(r, "containerName") + " did not have a container port " +
                              std::to_string(GetInt(r, "containerPort").value_or(0)) + " defined.");
    }
  }
  bool srv = false;
  for (const auto& rec : GetArray(GetObject((*record)->value, "DnsConfig"), "DnsRecords")) {
    srv = srv || GetString(rec.get_object(), "Type") == "SRV";
  }
  if (srv && !Has(r, "port") && !Has(r, "containerPort")) {
    return InvalidParameter("The service registry " + arn + " has an SRV record: specify port, or containerName and "
                            "containerPort.");
  }
  return std::nullopt;
}

// The key of the service `ref` names (its name or ARN).
std::string ServiceKeyOf(const std::string& cluster, const std::string& ref) {
  return ServiceKey(cluster, ShortId(ref));
}

}  // namespace

Outcome CreateService(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  std::string name = GetString(in, "serviceName");
  if (!ValidName(name)) {
    return InvalidParameter("Service name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.");
  }
  if (auto err = CheckUnsupported(in)) return *err;
  if (auto err = CheckTags(GetArray(in, "tags"))) return *err;
  const bool daemon = GetString(in, "schedulingStrategy", "REPLICA") == "DAEMON";
  if (daemon && (GetString(in, "launchType", "EC2") != "EC2" || Has(in, "capacityProviderStrategy"))) {
    return InvalidParameter("The DAEMON scheduling strategy is supported only with the EC2 launch type.");
  }
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record || GetString(cluster_record->value, "status") != "ACTIVE") return ClusterNotFound();
  if (GetString(in, "taskDefinition").empty()) return InvalidParameter("TaskDefinition must be specified.");
  ASSIGN_OR_FAIL(auto td, FindTaskDefinition(deps, GetString(in, "taskDefinition")), EcsError);
  if (!td) return ClientError("Unable to find task definition '" + GetString(in, "taskDefinition") + "'.");
  if (daemon && GetString(*td, "networkMode", "bridge") == "awsvpc") {
    return InvalidParameter("DAEMON services with the awsvpc network mode are not supported by wharf yet.");
  }
  // A DAEMON service's desired count is its number of ACTIVE container instances (kept so by
  // the controller).
  int64_t desired = GetInt(in, "desiredCount").value_or(1);
  if (daemon) {
    ASSIGN_OR_FAIL(auto records, LoadContainerInstances(deps.store, cluster), EcsError);
    desired = 0;
    for (const auto& r : records) desired += GetString(GetObject(r, "containerInstance"), "status") == "ACTIVE";
  }
  if (desired < 0) return InvalidParameter("desiredCount must be at least 0.");
  if (auto err = CheckLoadBalancers(deps, GetArray(in, "loadBalancers"), *td)) return *err;
  if (auto err = CheckServiceRegistries(deps, GetArray(in, "serviceRegistries"), *td)) return *err;
  controlplane::TaskLaunchRequest request = LaunchRequestFromInput(in);
  request.cluster = cluster;
  if (daemon) request.launch_type = "EC2";
  if (auto err = CheckTaskLaunch(deps, request)) return *err;
  // A daemon has one task per instance: the old one goes before the new one comes.
  json::object base_config;
  if (daemon) {
    base_config = {{"deploymentCircuitBreaker", json::object{{"enable", false}, {"rollback", false}}},
                   {"maximumPercent", 100},
                   {"minimumHealthyPercent", 0}};
  }
  auto config = DeploymentConfiguration(GetObject(in, "deploymentConfiguration"), base_config);
  if (auto* err = std::get_if<AwsError>(&config)) return *err;
  if (auto err = CheckBlueGreen(deps, std::get<json::object>(config), GetArray(in, "loadBalancers"))) return *err;
  if (daemon && GetString(std::get<json::object>(config), "strategy") == "BLUE_GREEN") {
    return InvalidParameter("The BLUE_GREEN deployment strategy is not supported for DAEMON services.");
  }

  json::object service{
      {"serviceArn", Arn(deps, "service/" + cluster + "/" + name)},
      {"serviceName", name},
      {"clusterArn", Arn(deps, "cluster/" + cluster)},
      {"loadBalancers", GetArray(in, "loadBalancers")},
      {"serviceRegistries", GetArray(in, "serviceRegistries")},
      {"status", "ACTIVE"},
      {"desiredCount", desired},
      {"runningCount", 0},
      {"pendingCount", 0},
      {"taskDefinition", GetString(*td, "taskDefinitionArn")},
      {"deploymentConfiguration", std::get<json::object>(config)},
      {"events", json::array()},
      {"createdAt", NowSeconds(deps)},
      {"placementConstraints", GetArray(in, "placementConstraints")},
      {"placementStrategy", GetArray(in, "placementStrategy")},
      {"schedulingStrategy", daemon ? "DAEMON" : "REPLICA"},
      {"deploymentController", json::object{{"type", "ECS"}}},
      {"tags", GetArray(in, "tags")},
      {"createdBy", "arn:aws:iam::" + deps.account_id + ":root"},
      {"enableECSManagedTags", GetBool(in, "enableECSManagedTags").value_or(false)},
      {"propagateTags", GetString(in, "propagateTags", "NONE")},
      {"enableExecuteCommand", false},
  };
  if (Has(in, "launchType") || daemon) {
    service["launchType"] = GetString(in, "launchType", "EC2");
  } else if (Has(in, "capacityProviderStrategy")) {
    service["capacityProviderStrategy"] = GetArray(in, "capacityProviderStrategy");
  } else if (GetArray(cluster_record->value, "defaultCapacityProviderStrategy").empty()) {
    service["launchType"] = "EC2";
  } else {
    service["capacityProviderStrategy"] = GetArray(cluster_record->value, "defaultCapacityProviderStrategy");
  }
  if (GetString(service, "launchType") == "FARGATE" || Has(service, "capacityProviderStrategy")) {
    service["platformVersion"] = GetString(in, "platformVersion", "LATEST");
    service["platformFamily"] = "Linux";
  }
  if (Has(in, "networkConfiguration")) service["networkConfiguration"] = in["networkConfiguration"];
  if (Has(in, "role")) service["roleArn"] = GetString(in, "role");
  if (!GetArray(in, "loadBalancers").empty() || Has(in, "healthCheckGracePeriodSeconds")) {
    service["healthCheckGracePeriodSeconds"] = GetInt(in, "healthCheckGracePeriodSeconds").value_or(0);
  }
  service["deployments"] = json::array{NewDeployment(deps, service)};
  controlplane::BeginServiceDeployment(deps.random, NowSeconds(deps), service);
  model::ServiceControllerState{}.WriteTo(service, 0);

  auto created = UpdateRecord(deps.store, ServiceKey(cluster, name),
                              [&](std::optional<json::object>& existing) -> store::Decision<Outcome> {
    if (existing && GetString(*existing, "status") != "INACTIVE") {
      return InvalidParameter("Creation of service was not idempotent.");
    }
    existing = service;
    return store::Commit(json::object{{"service", PresentService(service, true)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(created), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The service changed while it was created; retry."));
}

Outcome UpdateService(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  if (auto err = CheckUnsupported(in)) return *err;
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record || GetString(cluster_record->value, "status") != "ACTIVE") return ClusterNotFound();
  auto updated = UpdateRecord(deps.store, ServiceKeyOf(cluster, GetString(in, "service")),
                              [&](std::optional<json::object>& found) -> store::Decision<Outcome> {
    if (!found) return ServiceNotFound();
    json::object& service = *found;
    if (GetString(service, "status") != "ACTIVE") return ServiceNotActive();
    if (Has(in, "serviceRegistries") && GetArray(in, "serviceRegistries") != GetArray(service, "serviceRegistries")) {
      return InvalidParameter("Changing a service's serviceRegistries is not supported by wharf: create a new service.");
    }
    bool new_deployment = GetBool(in, "forceNewDeployment").value_or(false);
    // New load balancers (an empty list removes them) come with a new deployment: its tasks
    // join the new target groups while the old deployment's stay in theirs until retired.
    bool new_load_balancers = Has(in, "loadBalancers") && GetArray(in, "loadBalancers") != GetArray(service, "loadBalancers");
    const json::array& load_balancers = new_load_balancers ? GetArray(in, "loadBalancers") : GetArray(service, "loadBalancers");
    std::string td_ref = Has(in, "taskDefinition") ? GetString(in, "taskDefinition") : GetString(service, "taskDefinition");
    if (Has(in, "taskDefinition") || new_load_balancers) {
      ASSIGN_OR_FAIL(auto td, FindTaskDefinition(deps, td_ref), EcsError);
      if (!td) return ClientError("Unable to find task definition '" + td_ref + "'.");
      if (auto err = CheckLoadBalancers(deps, load_balancers, *td)) return *err;
      std::string arn = GetString(*td, "taskDefinitionArn");
      new_deployment = new_deployment || new_load_balancers || arn != GetString(service, "taskDefinition");
      service["taskDefinition"] = arn;
    }
    if (new_load_balancers) service["loadBalancers"] = load_balancers;
    for (const char* field : {"networkConfiguration", "capacityProviderStrategy", "platformVersion"}) {
      if (Has(in, field) && in.at(field) != service[field]) {
        service[field] = in.at(field);
        new_deployment = true;
      }
    }
    if (Has(in, "capacityProviderStrategy")) service.erase("launchType");
    if (auto d = GetInt(in, "desiredCount")) {
      if (GetString(service, "schedulingStrategy") == "DAEMON") {
        return InvalidParameter("The desiredCount of a DAEMON service cannot be set: it runs one task per container instance.");
      }
      if (*d < 0) return InvalidParameter("desiredCount must be at least 0.");
      service["desiredCount"] = *d;
    }
    if (Has(in, "deploymentConfiguration")) {
      auto config = DeploymentConfiguration(GetObject(in, "deploymentConfiguration"), GetObject(service, "deploymentConfiguration"));
      if (auto* err = std::get_if<AwsError>(&config)) return *err;
      service["deploymentConfiguration"] = std::get<json::object>(config);
    }
    for (const char* field : {"healthCheckGracePeriodSeconds", "placementConstraints", "placementStrategy",
                              "propagateTags", "enableECSManagedTags"}) {
      if (Has(in, field)) service[field] = in.at(field);
    }
    if (Has(in, "deploymentConfiguration") || new_load_balancers) {
      if (auto err = CheckBlueGreen(deps, GetObject(service, "deploymentConfiguration"), GetArray(service, "loadBalancers"))) {
        return *err;
      }
      if (GetString(service, "schedulingStrategy") == "DAEMON" && controlplane::IsBlueGreen(service)) {
        return InvalidParameter("The BLUE_GREEN deployment strategy is not supported for DAEMON services.");
      }
    }
    if (new_deployment) {
      controlplane::TaskLaunchRequest request =
          controlplane::DeploymentLaunchRequest(service, NewDeployment(deps, service), {});
      request.cluster = cluster;
      if (auto err = CheckTaskLaunch(deps, request)) return *err;
      json::object fresh = NewDeployment(deps, service);
      controlplane::PrepareNewDeployment(service, NowSeconds(deps), fresh);
      json::array deployments{std::move(fresh)};
      for (auto& d : service["deployments"].as_array()) {
        d.as_object()["status"] = "ACTIVE";
        deployments.push_back(d);
      }
      service["deployments"] = std::move(deployments);
      controlplane::BeginServiceDeployment(deps.random, NowSeconds(deps), service);
    } else if (!GetArray(service, "deployments").empty()) {
      service["deployments"].as_array()[0].as_object()["desiredCount"] = service["desiredCount"];
    }
    model::ServiceControllerState state = model::ServiceControllerState::Of(service);
    state.steady = false;  // the change is told as a new steady state once reached
    state.WriteTo(service, state.failures_counted.size());
    return store::Commit(json::object{{"service", PresentService(service, false)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(updated), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The service changed while it was updated; retry."));
}

Outcome DeleteService(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  auto deleted = UpdateRecord(deps.store, ServiceKeyOf(cluster, GetString(in, "service")),
                              [&](std::optional<json::object>& found) -> store::Decision<Outcome> {
    if (!found) return ServiceNotFound();
    json::object& service = *found;
    if (GetString(service, "status") == "INACTIVE") return ServiceNotActive();
    if (GetString(service, "status") == "DRAINING") return json::object{{"service", PresentService(service, false)}};
    if (GetInt(service, "desiredCount").value_or(0) > 0 && !GetBool(in, "force").value_or(false) &&
        GetString(service, "schedulingStrategy") != "DAEMON") {
      return InvalidParameter("The service cannot be stopped while it is scaled above 0.");
    }
    service["status"] = "DRAINING";
    service["desiredCount"] = 0;
    for (auto& d : service["deployments"].as_array()) d.as_object()["desiredCount"] = 0;
    return store::Commit(json::object{{"service", PresentService(service, false)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(deleted), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The service changed while it was deleted; retry."));
}

Outcome DescribeServices(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  // Only whether the cluster exists: its record is not read (parsing it cost more than the
  // lookup on this hot path).
  ASSIGN_OR_FAIL(auto cluster_record, deps.store.Get(ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  const json::array& refs = GetArray(in, "services");
  if (refs.empty() || refs.size() > 10) return InvalidParameter("services must list between 1 and 10 services.");
  bool with_tags = false;
  for (const auto& inc : GetArray(in, "include")) with_tags = with_tags || inc == "TAGS";
  // The answer is built in one arena: copying the presented services into it, and freeing it
  // once written, cost a fraction of allocating each of their members on its own.
  json::storage_ptr arena = json::make_shared_resource<json::monotonic_resource>();
  json::array services(arena), failures(arena);
  for (const auto& v : refs) {
    std::string ref(v.get_string());
    ASSIGN_OR_FAIL(auto found, deps.store.Get(ServiceKeyOf(cluster, ref)), EcsError);
    if (!found) {
      std::string arn = ref.rfind("arn:", 0) == 0 ? ref : Arn(deps, "service/" + cluster + "/" + ref);
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    std::shared_ptr<const json::object> presented;
    if (deps.presented_services) {
      ASSIGN_OR_FAIL(presented, deps.presented_services->Of(*found), EcsError);
    } else {
      ASSIGN_OR_FAIL(json::object record, ParseObject(found->value), EcsError);
      presented = std::make_shared<const json::object>(PresentService(std::move(record), true));
    }
    json::object service(*presented, arena);
    if (!with_tags) service.erase("tags");
    services.push_back(std::move(service));
  }
  json::object out(arena);
  out["services"] = std::move(services);
  out["failures"] = std::move(failures);
  return out;
}

// The serviceArns of the active services stored under `prefix` that `keep` keeps, one page
// from the request's nextToken (a store key) of maxResults (10 when not given), as
// ListServices and ListServicesByNamespace answer.
static Outcome ListServiceArns(const EcsDeps& deps, const object& in, std::string_view prefix,
                               const std::function<Result<bool>(const json::object& service)>& keep) {
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  if (!Has(in, "maxResults")) page_size = 10;
  std::string after;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto key = ReadNextToken(token);
    if (!key) return InvalidParameter("Invalid nextToken.");
    after = *key;
  }
  ASSIGN_OR_FAIL(store::Page page, deps.store.List(prefix, after, 0), EcsError);
  json::array arns;
  std::string last;
  bool more = false;
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object service, ParseObject(kv.value), EcsError);
    if (GetString(service, "status") == "INACTIVE") continue;
    ASSIGN_OR_FAIL(bool kept, keep(service), EcsError);
    if (!kept) continue;
    if (arns.size() == page_size) {
      more = true;
      break;
    }
    arns.push_back(service["serviceArn"]);
    last = kv.key;
  }
  json::object out{{"serviceArns", std::move(arns)}};
  if (more) out["nextToken"] = MakeNextToken(last);
  return out;
}

Outcome ListServices(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  std::string launch_type = GetString(in, "launchType");
  std::string strategy = GetString(in, "schedulingStrategy");
  return ListServiceArns(deps, in, ServicesPrefix(cluster), [&](const json::object& service) -> Result<bool> {
    return (launch_type.empty() || GetString(service, "launchType") == launch_type) &&
           (strategy.empty() || GetString(service, "schedulingStrategy") == strategy);
  });
}

// The services whose service registries are in a Cloud Map namespace (its name or ARN), in
// every cluster.
Outcome ListServicesByNamespace(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string ref = GetString(in, "namespace");
  ASSIGN_OR_FAIL(auto namespaces, controlplane::LoadRecords(deps.store, model::keys::kCloudMapNamespaces), EcsError);
  std::string ns_id;
  for (const auto& ns : namespaces) {
    if (GetString(ns, "Arn") == ref || GetString(ns, "Name") == ref || GetString(ns, "Id") == ref) ns_id = GetString(ns, "Id");
  }
  if (ns_id.empty()) return AwsError::Client("NamespaceNotFoundException", "The specified namespace wasn't found.");
  return ListServiceArns(deps, in, model::keys::kServices, [&](const json::object& service) -> Result<bool> {
    for (const auto& r : GetArray(service, "serviceRegistries")) {
      std::string id = controlplane::CloudMapServiceId(GetString(r.get_object(), "registryArn"));
      ASSIGN_OR_RETURN(auto cm, ReadRecord(deps.store, model::keys::CloudMapServiceKey(id)));
      if (cm && GetString(cm->value, "NamespaceId") == ns_id) return true;
    }
    return false;
  });
}

}  // namespace wharf::api::ecs
