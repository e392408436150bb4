// PlanTaskLaunch: where a resolved launch's tasks go, and the records that say so.
//
// EC2 tasks are placed on the cluster's container instances by what they have left (their
// registered resources less the tasks on them); FARGATE tasks on the nodes, one scheduler
// instance per node whatever the cluster. awsvpc addresses are taken here: the first free one
// of each subnet in turn, claimed under ecs/eni-ips/ in the same transaction as the task.
#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

#include "controlplane/records.h"
#include "controlplane/task_launch.h"
#include "controlplane/vpc_rules.h"
#include "model/container_instance.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/task.h"
#include "model/vpc_dns.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {

// RunTask's failure when Fargate has no capacity: no node, or even the overcommitted pool of
// every node is short (AWS names no container instance: there is none to name).
constexpr char kFargateCapacityUnavailable[] =
    "Capacity is unavailable at this time. Please try again later or in a different availability zone";

double NowSeconds(const TaskLaunchDeps& deps) { return EpochSeconds(deps.clock.Now()); }

// An awsvpc address: the first one free in the subnet after the four AWS reserves.
Result<std::optional<std::string>> FreeAddress(const TaskLaunchDeps& deps, const SubnetInfo& subnet,
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
  std::string prefix = model::keys::EniIpPrefix(subnet.id);
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(prefix, "", 0));
  std::set<std::string> used = taken_now;
  for (const auto& kv : page.items) used.insert(kv.key.substr(prefix.size()));
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

std::vector<scheduler::Constraint> Constraints(const TaskLaunch& launch) {
  std::vector<scheduler::Constraint> out;
  for (const auto* list : {&GetArray(launch.task_definition, "placementConstraints"), &launch.request.placement_constraints}) {
    for (const auto& c : *list) out.push_back({GetString(c.get_object(), "type"), GetString(c.get_object(), "expression")});
  }
  return out;
}

std::vector<scheduler::Strategy> Strategies(const TaskLaunch& launch) {
  if (launch.launch_type == "FARGATE") return {{"spread", "instanceId"}};
  std::vector<scheduler::Strategy> out;
  for (const auto& s : launch.request.placement_strategy) {
    out.push_back({GetString(s.get_object(), "type"), GetString(s.get_object(), "field")});
  }
  return out;
}

// Fargate runs on the nodes: one scheduler instance per node, its capacity the overcommitted
// pool of scheduler/fargate_capacity.h: `deps.fargate_overcommit` x what the node's container
// instance registered, less every task the node runs, whichever cluster and launch type.
Result<std::vector<scheduler::Instance>> NodeSnapshot(const TaskLaunchDeps& deps) {
  ASSIGN_OR_RETURN(auto instances, LoadContainerInstances(deps.store, ""));
  ASSIGN_OR_RETURN(auto tasks, LoadRecords(deps.store, model::keys::kTasks));
  struct Node {
    scheduler::Instance instance;
    scheduler::Resources registered, reserved;
  };
  std::map<std::string, Node> nodes;
  for (const auto& record : instances) {
    const json::object& ci = GetObject(record, "containerInstance");
    std::string id = GetString(record, "node");
    if (GetString(ci, "status") != "ACTIVE" || nodes.count(id)) continue;
    Node n;
    n.instance.arn = id;
    n.instance.id = id;
    for (const auto& r : GetArray(ci, "registeredResources")) {
      std::string name = GetString(r.get_object(), "name");
      if (name == "CPU") n.registered.cpu = GetInt(r.get_object(), "integerValue").value_or(0);
      if (name == "MEMORY") n.registered.memory = GetInt(r.get_object(), "integerValue").value_or(0);
    }
    for (const auto& a : GetArray(ci, "attributes")) {
      n.instance.attributes[GetString(a.get_object(), "name")] = GetString(a.get_object(), "value");
    }
    nodes[id] = std::move(n);
  }
  for (const auto& value : tasks) {
    model::TaskRecord task(value);
    auto it = nodes.find(task.node());
    if (it == nodes.end() || task.stopped()) continue;
    model::Demand d = task.demand();
    it->second.reserved.cpu += d.cpu;
    it->second.reserved.memory += d.memory;
  }
  std::vector<scheduler::Instance> out;
  for (auto& [_, n] : nodes) {
    out.push_back(scheduler::FargateNode(std::move(n.instance), n.registered, n.reserved, deps.fargate_overcommit));
  }
  return out;
}

// A new task record, placed on `instance` (EC2) or `node` (Fargate).
json::object NewTask(const TaskLaunchDeps& deps, const TaskLaunch& launch, const scheduler::Instance* instance,
                     const std::string& node, const std::string& availability_zone,
                     const std::optional<std::string>& ip, const SubnetInfo* subnet, double now) {
  const json::object& td = launch.task_definition;
  std::string id = RandomHex(deps.random, 32);
  std::string task_arn = model::EcsArn(deps.scope, "task/" + launch.cluster + "/" + id);
  bool awsvpc = GetString(td, "networkMode", "bridge") == "awsvpc";
  model::Demand demand = model::TaskDemand(td, launch.request.overrides);
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
        json::object{{"name", "privateDnsName"}, {"value", model::PrivateDnsName(*ip, deps.scope.region)}},
        json::object{{"name", "privateIPv4Address"}, {"value", *ip}},
    };
    task["attachments"] = json::array{json::object{{"id", attachment_id}, {"type", "ElasticNetworkInterface"},
                                                   {"status", "PRECREATED"}, {"details", std::move(details)}}};
    eni = json::object{{"subnetId", subnet->id}, {"vpcId", subnet->vpc_id}, {"cidr", subnet->cidr}, {"ip", *ip}, {"mac", mac},
                       {"gateway", Gateway(subnet->cidr)}, {"eniId", eni_id}, {"attachmentId", attachment_id},
                       {"egress", subnet->vpc_reaches_outside}};
    if (!subnet->vpc_resolver.empty()) eni["dnsServer"] = subnet->vpc_resolver;
  } else {
    task["attachments"] = json::array();
  }
  task["attributes"] = json::array{json::object{{"name", "ecs.cpu-architecture"}, {"value", "x86_64"}}};
  task["availabilityZone"] = availability_zone;
  if (!launch.capacity_provider.empty()) task["capacityProviderName"] = launch.capacity_provider;
  task["clusterArn"] = model::EcsArn(deps.scope, "cluster/" + launch.cluster);
  if (instance) task["containerInstanceArn"] = instance->arn;
  json::array containers;
  for (const auto& v : GetArray(td, "containerDefinitions")) {
    const json::object& c = v.get_object();
    json::object container{
        {"containerArn", model::EcsArn(deps.scope, "container/" + launch.cluster + "/" + id + "/" + RandomUuid(deps.random))},
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
  task["group"] = launch.request.group;
  task["lastStatus"] = awsvpc ? "PROVISIONING" : "PENDING";
  task["launchType"] = launch.launch_type;
  json::object overrides = launch.request.overrides;
  overrides["containerOverrides"] = GetArray(launch.request.overrides, "containerOverrides");
  if (!Has(overrides, "inferenceAcceleratorOverrides")) overrides["inferenceAcceleratorOverrides"] = json::array();
  task["overrides"] = std::move(overrides);
  if (launch.launch_type == "FARGATE") {
    task["platformVersion"] = "1.4.0";
    task["platformFamily"] = "Linux";
    task["ephemeralStorage"] = json::object{{"sizeInGiB", 20}};
  }
  if (!launch.request.started_by.empty()) task["startedBy"] = launch.request.started_by;
  task["tags"] = launch.request.tags;
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

// Addresses this decision already gave out, by subnet (the public pool's under kPublicPool):
// two placements decided together never take the same one.
using TakenAddresses = std::map<std::string, std::set<std::string>>;
constexpr const char* kPublicPool = "public";

// A free address of the public pool, as AllocateAddress picks one: neither the pool's first
// nor its last, not claimed under ec2/public-ips/ and not in `taken_now`.
Result<std::optional<std::string>> FreePublicAddress(const TaskLaunchDeps& deps, const std::set<std::string>& taken_now) {
  auto pool = vpc::ParseIpv4Cidr(deps.public_ip_pool);
  if (!pool) return Status::Internal("bad public IP pool " + deps.public_ip_pool);
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(model::keys::kPublicIps, "", 0));
  std::set<std::string> used = taken_now;
  for (const auto& kv : page.items) used.insert(kv.key.substr(model::keys::kPublicIps.size()));
  for (uint64_t i = 1; i + 1 < pool->Size(); ++i) {
    std::string candidate = vpc::FormatIpv4(pool->Network() + static_cast<uint32_t>(i));
    if (!used.count(candidate)) return std::optional<std::string>(candidate);
  }
  return std::optional<std::string>();
}

// Places `count` tasks of `launch`, EC2 ones only on `only` when given.
Result<TaskLaunchPlan> Place(const TaskLaunchDeps& deps, const TaskLaunch& launch, int count,
                             const std::string* only, TakenAddresses& taken) {
  TaskLaunchPlan out;
  ASSIGN_OR_RETURN(auto epoch, deps.store.Get(model::keys::kPlacementEpoch));
  int64_t epoch_revision = epoch ? epoch->mod_revision : 0;
  std::vector<scheduler::Instance> candidates;
  std::map<std::string, std::string> node_of;  // candidate arn -> node id
  if (launch.launch_type == "FARGATE") {
    ASSIGN_OR_RETURN(candidates, NodeSnapshot(deps));
    for (const auto& c : candidates) node_of[c.arn] = c.id;
  } else {
    ASSIGN_OR_RETURN(auto records, LoadContainerInstances(deps.store, launch.cluster));
    ASSIGN_OR_RETURN(auto tasks, LoadRecords(deps.store, model::keys::TasksPrefix(launch.cluster)));
    for (const auto& r : records) {
      json::object ci = model::PresentContainerInstance(r, tasks);
      if (GetString(ci, "status") == "INACTIVE") continue;
      scheduler::Instance s = InstanceSnapshot(ci, tasks);
      if (only && s.id != *only) continue;
      node_of[s.arn] = GetString(r, "node");
      candidates.push_back(std::move(s));
    }
  }
  if (candidates.empty()) {
    if (launch.launch_type == "FARGATE") {
      out.failures.push_back(json::object{{"reason", kFargateCapacityUnavailable}});
      return out;
    }
    return Status::InvalidArgument("No Container Instances were found in your cluster.");
  }
  model::Demand demand = model::TaskDemand(launch.task_definition, launch.request.overrides);
  scheduler::TaskShape shape;
  shape.cpu = demand.cpu;
  shape.memory = demand.memory;
  shape.host_ports = demand.host_ports;
  shape.group = launch.request.group;
  shape.task_definition_arn = GetString(launch.task_definition, "taskDefinitionArn");
  for (const auto& a : GetArray(launch.task_definition, "requiresAttributes")) {
    shape.required_attributes.push_back(GetString(a.get_object(), "name"));
  }
  auto plan = scheduler::Place(candidates, shape, count, Constraints(launch), Strategies(launch), deps.random.Next());
  if (!plan.ok()) return Status::InvalidArgument(plan.status().message());
  if (launch.launch_type != "FARGATE") {
    out.failures = Failures(plan->failures);
  } else if (!plan->failures.empty()) {
    out.failures.push_back(json::object{{"reason", kFargateCapacityUnavailable}});
  }

  double now = NowSeconds(deps);
  std::string epoch_key(model::keys::kPlacementEpoch);
  out.txn.compares.push_back({epoch_key, epoch_revision});
  out.txn.ops.push_back(store::Op::Put(epoch_key, "{}"));
  size_t subnet_turn = 0;
  for (const std::string& arn : plan->instance_arns) {
    const scheduler::Instance* instance = nullptr;
    for (const auto& c : candidates) {
      if (c.arn == arn) instance = &c;
    }
    std::string az = instance && instance->attributes.count("ecs.availability-zone")
                         ? instance->attributes.at("ecs.availability-zone") : "";
    const SubnetInfo* subnet = nullptr;
    std::optional<std::string> ip, public_ip;
    if (!launch.subnets.empty()) {
      subnet = &launch.subnets[subnet_turn++ % launch.subnets.size()];
      az = subnet->availability_zone;
      ASSIGN_OR_RETURN(ip, FreeAddress(deps, *subnet, taken[subnet->id]));
      if (!ip) return Status::InvalidArgument("The subnet " + subnet->id + " has no free IP addresses left.");
      taken[subnet->id].insert(*ip);
      if (launch.assign_public_ip) {
        ASSIGN_OR_RETURN(public_ip, FreePublicAddress(deps, taken[kPublicPool]));
        if (!public_ip) return Status::InvalidArgument("The public IP address pool has no free addresses left.");
        taken[kPublicPool].insert(*public_ip);
      }
    }
    if (az.empty()) az = deps.scope.region + "a";
    json::object task = NewTask(deps, launch, launch.launch_type == "FARGATE" ? nullptr : instance, node_of[arn], az,
                                ip, subnet, now);
    if (public_ip) {
      // Claimed beside the elastic IPs, so that AllocateAddress never hands it out meanwhile.
      task["_wharf"].as_object()["eni"].as_object()["publicIp"] = *public_ip;
      std::string claim = model::keys::PublicIpKey(*public_ip);
      out.txn.compares.push_back({claim, 0});
      out.txn.ops.push_back(store::Op::Put(claim, Serialize(json::object{{"taskArn", task["taskArn"]}})));
    }
    std::string key = model::keys::TaskKey(launch.cluster, model::TaskRecord(task).id());
    out.txn.compares.push_back({key, 0});
    out.txn.ops.push_back(store::Op::Put(key, Serialize(task)));
    if (ip) {
      std::string claim = model::keys::EniIpKey(subnet->id, *ip);
      out.txn.compares.push_back({claim, 0});
      out.txn.ops.push_back(store::Op::Put(claim, Serialize(json::object{{"taskArn", task["taskArn"]}})));
    }
    out.tasks.push_back(std::move(task));
  }
  if (out.tasks.empty()) out.txn = {};
  return out;
}

// Adds `part`'s compares and writes to `into`, each key once (one epoch compare and write).
void Merge(TaskLaunchPlan& into, TaskLaunchPlan&& part) {
  for (auto& f : part.failures) into.failures.push_back(std::move(f));
  if (part.tasks.empty()) return;
  for (auto& t : part.tasks) into.tasks.push_back(std::move(t));
  auto has = [](const auto& list, const std::string& key) {
    return std::any_of(list.begin(), list.end(), [&](const auto& x) { return x.key == key; });
  };
  for (auto& c : part.txn.compares) {
    if (!has(into.txn.compares, c.key)) into.txn.compares.push_back(std::move(c));
  }
  for (auto& o : part.txn.ops) {
    if (!has(into.txn.ops, o.key)) into.txn.ops.push_back(std::move(o));
  }
}

}  // namespace

scheduler::Instance InstanceSnapshot(const json::object& ci, const std::vector<json::object>& tasks) {
  scheduler::Instance s;
  s.arn = GetString(ci, "containerInstanceArn");
  s.id = model::ShortId(s.arn);
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
  for (const auto& value : tasks) {
    model::TaskRecord task(value);
    if (task.container_instance_id() != s.id || task.stopped()) continue;
    s.task_groups.push_back(task.group());
    s.task_definitions.push_back(task.task_definition_arn());
  }
  return s;
}

Result<ContainerInstanceFilter> ContainerInstanceFilter::Parse(std::string_view expression) {
  ASSIGN_OR_RETURN(scheduler::ClusterQuery query, scheduler::ClusterQuery::Parse(expression));
  return ContainerInstanceFilter(std::move(query));
}

bool ContainerInstanceFilter::Matches(const json::object& container_instance,
                                      const std::vector<json::object>& tasks) const {
  return query_.Matches(InstanceSnapshot(container_instance, tasks));
}

Result<TaskLaunchPlan> PlanTaskLaunch(const TaskLaunchDeps& deps, const TaskLaunch& launch) {
  TakenAddresses taken;
  if (!launch.request.start_on) return Place(deps, launch, launch.request.count, nullptr, taken);
  // One task on each listed instance, all in one transaction.
  TaskLaunchPlan all;
  for (const std::string& id : *launch.request.start_on) {
    ASSIGN_OR_RETURN(TaskLaunchPlan one, Place(deps, launch, 1, &id, taken));
    Merge(all, std::move(one));
  }
  return all;
}

}  // namespace wharf::controlplane
