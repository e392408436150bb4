// Tasks: RunTask, StartTask, StopTask, DescribeTasks, ListTasks.
//
// RunTask decides against a snapshot (the cluster's instances and tasks, read at one
// placement epoch), then commits every placed task in one transaction that re-checks the
// epoch (STYLE.md 10): two concurrent RunTasks never both take the last free memory; the
// loser re-reads and places again. Agents learn their tasks from the store (assignments.h).
#include <arpa/inet.h>

#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "api/ecs/placement_snapshot.h"
#include "api/ecs/task_launch.h"
#include "api/ecs/task_records.h"
#include "scheduler/placement.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

constexpr char kPlacementEpochKey[] = "ecs/placement-epoch";

std::string EniIpPrefix(std::string_view subnet) { return "ecs/eni-ips/" + std::string(subnet) + "/"; }

// What RunTask and StartTask were asked for, checked.
struct Launch {
  std::string cluster;
  json::object task_definition;
  json::object overrides;
  std::string launch_type;            // EC2 | FARGATE
  std::string capacity_provider;      // set when a strategy chose it
  std::vector<SubnetInfo> subnets;    // awsvpc
  json::array security_groups;
  int count = 1;
};

// An awsvpc address: the first one free in the subnet after the four AWS reserves.
Result<std::optional<std::string>> FreeAddress(const EcsDeps& deps, const SubnetInfo& subnet,
                                               const std::set<std::string>& taken_now) {
  std::string cidr = subnet.cidr;
  size_t slash = cidr.find('/');
  in_addr base{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &base) != 1) {
    return Status::Internal("subnet " + subnet.id + " has a bad CIDR " + cidr);
  }
  int bits = std::atoi(cidr.c_str() + slash + 1);
  uint32_t network = ntohl(base.s_addr) & (bits == 0 ? 0 : ~uint32_t{0} << (32 - bits));
  uint32_t size = bits >= 32 ? 1 : uint32_t{1} << (32 - bits);
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(EniIpPrefix(subnet.id), "", 0));
  std::set<std::string> used = taken_now;
  for (const auto& kv : page.items) used.insert(kv.key.substr(EniIpPrefix(subnet.id).size()));
  for (uint32_t i = 4; i + 1 < size; ++i) {
    in_addr a{htonl(network + i)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof text);
    if (!used.count(text)) return std::optional<std::string>(text);
  }
  return std::optional<std::string>();
}

std::string Gateway(const std::string& cidr) {
  in_addr base{};
  inet_pton(AF_INET, cidr.substr(0, cidr.find('/')).c_str(), &base);
  in_addr gw{htonl(ntohl(base.s_addr) + 1)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &gw, text, sizeof text);
  return text;
}

std::string RandomMac(Random& random) {
  std::string hex = RandomHex(random, 10);
  std::string mac = "0e";
  for (size_t i = 0; i < hex.size(); i += 2) mac += ":" + hex.substr(i, 2);
  return mac;
}

std::optional<AwsError> CheckNetwork(const EcsDeps& deps, const json::object& in, Launch& launch) {
  std::string mode = GetString(launch.task_definition, "networkMode", "bridge");
  const json::object& vpc = GetObject(GetObject(in, "networkConfiguration"), "awsvpcConfiguration");
  if (mode != "awsvpc") {
    if (!vpc.empty()) {
      return InvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.");
    }
    return std::nullopt;
  }
  if (vpc.empty()) {
    return InvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (!deps.find_subnet) return InvalidParameter("awsvpc needs the EC2 VPC API, which this server does not run.");
  for (const auto& s : GetArray(vpc, "subnets")) {
    std::string id(s.get_string());
    auto found = deps.find_subnet(id);
    if (!found.ok()) return EcsError(found.status());
    if (!*found) {
      return InvalidParameter("Error retrieving subnet information for [" + id + "]: The subnet ID '" + id +
                              "' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: "
                              "InvalidSubnetID.NotFound)");
    }
    launch.subnets.push_back(**found);
  }
  if (launch.subnets.empty()) return InvalidParameter("subnets can not be empty.");
  if (launch.subnets.size() > 16) return InvalidParameter("At most 16 subnets can be provided.");
  launch.security_groups = GetArray(vpc, "securityGroups");
  if (launch.security_groups.size() > 5) return InvalidParameter("At most 5 security groups can be provided.");
  for (const auto& g : launch.security_groups) {
    std::string id(g.get_string());
    auto exists = deps.security_group_exists ? deps.security_group_exists(id) : Result<bool>(true);
    if (!exists.ok()) return EcsError(exists.status());
    if (!*exists) {
      return InvalidParameter("Error retrieving security group information for [" + id +
                              "]: The security group '" + id + "' does not exist (Service: AmazonEC2; "
                              "Status Code: 400; Error Code: InvalidGroup.NotFound)");
    }
  }
  if (launch.security_groups.empty() && deps.find_default_security_group) {
    auto sg = deps.find_default_security_group(launch.subnets.front().vpc_id);
    if (sg.ok() && !sg->empty()) launch.security_groups.push_back(json::value(*sg));
  }
  return std::nullopt;
}

// Launch type from launchType, the capacity provider strategy, or the cluster's default.
std::optional<AwsError> ChooseLaunchType(const json::object& in, const json::object& cluster, Launch& launch) {
  launch.launch_type = GetString(in, "launchType");
  const json::array* strategy = &GetArray(in, "capacityProviderStrategy");
  if (!launch.launch_type.empty() && !strategy->empty()) {
    return InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. "
                            "Remove one and try again.");
  }
  if (launch.launch_type.empty() && strategy->empty()) strategy = &GetArray(cluster, "defaultCapacityProviderStrategy");
  if (launch.launch_type.empty() && !strategy->empty()) {
    // FARGATE and FARGATE_SPOT both run on the nodes; the first with weight or base wins.
    for (const auto& item : *strategy) {
      std::string name = GetString(item.get_object(), "capacityProvider");
      if (name != "FARGATE" && name != "FARGATE_SPOT") {
        return InvalidParameter("The specified capacity provider strategy cannot contain a capacity provider "
                                "that is not associated with the cluster.");
      }
      if (launch.capacity_provider.empty()) launch.capacity_provider = name;
    }
    launch.launch_type = "FARGATE";
  }
  if (launch.launch_type.empty()) launch.launch_type = "EC2";
  if (launch.launch_type == "EXTERNAL" || launch.launch_type == "MANAGED_INSTANCES") {
    return InvalidParameter("launchType " + launch.launch_type + " is not supported by wharf: use EC2 or FARGATE.");
  }
  return std::nullopt;
}

std::optional<AwsError> CheckOverrides(const json::object& td, const json::object& overrides) {
  for (const auto& o : GetArray(overrides, "containerOverrides")) {
    std::string name = GetString(o.get_object(), "name");
    bool known = false;
    for (const auto& c : GetArray(td, "containerDefinitions")) known = known || GetString(c.get_object(), "name") == name;
    if (!known) return InvalidParameter("Override for container named " + name + " is not a container in the TaskDefinition.");
    if (Has(o.get_object(), "environmentFiles") || Has(o.get_object(), "resourceRequirements")) {
      return InvalidParameter("environmentFiles and resourceRequirements overrides are not supported by wharf.");
    }
  }
  return std::nullopt;
}

Result<Launch> ReadLaunch(const EcsDeps& deps, const json::object& in, std::optional<AwsError>& error) {
  Launch launch;
  launch.cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_RETURN(auto cluster, ReadRecord(deps.store, ClusterKey(launch.cluster)));
  if (!cluster || GetString(cluster->first, "status") != "ACTIVE") {
    error = ClusterNotFound();
    return launch;
  }
  ASSIGN_OR_RETURN(auto td, FindTaskDefinition(deps, GetString(in, "taskDefinition")));
  if (!td) {
    error = ClientError("Unable to find task definition '" + GetString(in, "taskDefinition") + "'.");
    return launch;
  }
  if (GetString(*td, "status") == "DELETE_IN_PROGRESS") {
    error = ClientError("TaskDefinition is inactive");
    return launch;
  }
  launch.task_definition = std::move(*td);
  launch.overrides = GetObject(in, "overrides");
  if ((error = CheckOverrides(launch.task_definition, launch.overrides))) return launch;
  if ((error = ChooseLaunchType(in, cluster->first, launch))) return launch;
  if (launch.launch_type == "FARGATE") {
    bool compatible = false;
    for (const auto& c : GetArray(launch.task_definition, "compatibilities")) compatible = compatible || c == "FARGATE";
    if (!compatible) {
      error = InvalidParameter("Task definition does not support launch_type FARGATE.");
      return launch;
    }
    if (!GetArray(in, "placementConstraints").empty() || !GetArray(in, "placementStrategy").empty()) {
      error = InvalidParameter("Task placement constraints and strategies are not supported with launch type FARGATE.");
      return launch;
    }
  }
  error = CheckNetwork(deps, in, launch);
  return launch;
}

std::vector<scheduler::Constraint> Constraints(const json::object& td, const json::object& in) {
  std::vector<scheduler::Constraint> out;
  for (const auto* list : {&GetArray(td, "placementConstraints"), &GetArray(in, "placementConstraints")}) {
    for (const auto& c : *list) {
      out.push_back({GetString(c.get_object(), "type"), GetString(c.get_object(), "expression")});
    }
  }
  return out;
}

std::vector<scheduler::Strategy> Strategies(const json::object& in) {
  std::vector<scheduler::Strategy> out;
  for (const auto& s : GetArray(in, "placementStrategy")) {
    out.push_back({GetString(s.get_object(), "type"), GetString(s.get_object(), "field")});
  }
  return out;
}

// Fargate runs on the nodes: one scheduler instance per node, its capacity that of the
// node's container instance less every task the node runs, whichever cluster.
Result<std::vector<scheduler::Instance>> NodeSnapshot(const EcsDeps& deps) {
  ASSIGN_OR_RETURN(auto instances, LoadContainerInstances(deps.store, ""));
  ASSIGN_OR_RETURN(auto tasks, LoadTasks(deps.store, "ecs/tasks/"));
  std::map<std::string, scheduler::Instance> nodes;
  for (const auto& record : instances) {
    const json::object& ci = GetObject(record, "containerInstance");
    std::string node = GetString(record, "node");
    if (GetString(ci, "status") != "ACTIVE" || nodes.count(node)) continue;
    scheduler::Instance n;
    n.arn = node;
    n.id = node;
    for (const auto& r : GetArray(ci, "registeredResources")) {
      std::string name = GetString(r.get_object(), "name");
      if (name == "CPU") n.remaining_cpu = GetInt(r.get_object(), "integerValue").value_or(0);
      if (name == "MEMORY") n.remaining_memory = GetInt(r.get_object(), "integerValue").value_or(0);
    }
    for (const auto& a : GetArray(ci, "attributes")) {
      n.attributes[GetString(a.get_object(), "name")] = GetString(a.get_object(), "value");
    }
    nodes[node] = std::move(n);
  }
  for (const auto& task : tasks) {
    auto it = nodes.find(GetString(GetObject(task, "_wharf"), "node"));
    if (it == nodes.end() || IsStopped(task)) continue;
    Demand d = TaskDemand(GetObject(GetObject(task, "_wharf"), "taskDefinition"), GetObject(task, "overrides"));
    it->second.remaining_cpu -= d.cpu;
    it->second.remaining_memory -= d.memory;
  }
  std::vector<scheduler::Instance> out;
  for (auto& [_, n] : nodes) out.push_back(std::move(n));
  return out;
}

// A new task record, placed on `where` (a container instance for EC2, a node for Fargate).
json::object NewTask(const EcsDeps& deps, const json::object& in, const Launch& launch,
                     const scheduler::Instance* instance, const std::string& node,
                     const std::string& availability_zone, const std::optional<std::string>& ip,
                     const SubnetInfo* subnet, double now) {
  const json::object& td = launch.task_definition;
  std::string id = RandomHex(deps.random, 32);
  std::string task_arn = Arn(deps, "task/" + launch.cluster + "/" + id);
  bool awsvpc = GetString(td, "networkMode", "bridge") == "awsvpc";
  Demand demand = TaskDemand(td, launch.overrides);
  json::object task;
  std::string attachment_id = RandomUuid(deps.random);
  json::object eni;
  if (awsvpc && subnet && ip) {
    std::string mac = RandomMac(deps.random);
    std::string eni_id = "eni-" + RandomHex(deps.random, 17);
    json::array details{
        json::object{{"name", "subnetId"}, {"value", subnet->id}},
        json::object{{"name", "networkInterfaceId"}, {"value", eni_id}},
        json::object{{"name", "macAddress"}, {"value", mac}},
        json::object{{"name", "privateDnsName"}, {"value", "ip-" + std::string(*ip) + "." + deps.region + ".compute.internal"}},
        json::object{{"name", "privateIPv4Address"}, {"value", *ip}},
    };
    task["attachments"] = json::array{json::object{{"id", attachment_id}, {"type", "ElasticNetworkInterface"},
                                                   {"status", "PRECREATED"}, {"details", std::move(details)}}};
    eni = json::object{{"subnetId", subnet->id}, {"cidr", subnet->cidr}, {"ip", *ip}, {"mac", mac},
                       {"gateway", Gateway(subnet->cidr)}, {"eniId", eni_id}, {"attachmentId", attachment_id}};
  } else {
    task["attachments"] = json::array();
  }
  task["attributes"] = json::array{json::object{{"name", "ecs.cpu-architecture"}, {"value", "x86_64"}}};
  task["availabilityZone"] = availability_zone;
  if (!launch.capacity_provider.empty()) task["capacityProviderName"] = launch.capacity_provider;
  task["clusterArn"] = Arn(deps, "cluster/" + launch.cluster);
  if (instance) task["containerInstanceArn"] = instance->arn;
  json::array containers;
  for (const auto& v : GetArray(td, "containerDefinitions")) {
    const json::object& c = v.get_object();
    json::object container{{"containerArn", Arn(deps, "container/" + launch.cluster + "/" + id + "/" + RandomUuid(deps.random))},
                           {"taskArn", task_arn}, {"name", GetString(c, "name")}, {"image", GetString(c, "image")},
                           {"lastStatus", "PENDING"}, {"networkInterfaces", json::array()},
                           {"cpu", std::to_string(GetInt(c, "cpu").value_or(0))}};
    if (auto m = GetInt(c, "memory")) container["memory"] = std::to_string(*m);
    if (auto m = GetInt(c, "memoryReservation")) container["memoryReservation"] = std::to_string(*m);
    if (ip) {
      container["networkInterfaces"] = json::array{json::object{{"attachmentId", attachment_id}, {"privateIpv4Address", *ip}}};
    }
    containers.push_back(std::move(container));
  }
  task["containers"] = std::move(containers);
  task["cpu"] = std::to_string(demand.cpu);
  task["memory"] = std::to_string(demand.memory);
  task["createdAt"] = now;
  task["desiredStatus"] = "RUNNING";
  task["enableExecuteCommand"] = false;
  task["group"] = GetString(in, "group", "family:" + GetString(td, "family"));
  task["lastStatus"] = awsvpc ? "PROVISIONING" : "PENDING";
  task["launchType"] = launch.launch_type;
  json::object overrides = launch.overrides;
  overrides["containerOverrides"] = GetArray(launch.overrides, "containerOverrides");
  if (!Has(overrides, "inferenceAcceleratorOverrides")) overrides["inferenceAcceleratorOverrides"] = json::array();
  task["overrides"] = std::move(overrides);
  if (launch.launch_type == "FARGATE") {
    task["platformVersion"] = "1.4.0";
    task["platformFamily"] = "Linux";
    task["ephemeralStorage"] = json::object{{"sizeInGiB", 20}};
  }
  if (Has(in, "startedBy")) task["startedBy"] = GetString(in, "startedBy");
  task["tags"] = GetArray(in, "tags");
  task["taskArn"] = task_arn;
  task["taskDefinitionArn"] = GetString(td, "taskDefinitionArn");
  task["version"] = 1;
  json::array host_ports;
  for (int p : demand.host_ports) host_ports.push_back(p);
  task["_wharf"] = json::object{{"node", node}, {"containerInstanceId", instance ? instance->id : ""},
                                {"taskDefinition", td}, {"networkMode", GetString(td, "networkMode", "bridge")},
                                {"eni", std::move(eni)}, {"hostPorts", std::move(host_ports)},
                                {"securityGroups", launch.security_groups}};
  return task;
}

json::array Failures(const std::vector<scheduler::Failure>& plan_failures) {
  json::array failures;
  for (const auto& f : plan_failures) {
    json::object o{{"arn", f.arn}, {"reason", f.reason}};
    if (!f.detail.empty()) o["detail"] = f.detail;
    failures.push_back(std::move(o));
  }
  return failures;
}

// Decides where `launch.count` tasks go against a snapshot read at the placement epoch and
// builds the transaction that writes them; `start_on` limits EC2 placement (StartTask).
std::variant<TaskLaunchPlan, AwsError> PlanPlacement(const EcsDeps& deps, const json::object& in,
                                                     const Launch& launch,
                                                     const std::vector<std::string>* start_on) {
  TaskLaunchPlan out;
  auto epoch = deps.store.Get(kPlacementEpochKey);
  if (!epoch.ok()) return EcsError(epoch.status());
  int64_t epoch_revision = *epoch ? (*epoch)->mod_revision : 0;
  std::vector<scheduler::Instance> candidates;
  std::map<std::string, std::string> node_of;  // candidate arn -> node id
  if (launch.launch_type == "FARGATE") {
    auto nodes = NodeSnapshot(deps);
    if (!nodes.ok()) return EcsError(nodes.status());
    candidates = std::move(*nodes);
    for (const auto& c : candidates) node_of[c.arn] = c.id;
  } else {
    auto records = LoadContainerInstances(deps.store, launch.cluster);
    if (!records.ok()) return EcsError(records.status());
    auto tasks = LoadTasks(deps.store, TasksPrefix(launch.cluster));
    if (!tasks.ok()) return EcsError(tasks.status());
    for (const auto& r : *records) {
      json::object ci = PresentContainerInstance(r, *tasks);
      if (GetString(ci, "status") == "INACTIVE") continue;
      scheduler::Instance s = InstanceSnapshot(ci, *tasks);
      if (start_on && std::find(start_on->begin(), start_on->end(), s.id) == start_on->end()) continue;
      node_of[s.arn] = GetString(r, "node");
      candidates.push_back(std::move(s));
    }
  }
  if (candidates.empty()) {
    if (launch.launch_type == "FARGATE") {
      out.failures.push_back(json::object{
          {"reason", "Capacity is unavailable at this time. Please try again later or in a different availability zone"}});
      return out;
    }
    return InvalidParameter("No Container Instances were found in your cluster.");
  }
  Demand demand = TaskDemand(launch.task_definition, launch.overrides);
  scheduler::TaskShape shape;
  shape.cpu = demand.cpu;
  shape.memory = demand.memory;
  shape.host_ports = demand.host_ports;
  shape.group = GetString(in, "group", "family:" + GetString(launch.task_definition, "family"));
  shape.task_definition_arn = GetString(launch.task_definition, "taskDefinitionArn");
  for (const auto& a : GetArray(launch.task_definition, "requiresAttributes")) {
    shape.required_attributes.push_back(GetString(a.get_object(), "name"));
  }
  std::vector<scheduler::Strategy> strategies = Strategies(in);
  if (launch.launch_type == "FARGATE") strategies = {{"spread", "instanceId"}};
  auto plan = scheduler::Place(candidates, shape, launch.count, Constraints(launch.task_definition, in),
                               strategies, deps.random.Next());
  if (!plan.ok()) return InvalidParameter(plan.status().message());
  out.failures = Failures(plan->failures);

  double now = NowSeconds(deps);
  out.txn.compares.push_back({kPlacementEpochKey, epoch_revision});
  out.txn.ops.push_back(store::Op::Put(kPlacementEpochKey, "{}"));
  std::map<std::string, std::set<std::string>> taken;  // subnet -> addresses of this plan
  size_t subnet_turn = 0;
  for (const std::string& arn : plan->instance_arns) {
    const scheduler::Instance* instance = nullptr;
    for (const auto& c : candidates) {
      if (c.arn == arn) instance = &c;
    }
    std::string az = instance ? instance->attributes.count("ecs.availability-zone")
                                    ? instance->attributes.at("ecs.availability-zone") : ""
                              : "";
    const SubnetInfo* subnet = nullptr;
    std::optional<std::string> ip;
    if (!launch.subnets.empty()) {
      subnet = &launch.subnets[subnet_turn++ % launch.subnets.size()];
      az = subnet->availability_zone;
      auto free = FreeAddress(deps, *subnet, taken[subnet->id]);
      if (!free.ok()) return EcsError(free.status());
      ip = *free;
      if (!ip) return InvalidParameter("The subnet " + subnet->id + " has no free IP addresses left.");
      taken[subnet->id].insert(*ip);
    }
    if (az.empty()) az = deps.region + "a";
    json::object task = NewTask(deps, in, launch, launch.launch_type == "FARGATE" ? nullptr : instance,
                                node_of[arn], az, ip, subnet, now);
    std::string key = TaskKey(launch.cluster, ShortId(GetString(task, "taskArn")));
    out.txn.compares.push_back({key, 0});
    out.txn.ops.push_back(store::Op::Put(key, Serialize(task)));
    if (ip) {
      std::string claim = EniIpPrefix(subnet->id) + *ip;
      out.txn.compares.push_back({claim, 0});
      out.txn.ops.push_back(store::Op::Put(claim, Serialize(json::object{{"taskArn", task["taskArn"]}})));
    }
    out.tasks.push_back(std::move(task));
  }
  if (out.tasks.empty()) out.txn = {};
  return out;
}

// Places and commits `launch.count` tasks, deciding again when another placement won.
Outcome PlaceAndCommit(const EcsDeps& deps, const json::object& in, const Launch& launch,
                       const std::vector<std::string>* start_on) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto decided = PlanPlacement(deps, in, launch, start_on);
    if (auto* err = std::get_if<AwsError>(&decided)) return *err;
    TaskLaunchPlan& plan = std::get<TaskLaunchPlan>(decided);
    if (!plan.tasks.empty()) {
      ASSIGN_OR_FAIL(store::TxnResult r, deps.store.Commit(plan.txn), EcsError);
      if (!r.succeeded) return store::kConflict;  // someone placed meanwhile: decide again
    }
    json::array tasks;
    for (const auto& t : plan.tasks) tasks.push_back(PresentTask(t.get_object()));
    return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(plan.failures)}};
  }).value_or(AwsError::Server("ServerException", "Too many concurrent placements; retry."));
}

std::optional<AwsError> CheckTaskRequest(const json::object& in) {
  if (GetString(in, "startedBy").size() > 128) return InvalidParameter("startedBy can be at most 128 characters.");
  if (auto err = CheckTags(GetArray(in, "tags"))) return err;
  if (GetBool(in, "enableExecuteCommand").value_or(false)) {
    return InvalidParameter("enableExecuteCommand is not supported by wharf.");
  }
  if (!GetArray(in, "volumeConfigurations").empty()) {
    return InvalidParameter("volumeConfigurations (Amazon EBS volumes) are not supported by wharf.");
  }
  return std::nullopt;
}

}  // namespace

Outcome RunTask(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckTaskRequest(in)) return *err;
  std::optional<AwsError> error;
  ASSIGN_OR_FAIL(Launch launch, ReadLaunch(deps, in, error), EcsError);
  if (error) return *error;
  int64_t count = GetInt(in, "count").value_or(1);
  if (count < 1 || count > 10) return InvalidParameter("count must be between 1 and 10.");
  launch.count = static_cast<int>(count);
  return PlaceAndCommit(deps, in, launch, nullptr);
}

std::variant<TaskLaunchPlan, AwsError> PlanTaskLaunch(const EcsDeps& deps, const json::object& request, int count,
                                                      const std::vector<std::string>* start_on) {
  std::optional<AwsError> error;
  auto launch = ReadLaunch(deps, request, error);
  if (!launch.ok()) return EcsError(launch.status());
  if (error) return *error;
  if (!start_on) {
    launch->count = count;
    return PlanPlacement(deps, request, *launch, nullptr);
  }
  // One task on each instance, all in one transaction (one epoch compare, one epoch write).
  TaskLaunchPlan all;
  for (const std::string& id : *start_on) {
    std::vector<std::string> only{id};
    launch->count = 1;
    auto one = PlanPlacement(deps, request, *launch, &only);
    if (auto* err = std::get_if<AwsError>(&one)) return *err;
    TaskLaunchPlan& plan = std::get<TaskLaunchPlan>(one);
    for (auto& f : plan.failures) all.failures.push_back(std::move(f));
    if (plan.tasks.empty()) continue;
    for (auto& t : plan.tasks) all.tasks.push_back(std::move(t));
    for (auto& c : plan.txn.compares) {
      bool seen = false;
      for (const auto& have : all.txn.compares) seen = seen || have.key == c.key;
      if (!seen) all.txn.compares.push_back(std::move(c));
    }
    for (auto& o : plan.txn.ops) {
      bool seen = false;
      for (const auto& have : all.txn.ops) seen = seen || have.key == o.key;
      if (!seen) all.txn.ops.push_back(std::move(o));
    }
  }
  return all;
}

std::optional<AwsError> CheckTaskLaunch(const EcsDeps& deps, const json::object& request) {
  std::optional<AwsError> error;
  auto launch = ReadLaunch(deps, request, error);
  if (!launch.ok()) return EcsError(launch.status());
  return error;
}

Outcome StartTask(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckTaskRequest(in)) return *err;
  std::optional<AwsError> error;
  json::object request = in;
  request["launchType"] = "EC2";
  ASSIGN_OR_FAIL(Launch launch, ReadLaunch(deps, request, error), EcsError);
  if (error) return *error;
  const json::array& refs = GetArray(in, "containerInstances");
  if (refs.empty() || refs.size() > 10) {
    return InvalidParameter("containerInstances must list between 1 and 10 container instances.");
  }
  // One task on each listed instance, as StartTask does.
  json::array tasks, failures;
  for (const auto& ref : refs) {
    std::vector<std::string> only{ShortId(ref.get_string())};
    launch.count = 1;
    Outcome one = PlaceAndCommit(deps, request, launch, &only);
    if (!one.ok()) return one;
    for (auto& t : one.output()["tasks"].as_array()) tasks.push_back(std::move(t));
    for (auto& f : one.output()["failures"].as_array()) failures.push_back(std::move(f));
  }
  return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

Outcome StopTask(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  std::string ref = GetString(in, "task");
  auto stopped = UpdateRecord(deps.store, TaskKey(cluster, ShortId(ref)),
                              [&](std::optional<json::object>& found) -> store::Decision<Outcome> {
    if (!found) return InvalidParameter("The referenced task was not found.");
    json::object& task = *found;
    if (GetString(task, "desiredStatus") == "STOPPED") return json::object{{"task", PresentTask(task)}};
    task["desiredStatus"] = "STOPPED";
    task["stopCode"] = "UserInitiated";
    task["stoppedReason"] = GetString(in, "reason", "Task stopped by user");
    task["stoppingAt"] = NowSeconds(deps);
    task["version"] = GetInt(task, "version").value_or(0) + 1;
    return store::Commit(json::object{{"task", PresentTask(task)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(stopped), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The task changed while stopping; retry."));
}

Outcome DescribeTasks(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  const json::array& refs = GetArray(in, "tasks");
  if (refs.empty()) return InvalidParameter("Tasks cannot be empty.");
  if (refs.size() > 100) return InvalidParameter("Tasks cannot have more than 100 entries.");
  bool with_tags = false;
  for (const auto& inc : GetArray(in, "include")) with_tags = with_tags || inc == "TAGS";
  json::array tasks, failures;
  for (const auto& v : refs) {
    std::string ref(v.get_string());
    ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, TaskKey(cluster, ShortId(ref))), EcsError);
    if (!found) {
      std::string arn = ref.substr(0, 4) == "arn:" ? ref : Arn(deps, "task/" + cluster + "/" + ref);
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    json::object task = PresentTask(found->first);
    if (!with_tags) task.erase("tags");
    tasks.push_back(std::move(task));
  }
  return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

Outcome ListTasks(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  if (Has(in, "serviceName") && Has(in, "family")) {
    return InvalidParameter("Family and serviceName filters cannot both be specified.");
  }
  std::string after;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto key = ReadNextToken(token);
    if (!key) return InvalidParameter("Invalid nextToken.");
    after = *key;
  }
  std::string instance = ShortId(GetString(in, "containerInstance"));
  std::string family = GetString(in, "family");
  std::string started_by = GetString(in, "startedBy");
  std::string service = GetString(in, "serviceName");
  std::string desired = GetString(in, "desiredStatus", "RUNNING");
  std::string launch_type = GetString(in, "launchType");
  // wharf runs no ECS daemons: a daemonName filter matches no task.
  if (Has(in, "daemonName")) return json::object{{"taskArns", json::array()}};
  ASSIGN_OR_FAIL(store::Page page, deps.store.List(TasksPrefix(cluster), after, 0), EcsError);
  json::array arns;
  std::string last;
  bool more = false;
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object task, ParseObject(kv.value), EcsError);
    const json::object& meta = GetObject(task, "_wharf");
    if (!instance.empty() && GetString(meta, "containerInstanceId") != instance) continue;
    if (!family.empty() && GetString(GetObject(meta, "taskDefinition"), "family") != family) continue;
    if (!started_by.empty() && GetString(task, "startedBy") != started_by) continue;
    if (!service.empty() && GetString(task, "group") != "service:" + service) continue;
    if (GetString(task, "desiredStatus") != desired) continue;
    if (!launch_type.empty() && GetString(task, "launchType") != launch_type) continue;
    if (arns.size() == page_size) {
      more = true;
      break;
    }
    arns.push_back(task["taskArn"]);
    last = kv.key;
  }
  json::object out{{"taskArns", std::move(arns)}};
  if (more) out["nextToken"] = MakeNextToken(last);
  return out;
}

}  // namespace wharf::api::ecs
