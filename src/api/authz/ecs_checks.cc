// Amazon ECS (prefix ecs). Resource types, as the Service Authorization Reference shapes them:
//   cluster            arn:aws:ecs:<region>:<account>:cluster/<ClusterName>
//   container-instance ...:container-instance/<ClusterName>/<ContainerInstanceId>
//   service            ...:service/<ClusterName>/<ServiceName>
//   task               ...:task/<ClusterName>/<TaskId>
//   task-definition    ...:task-definition/<Family>:<Revision>
// Inputs carry short names, ids or full ARNs; a missing cluster is the "default" cluster.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

constexpr std::string_view kTasksPrincipal = "ecs-tasks.amazonaws.com";  // task and execution roles
constexpr std::string_view kEcsPrincipal = "ecs.amazonaws.com";         // a service's load balancer role

std::string_view ClusterName(std::string_view name_or_arn) {
  if (name_or_arn.empty()) return "default";
  if (!name_or_arn.starts_with("arn:")) return name_or_arn;
  size_t slash = name_or_arn.find(":cluster/");
  return slash == std::string_view::npos ? name_or_arn : name_or_arn.substr(slash + 9);
}

std::string Ecs(const Request& r, std::string resource) { return r.Arn("ecs", resource); }

std::string ClusterArn(const Request& r) {
  std::string_view c = r.Str("cluster");
  if (c.starts_with("arn:")) return std::string(c);
  return Ecs(r, "cluster/" + std::string(ClusterName(c)));
}

// A member of a cluster (service, task, container instance): its ARN, or
// <type>/<cluster>/<id> for a short name or id.
std::string InCluster(const Request& r, std::string_view type, std::string_view id) {
  if (id.starts_with("arn:")) return std::string(id);
  return Ecs(r, std::string(type) + "/" + std::string(ClusterName(r.Str("cluster"))) + "/" + std::string(id));
}

// "family:revision", "family" or an ARN. A bare family means its latest ACTIVE revision,
// which only the store knows: the revision is left as "*", so a policy naming
// task-definition/<family>:* or task-definition/* matches and one naming a revision does not.
std::string TaskDefinitionArn(const Request& r, std::string_view td) {
  if (td.starts_with("arn:")) return std::string(td);
  std::string resource = "task-definition/" + std::string(td);
  if (td.find(':') == std::string_view::npos) resource += ":*";
  return Ecs(r, resource);
}

std::string CapacityProviderArn(const Request& r, std::string_view name_or_arn) {
  return name_or_arn.starts_with("arn:") ? std::string(name_or_arn) : Ecs(r, "capacity-provider/" + std::string(name_or_arn));
}

void ClusterKey(const Request& r, Check& c) { AddKey(c, "ecs:cluster", ClusterArn(r)); }

// ecs:capacity-provider from capacityProviders (names) or a capacity provider strategy.
void CapacityProviderKeys(const Request& r, Check& c) {
  for (std::string_view cp : r.Strs("capacityProviders")) AddKey(c, "ecs:capacity-provider", std::string(cp));
  const boost::json::value* strategy = r.Get("capacityProviderStrategy");
  if (!strategy) strategy = r.Get("defaultCapacityProviderStrategy");
  if (strategy && strategy->is_array()) {
    for (const auto& item : strategy->get_array()) {
      const boost::json::object* o = item.if_object();
      const boost::json::value* cp = o ? o->if_contains("capacityProvider") : nullptr;
      if (cp && cp->is_string()) AddKey(c, "ecs:capacity-provider", std::string(cp->get_string()));
    }
  }
}

// Tagging on create: ECS authorizes ecs:TagResource on the new resource as well, with
// ecs:CreateAction naming the creating operation, when the request carries tags.
void TagOnCreate(Request& r, std::string_view operation, std::string resource) {
  if (!HasTags(r.Get("tags"))) return;
  Check& c = r.Need("TagResource", std::move(resource));
  AddRequestTags(c, r.Get("tags"));
  AddKey(c, "ecs:CreateAction", std::string(operation));
}

// The roles a task's overrides pass to it.
void OverrideRoles(Request& r) {
  const boost::json::value* o = r.Get("overrides");
  if (!o || !o->is_object()) return;
  for (std::string_view member : {"taskRoleArn", "executionRoleArn"}) {
    const boost::json::value* role = o->get_object().if_contains(member);
    if (role && role->is_string()) PassRole(r, std::string_view(role->get_string()), kTasksPrincipal);
  }
}

// One check per cluster member named in `member` (DescribeServices' services, ...), each
// with ecs:cluster.
void EachInCluster(Request& r, std::string_view action, std::string_view type, std::string_view member) {
  for (std::string_view id : r.Strs(member)) ClusterKey(r, r.Need(action, InCluster(r, type, id)));
}

// One check per ARN listed in `member`, on that ARN.
void Each(Request& r, std::string_view action, std::string_view member) {
  for (std::string_view arn : r.Strs(member)) r.Need(action, std::string(arn));
}

// One check per container instance an attribute names (targetId), with ecs:cluster.
void EachAttributeTarget(Request& r, std::string_view action) {
  const boost::json::value* attributes = r.Get("attributes");
  if (!attributes || !attributes->is_array()) return;
  for (const auto& a : attributes->get_array()) {
    const boost::json::object* o = a.if_object();
    const boost::json::value* id = o ? o->if_contains("targetId") : nullptr;
    if (id && id->is_string()) ClusterKey(r, r.Need(action, InCluster(r, "container-instance", id->get_string())));
  }
}

void OnCluster(Request& r, std::string_view action) { r.Need(action, ClusterArn(r)); }

const boost::json::value* Member(const boost::json::value* v, std::string_view name) {
  const boost::json::object* o = v ? v->if_object() : nullptr;
  return o ? o->if_contains(name) : nullptr;
}

// A boolean member as a Bool condition key, when the request sets it.
void BoolKey(const Request& r, Check& c, std::string_view member, std::string key) {
  const boost::json::value* v = r.Get(member);
  if (v && v->is_bool()) AddKey(c, std::move(key), v->get_bool() ? "true" : "false");
}

// The launch keys RunTask, StartTask and the service operations share: whether the tasks
// get ECS Exec and whether they get EBS volumes (volumeConfigurations).
void LaunchKeys(const Request& r, Check& c) {
  BoolKey(r, c, "enableExecuteCommand", "ecs:enable-execute-command");
  const boost::json::value* volumes = r.Get("volumeConfigurations");
  if (volumes && volumes->is_array()) {
    AddKey(c, "ecs:enable-ebs-volumes", volumes->get_array().empty() ? "false" : "true");
  }
}

// The service operations' keys for what the tasks will be: tagging, networking, Service Connect.
void ServiceKeys(const Request& r, Check& c) {
  LaunchKeys(r, c);
  BoolKey(r, c, "enableECSManagedTags", "ecs:enable-ecs-managed-tags");
  if (!r.Str("propagateTags").empty()) AddKey(c, "ecs:propagate-tags", std::string(r.Str("propagateTags")));
  const boost::json::value* awsvpc = Member(r.Get("networkConfiguration"), "awsvpcConfiguration");
  if (const boost::json::value* subnets = Member(awsvpc, "subnets"); subnets && subnets->is_array()) {
    for (const auto& s : subnets->get_array()) {
      if (s.is_string()) AddKey(c, "ecs:subnet", std::string(s.get_string()));
    }
  }
  if (const boost::json::value* ip = Member(awsvpc, "assignPublicIp"); ip && ip->is_string()) {
    AddKey(c, "ecs:auto-assign-public-ip", std::string(ip->get_string()));
  }
  const boost::json::value* connect = Member(r.Get("serviceConnectConfiguration"), "enabled");
  if (connect && connect->is_bool()) AddKey(c, "ecs:enable-service-connect", connect->get_bool() ? "true" : "false");
}

// An agent registers on the cluster; tags it gives the new container instance.
void RegisterContainerInstance(Request& r) {
  AddRequestTags(r.Need("RegisterContainerInstance", ClusterArn(r)), r.Get("tags"));
  TagOnCreate(r, "RegisterContainerInstance", InCluster(r, "container-instance", "*"));
}

void CreateCluster(Request& r) {
  std::string arn = Ecs(r, "cluster/" + std::string(ClusterName(r.Str("clusterName"))));
  Check& c = r.Need("CreateCluster", arn);
  AddRequestTags(c, r.Get("tags"));
  CapacityProviderKeys(r, c);
  TagOnCreate(r, "CreateCluster", arn);
}

void DescribeClusters(Request& r) {
  std::vector<std::string_view> clusters = r.Strs("clusters");
  if (clusters.empty()) clusters.push_back("default");
  for (std::string_view c : clusters) {
    r.Need("DescribeClusters", c.starts_with("arn:") ? std::string(c) : Ecs(r, "cluster/" + std::string(c)));
  }
}

// The new revision is on task-definition (its number is made by the register: <family>:*);
// the roles the task definition names are passed to ECS tasks.
void RegisterTaskDefinition(Request& r) {
  std::string arn = Ecs(r, "task-definition/" + std::string(r.Str("family")) + ":*");
  Check& c = r.Need("RegisterTaskDefinition", arn);
  AddRequestTags(c, r.Get("tags"));
  for (std::string_view compat : r.Strs("requiresCompatibilities")) AddKey(c, "ecs:compute-compatibility", std::string(compat));
  if (!r.Str("cpu").empty()) AddKey(c, "ecs:task-cpu", std::string(r.Str("cpu")));
  if (!r.Str("memory").empty()) AddKey(c, "ecs:task-memory", std::string(r.Str("memory")));
  // ecs:privileged: whether any container asks for privileged mode.
  if (const boost::json::value* containers = r.Get("containerDefinitions"); containers && containers->is_array()) {
    bool privileged = false;
    for (const auto& container : containers->get_array()) {
      const boost::json::value* p = Member(&container, "privileged");
      privileged = privileged || (p && p->is_bool() && p->get_bool());
    }
    AddKey(c, "ecs:privileged", privileged ? "true" : "false");
  }
  TagOnCreate(r, "RegisterTaskDefinition", arn);
  PassRole(r, r.Str("taskRoleArn"), kTasksPrincipal);
  PassRole(r, r.Str("executionRoleArn"), kTasksPrincipal);
}

void DeleteTaskDefinitions(Request& r) {
  for (std::string_view td : r.Strs("taskDefinitions")) r.Need("DeleteTaskDefinitions", TaskDefinitionArn(r, td));
}

void OnResourceArn(Request& r, std::string_view action) { r.Need(action, std::string(r.Str("resourceArn"))); }

void AccountSetting(Request& r, std::string_view action) {
  AddKey(r.Need(action), "ecs:account-setting", std::string(r.Str("name")));
}

void RunTask(Request& r) {
  Check& c = r.Need("RunTask", TaskDefinitionArn(r, r.Str("taskDefinition")));
  ClusterKey(r, c);
  CapacityProviderKeys(r, c);
  LaunchKeys(r, c);
  AddRequestTags(c, r.Get("tags"));
  TagOnCreate(r, "RunTask", InCluster(r, "task", "*"));
  OverrideRoles(r);
}

void StartTask(Request& r) {
  Check& c = r.Need("StartTask", TaskDefinitionArn(r, r.Str("taskDefinition")));
  ClusterKey(r, c);
  for (std::string_view ci : r.Strs("containerInstances")) {
    AddKey(c, "ecs:container-instances", InCluster(r, "container-instance", ci));
  }
  LaunchKeys(r, c);
  AddRequestTags(c, r.Get("tags"));
  TagOnCreate(r, "StartTask", InCluster(r, "task", "*"));
  OverrideRoles(r);
}

// The reference lists ListTasks on container-instance with ecs:cluster. Without a container
// instance in the request there is no single resource: "*", the cluster in ecs:cluster.
void ListTasks(Request& r) {
  std::string_view ci = r.Str("containerInstance");
  ClusterKey(r, r.Need("ListTasks", ci.empty() ? "*" : InCluster(r, "container-instance", ci)));
}

void CreateService(Request& r) {
  std::string arn = InCluster(r, "service", r.Str("serviceName"));
  Check& c = r.Need("CreateService", arn);
  ClusterKey(r, c);
  if (!r.Str("taskDefinition").empty()) AddKey(c, "ecs:task-definition", TaskDefinitionArn(r, r.Str("taskDefinition")));
  CapacityProviderKeys(r, c);
  ServiceKeys(r, c);
  AddRequestTags(c, r.Get("tags"));
  TagOnCreate(r, "CreateService", arn);
  PassRole(r, r.Str("role"), kEcsPrincipal);
}

void UpdateService(Request& r) {
  Check& c = r.Need("UpdateService", InCluster(r, "service", r.Str("service")));
  ClusterKey(r, c);
  if (!r.Str("taskDefinition").empty()) AddKey(c, "ecs:task-definition", TaskDefinitionArn(r, r.Str("taskDefinition")));
  CapacityProviderKeys(r, c);
  ServiceKeys(r, c);
  PassRole(r, r.Str("role"), kEcsPrincipal);  // UpdateService has no role today; kept should it come
}

void OneInCluster(Request& r, std::string_view action, std::string_view type, std::string_view member) {
  ClusterKey(r, r.Need(action, InCluster(r, type, r.Str(member))));
}

constexpr Entry kEntries[] = {
    {"CreateCluster", CreateCluster},
    {"DescribeClusters", DescribeClusters},
    {"ListClusters", [](Request& r) { r.Need("ListClusters"); }},
    {"UpdateCluster", [](Request& r) { OnCluster(r, "UpdateCluster"); }},
    {"UpdateClusterSettings", [](Request& r) { OnCluster(r, "UpdateClusterSettings"); }},
    {"PutClusterCapacityProviders",
     [](Request& r) {
       Check& c = r.Need("PutClusterCapacityProviders", ClusterArn(r));
       CapacityProviderKeys(r, c);
     }},
    {"DeleteCluster", [](Request& r) { OnCluster(r, "DeleteCluster"); }},
    // capacity-provider: arn:aws:ecs:<region>:<account>:capacity-provider/<Name>; described on "*".
    {"CreateCapacityProvider",
     [](Request& r) {
       Check& c = r.Need("CreateCapacityProvider", CapacityProviderArn(r, r.Str("name")));
       AddRequestTags(c, r.Get("tags"));
     }},
    {"DescribeCapacityProviders", [](Request& r) { r.Need("DescribeCapacityProviders"); }},
    {"UpdateCapacityProvider",
     [](Request& r) { r.Need("UpdateCapacityProvider", CapacityProviderArn(r, r.Str("name"))); }},
    {"DeleteCapacityProvider",
     [](Request& r) { r.Need("DeleteCapacityProvider", CapacityProviderArn(r, r.Str("capacityProvider"))); }},
    {"RegisterTaskDefinition", RegisterTaskDefinition},
    // Task definitions are read and listed on "*" (no resource type in the reference).
    {"DescribeTaskDefinition", [](Request& r) { r.Need("DescribeTaskDefinition"); }},
    {"ListTaskDefinitions", [](Request& r) { r.Need("ListTaskDefinitions"); }},
    {"ListTaskDefinitionFamilies", [](Request& r) { r.Need("ListTaskDefinitionFamilies"); }},
    // Unlike DeleteTaskDefinitions, DeregisterTaskDefinition has no resource type.
    {"DeregisterTaskDefinition", [](Request& r) { r.Need("DeregisterTaskDefinition"); }},
    {"DeleteTaskDefinitions", DeleteTaskDefinitions},
    {"TagResource",
     [](Request& r) {
       Check& c = r.Need("TagResource", std::string(r.Str("resourceArn")));
       AddRequestTags(c, r.Get("tags"));
     }},
    {"UntagResource",
     [](Request& r) {
       Check& c = r.Need("UntagResource", std::string(r.Str("resourceArn")));
       AddTagKeys(c, r.Get("tagKeys"));
     }},
    {"ListTagsForResource", [](Request& r) { OnResourceArn(r, "ListTagsForResource"); }},
    {"ListAccountSettings", [](Request& r) { r.Need("ListAccountSettings"); }},
    {"PutAccountSetting", [](Request& r) { AccountSetting(r, "PutAccountSetting"); }},
    {"PutAccountSettingDefault", [](Request& r) { AccountSetting(r, "PutAccountSettingDefault"); }},
    {"DeleteAccountSetting", [](Request& r) { AccountSetting(r, "DeleteAccountSetting"); }},
    // The agent's calls: on the cluster.
    {"RegisterContainerInstance", RegisterContainerInstance},
    {"DeregisterContainerInstance", [](Request& r) { OnCluster(r, "DeregisterContainerInstance"); }},
    {"SubmitTaskStateChange", [](Request& r) { OnCluster(r, "SubmitTaskStateChange"); }},
    {"SubmitContainerStateChange", [](Request& r) { OnCluster(r, "SubmitContainerStateChange"); }},
    {"ListContainerInstances", [](Request& r) { OnCluster(r, "ListContainerInstances"); }},
    {"DescribeContainerInstances",
     [](Request& r) { EachInCluster(r, "DescribeContainerInstances", "container-instance", "containerInstances"); }},
    {"UpdateContainerInstancesState",
     [](Request& r) { EachInCluster(r, "UpdateContainerInstancesState", "container-instance", "containerInstances"); }},
    {"RunTask", RunTask},
    {"StartTask", StartTask},
    {"StopTask", [](Request& r) { OneInCluster(r, "StopTask", "task", "task"); }},
    {"DescribeTasks", [](Request& r) { EachInCluster(r, "DescribeTasks", "task", "tasks"); }},
    {"ListTasks", ListTasks},
    {"CreateService", CreateService},
    {"UpdateService", UpdateService},
    {"DeleteService", [](Request& r) { OneInCluster(r, "DeleteService", "service", "service"); }},
    {"DescribeServices", [](Request& r) { EachInCluster(r, "DescribeServices", "service", "services"); }},
    // Listed on "*" with the cluster as ecs:cluster.
    {"ListServices", [](Request& r) { ClusterKey(r, r.Need("ListServices")); }},
    {"UpdateTaskProtection", [](Request& r) { EachInCluster(r, "UpdateTaskProtection", "task", "tasks"); }},
    {"GetTaskProtection",
     [](Request& r) {
       if (r.Strs("tasks").empty()) ClusterKey(r, r.Need("GetTaskProtection", InCluster(r, "task", "*")));
       EachInCluster(r, "GetTaskProtection", "task", "tasks");
     }},
    {"PutAttributes", [](Request& r) { EachAttributeTarget(r, "PutAttributes"); }},
    {"DeleteAttributes", [](Request& r) { EachAttributeTarget(r, "DeleteAttributes"); }},
    {"ListAttributes", [](Request& r) { OnCluster(r, "ListAttributes"); }},
    {"ListServiceDeployments", [](Request& r) { OneInCluster(r, "ListServiceDeployments", "service", "service"); }},
    // Service deployments and revisions are their own resources, named by their ARNs.
    {"DescribeServiceDeployments", [](Request& r) { Each(r, "DescribeServiceDeployments", "serviceDeploymentArns"); }},
    {"DescribeServiceRevisions", [](Request& r) { Each(r, "DescribeServiceRevisions", "serviceRevisionArns"); }},
    {"StopServiceDeployment", [](Request& r) { r.Need("StopServiceDeployment", std::string(r.Str("serviceDeploymentArn"))); }},
    {"ContinueServiceDeployment", [](Request& r) { r.Need("ContinueServiceDeployment", std::string(r.Str("serviceDeploymentArn"))); }},
};

}  // namespace

const ServiceTable kEcsTable = {
    "ecs", "ecs", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
