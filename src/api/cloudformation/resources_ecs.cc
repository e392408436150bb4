// AWS::ECS::Cluster (Ref: name; Arn), AWS::ECS::TaskDefinition (Ref: ARN;
// TaskDefinitionArn), AWS::ECS::Service (Ref: ARN; Name, ServiceArn). A service is
// CREATE_COMPLETE once it is stable, as CloudFormation waits for: one deployment, COMPLETED,
// with its desired count running.
//
// AWS::ECS::CapacityProvider goes to CreateCapacityProvider, which refuses what wharf cannot
// back (an Auto Scaling group, Managed Instances): the resource fails with ECS's reason.
// AWS::ECS::ClusterCapacityProviderAssociations (Ref: the cluster name) is
// PutClusterCapacityProviders; deleting it leaves the cluster with no providers.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

// How long a service may take to become stable or to drain (CloudFormation waits hours; a
// stack here is not meant to wait that long for a service that cannot start).
constexpr int kStablePolls = 1200;  // 10 minutes at 500 ms
constexpr int kPollMs = 500;

// ---- Cluster ----

Result<ProvisionedResource> CreateCluster(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "ClusterName");
  if (name.empty()) name = c.PhysicalName(id, 255);
  json::object props = Without(p, {"ClusterName"});
  props["ClusterName"] = name;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ecs", "CreateCluster"), props, {{"ClusterSettings", "settings"}}));
  ASSIGN_OR_RETURN(auto out, c.Call("ecs", "CreateCluster", std::move(input.get_object())));
  return Made(name, {{"Arn", GetString(GetObject(out, "cluster"), "clusterArn")}});
}

Status DeleteCluster(const Caller& c, const model::StackResource& r) {
  // Tasks of a service deleted just before may still be stopping.
  Status last = Status::OK();
  Status polled = PollUntil(c, 120, kPollMs, [&]() -> Result<bool> {
    Outcome out = c.Try("ecs", "DeleteCluster", {{"cluster", r.physical_id}});
    if (out.ok() || out.error().code == "ClusterNotFoundException") return true;
    if (out.error().code != "ClusterContainsTasksException" && out.error().code != "ClusterContainsServicesException") {
      return Status::InvalidArgument(out.error().message);
    }
    last = Status::InvalidArgument(out.error().message);
    return false;
  }, "cluster " + r.physical_id + " still has tasks");
  return polled.IsUnavailable() ? last : polled;
}

// ---- TaskDefinition ----

Result<ProvisionedResource> CreateTaskDefinition(const Caller& c, std::string_view id, const json::object& p) {
  json::object props = p;
  if (GetString(props, "Family").empty()) props["Family"] = c.PhysicalName(id, 255);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ecs", "RegisterTaskDefinition"), props));
  ASSIGN_OR_RETURN(auto out, c.Call("ecs", "RegisterTaskDefinition", std::move(input.get_object())));
  std::string arn = GetString(GetObject(out, "taskDefinition"), "taskDefinitionArn");
  return Made(arn, {{"TaskDefinitionArn", arn}});
}

Status DeleteTaskDefinition(const Caller& c, const model::StackResource& r) {
  Outcome out = c.Try("ecs", "DeregisterTaskDefinition", {{"taskDefinition", r.physical_id}});
  if (out.ok() || out.error().code == "ClientException") return Status::OK();  // already inactive
  return Status::InvalidArgument(out.error().message);
}

// ---- Service ----

std::string ClusterOf(const json::object& p) { return GetString(p, "Cluster", "default"); }

// Waits until the service is stable; the failure CloudFormation reports otherwise.
Status WaitStable(const Caller& c, const std::string& cluster, const std::string& arn) {
  std::string why;
  Status polled = PollUntil(c, kStablePolls, kPollMs, [&]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto out, c.Call("ecs", "DescribeServices",
                                      {{"cluster", cluster}, {"services", json::array{json::string(arn)}}}));
    const auto& services = GetArray(out, "services");
    if (services.empty() || !services[0].is_object()) return Status::NotFound("Service " + arn + " was not found");
    const auto& s = services[0].get_object();
    const auto& deployments = GetArray(s, "deployments");
    for (const auto& d : deployments) {
      if (d.is_object() && GetString(d.get_object(), "rolloutState") == "FAILED") {
        return Status::InvalidArgument("Service deployment failed: " + GetString(d.get_object(), "rolloutStateReason"));
      }
    }
    int64_t desired = GetInt(s, "desiredCount").value_or(0);
    int64_t running = GetInt(s, "runningCount").value_or(0);
    why = std::to_string(running) + " of " + std::to_string(desired) + " tasks running";
    if (deployments.size() != 1 || !deployments[0].is_object()) return false;
    std::string rollout = GetString(deployments[0].get_object(), "rolloutState", "COMPLETED");
    return running == desired && rollout == "COMPLETED";
  }, "");
  if (polled.IsUnavailable()) return Status::Unavailable("Service " + arn + " did not stabilize (" + why + ")");
  return polled;
}

Result<ProvisionedResource> ServiceMade(const std::string& arn) {
  std::string name = arn.substr(arn.rfind('/') + 1);
  return Made(arn, {{"ServiceArn", arn}, {"Name", name}});
}

Result<ProvisionedResource> CreateService(const Caller& c, std::string_view id, const json::object& p) {
  json::object props = p;
  if (GetString(props, "ServiceName").empty()) props["ServiceName"] = c.PhysicalName(id, 255);
  ASSIGN_OR_RETURN(json::value input,
                   ToInput(InputShape("ecs", "CreateService"), props, {{"PlacementStrategies", "placementStrategy"}}));
  ASSIGN_OR_RETURN(auto out, c.Call("ecs", "CreateService", std::move(input.get_object())));
  std::string arn = GetString(GetObject(out, "service"), "serviceArn");
  c.Record(arn);
  if (Status stable = WaitStable(c, ClusterOf(p), arn); !stable.ok()) {
    // Made but not stable: the rollback deletes it by the id the error carries.
    return Status::InvalidArgument(stable.message());
  }
  return ServiceMade(arn);
}

Result<ProvisionedResource> UpdateService(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"ServiceName", "Cluster", "LaunchType", "Role", "SchedulingStrategy", "DeploymentController"})) {
    return controlplane::ReplacementNeeded("ServiceName, Cluster, LaunchType, Role, SchedulingStrategy or "
                                           "DeploymentController changed");
  }
  json::object props = Without(p, {"ServiceName", "Cluster", "LaunchType", "Role", "SchedulingStrategy", "Tags",
                                   "DeploymentController"});
  props["Cluster"] = ClusterOf(p);
  props["Service"] = r.physical_id;
  ASSIGN_OR_RETURN(json::value input,
                   ToInput(InputShape("ecs", "UpdateService"), props, {{"PlacementStrategies", "placementStrategy"}}));
  RETURN_IF_ERROR(c.Call("ecs", "UpdateService", std::move(input.get_object())).status());
  RETURN_IF_ERROR(WaitStable(c, ClusterOf(p), r.physical_id));
  return ServiceMade(r.physical_id);
}

Status DeleteService(const Caller& c, const model::StackResource& r) {
  std::string cluster = ClusterOf(r.properties);
  Outcome out = c.Try("ecs", "DeleteService", {{"cluster", cluster}, {"service", r.physical_id}, {"force", true}});
  if (!out.ok() && out.error().code != "ServiceNotFoundException" && out.error().code != "ServiceNotActiveException" &&
      out.error().code != "ClusterNotFoundException") {
    return Status::InvalidArgument(out.error().message);
  }
  if (!out.ok()) return Status::OK();
  // CloudFormation reports DELETE_COMPLETE once the service is drained: INACTIVE, and here
  // also every task of it STOPPED, not merely told to stop (ListTasks no longer lists those,
  // yet their containers still run, hold their host ports and keep the cluster busy).
  std::string name = r.physical_id.substr(r.physical_id.rfind('/') + 1);
  return PollUntil(c, kStablePolls, kPollMs, [&]() -> Result<bool> {
    Outcome described = c.Try("ecs", "DescribeServices",
                              {{"cluster", cluster}, {"services", json::array{json::string(r.physical_id)}}});
    if (!described.ok()) return true;  // the cluster is gone
    const auto& services = GetArray(described.output(), "services");
    if (!services.empty() && services[0].is_object() && GetString(services[0].get_object(), "status") != "INACTIVE") {
      return false;
    }
    Outcome stopping = c.Try("ecs", "ListTasks", {{"cluster", cluster}, {"serviceName", name}, {"desiredStatus", "STOPPED"}});
    if (!stopping.ok() || GetArray(stopping.output(), "taskArns").empty()) return true;
    Outcome tasks = c.Try("ecs", "DescribeTasks", {{"cluster", cluster}, {"tasks", GetArray(stopping.output(), "taskArns")}});
    if (!tasks.ok()) return true;
    for (const auto& t : GetArray(tasks.output(), "tasks")) {
      if (t.is_object() && GetString(t.get_object(), "lastStatus") != "STOPPED") return false;
    }
    return true;
  }, "Service " + r.physical_id + " did not drain");
}

// ---- CapacityProvider ----

Result<ProvisionedResource> CreateCapacityProvider(const Caller& c, std::string_view id, const json::object& p) {
  json::object props = p;
  if (GetString(props, "Name").empty()) props["Name"] = c.PhysicalName(id, 255);
  ASSIGN_OR_RETURN(json::value input,
                   ToInput(InputShape("ecs", "CreateCapacityProvider"), props, {{"ClusterName", "cluster"}}));
  ASSIGN_OR_RETURN(auto out, c.Call("ecs", "CreateCapacityProvider", std::move(input.get_object())));
  return Made(GetString(GetObject(out, "capacityProvider"), "name"));
}

Status DeleteCapacityProvider(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("ecs", "DeleteCapacityProvider", {{"capacityProvider", r.physical_id}}));
}

// ---- ClusterCapacityProviderAssociations ----

Status PutAssociations(const Caller& c, const json::object& p) {
  json::object props = p;  // a property PutClusterCapacityProviders lacks is refused by ToInput
  if (!props.contains("CapacityProviders")) props["CapacityProviders"] = json::array();
  if (!props.contains("DefaultCapacityProviderStrategy")) props["DefaultCapacityProviderStrategy"] = json::array();
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ecs", "PutClusterCapacityProviders"), props));
  return c.Call("ecs", "PutClusterCapacityProviders", std::move(input.get_object())).status();
}

Result<ProvisionedResource> CreateAssociations(const Caller& c, std::string_view, const json::object& p) {
  RETURN_IF_ERROR(PutAssociations(c, p));
  return Made(GetString(p, "Cluster"));
}

Result<ProvisionedResource> UpdateAssociations(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"Cluster"})) return controlplane::ReplacementNeeded("Cluster changed");
  RETURN_IF_ERROR(PutAssociations(c, p));
  return Made(r.physical_id);
}

Status DeleteAssociations(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("ecs", "PutClusterCapacityProviders",
                    {{"cluster", r.physical_id},
                     {"capacityProviders", json::array()},
                     {"defaultCapacityProviderStrategy", json::array()}}),
              {"ClusterNotFoundException"});
}

}  // namespace

void AddEcsTypes(TypeTable& types) {
  types["AWS::ECS::CapacityProvider"] = {CreateCapacityProvider, nullptr, DeleteCapacityProvider};
  types["AWS::ECS::ClusterCapacityProviderAssociations"] = {CreateAssociations, UpdateAssociations,
                                                            DeleteAssociations};
  types["AWS::ECS::Cluster"] = {CreateCluster, nullptr, DeleteCluster};
  types["AWS::ECS::TaskDefinition"] = {CreateTaskDefinition, nullptr, DeleteTaskDefinition};
  types["AWS::ECS::Service"] = {CreateService, UpdateService, DeleteService};
}

}  // namespace wharf::api::cloudformation
