// ResolveTaskLaunch: RunTask's checks of what is asked, as ECS words them.
#include "controlplane/task_launch.h"

#include "controlplane/records.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

// A group is in the subnets' VPC (EC2's words for an interface whose group and subnet differ).
// A group the store has no record of (a fake in tests) is not checked.
Status CheckGroupInVpc(store::Store& store, const std::string& group_id, const SubnetInfo& subnet) {
  ASSIGN_OR_RETURN(auto group, ReadRecord(store, model::keys::SecurityGroupKey(group_id)));
  if (!group) return Status::OK();
  std::string vpc_id = GetString(group->value, "VpcId");
  if (vpc_id == subnet.vpc_id) return Status::OK();
  return Invalid("Security group " + group_id + " and subnet " + subnet.id +
                 " belong to different networks (the group is in " + vpc_id + ", the subnet in " + subnet.vpc_id +
                 ").");
}

// assignPublicIp ENABLED needs subnets that reach an internet gateway: their route table (the
// one associated with them, else the VPC's main one) sends 0.0.0.0/0 to an igw-. A public
// address in a subnet without one could be reached by nothing.
Status CheckPublicSubnets(store::Store& store, const std::vector<SubnetInfo>& subnets) {
  ASSIGN_OR_RETURN(auto tables, LoadRecords(store, model::keys::kRouteTables));
  for (const SubnetInfo& s : subnets) {
    const json::object* table = model::RouteTableOfSubnet(tables, s.id, s.vpc_id);
    if (table && model::RouteTableRecord(*table).routes_to_internet_gateway()) continue;
    return Invalid("assignPublicIp is ENABLED but subnet " + s.id +
                   " has no route to an internet gateway: its route table " +
                   (table ? model::RouteTableRecord(*table).id() : std::string("(none)")) +
                   " has no 0.0.0.0/0 route to an igw-. Use a public subnet, or DISABLED with a NAT gateway.");
  }
  return Status::OK();
}

Status CheckNetwork(const TaskLaunchDeps& deps, const TaskLaunchRequest& in, TaskLaunch& launch) {
  std::string mode = GetString(launch.task_definition, "networkMode", "bridge");
  const json::object& vpc = GetObject(in.network_configuration, "awsvpcConfiguration");
  if (mode != "awsvpc") {
    if (!vpc.empty()) {
      return Invalid("Network Configuration is not valid for the given networkMode of this task definition.");
    }
    return Status::OK();
  }
  if (vpc.empty()) return Invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  if (!deps.find_subnet) return Invalid("awsvpc needs the EC2 VPC API, which this server does not run.");
  for (const auto& s : GetArray(vpc, "subnets")) {
    std::string id(s.get_string());
    ASSIGN_OR_RETURN(auto found, deps.find_subnet(id));
    if (!found) {
      return Invalid("Error retrieving subnet information for [" + id + "]: The subnet ID '" + id +
                     "' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: "
                     "InvalidSubnetID.NotFound)");
    }
    launch.subnets.push_back(*found);
  }
  if (launch.subnets.empty()) return Invalid("subnets can not be empty.");
  if (launch.subnets.size() > 16) return Invalid("At most 16 subnets can be provided.");
  const SubnetInfo& first = launch.subnets.front();
  for (const SubnetInfo& s : launch.subnets) {
    if (s.vpc_id != first.vpc_id) {
      return Invalid("The subnets of a task must all be in one VPC: " + first.id + " is in " + first.vpc_id + ", " +
                     s.id + " in " + s.vpc_id + ".");
    }
  }
  launch.security_groups = GetArray(vpc, "securityGroups");
  if (launch.security_groups.size() > 5) return Invalid("At most 5 security groups can be provided.");
  for (const auto& g : launch.security_groups) {
    std::string id(g.get_string());
    bool exists = true;
    if (deps.security_group_exists) {
      ASSIGN_OR_RETURN(exists, deps.security_group_exists(id));
    }
    if (!exists) {
      return Invalid("Error retrieving security group information for [" + id + "]: The security group '" + id +
                     "' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup.NotFound)");
    }
    RETURN_IF_ERROR(CheckGroupInVpc(deps.store, id, first));
  }
  std::string assign = GetString(vpc, "assignPublicIp", "DISABLED");
  if (assign != "ENABLED" && assign != "DISABLED") {
    return Invalid("assignPublicIp must be ENABLED or DISABLED.");
  }
  if (assign == "ENABLED") {
    RETURN_IF_ERROR(CheckPublicSubnets(deps.store, launch.subnets));
    if (deps.public_ip_pool.empty()) return Invalid("assignPublicIp ENABLED needs the server's public IP pool.");
    launch.assign_public_ip = true;
  }
  ASSIGN_OR_RETURN(auto tables, LoadRecords(deps.store, model::keys::kRouteTables));
  bool outside = std::any_of(tables.begin(), tables.end(), [&](const json::object& t) {
    model::RouteTableRecord table(t);
    return table.vpc_id() == first.vpc_id && table.routes_outside();
  });
  std::string resolver;
  ASSIGN_OR_RETURN(auto vpc_kv, deps.store.Get(model::keys::VpcKey(first.vpc_id)));
  if (vpc_kv) {
    ASSIGN_OR_RETURN(auto vpc_record, ParseObject(vpc_kv->value));
    model::VpcRecord vpc_view(vpc_record);
    if (vpc_view.attribute("enableDnsSupport")) resolver = model::VpcResolverAddress(vpc_view.cidr_block());
  }
  for (SubnetInfo& s : launch.subnets) {
    s.vpc_reaches_outside = outside;
    s.vpc_resolver = resolver;
  }
  if (launch.security_groups.empty() && deps.find_default_security_group) {
    auto sg = deps.find_default_security_group(launch.subnets.front().vpc_id);
    if (sg.ok() && !sg->empty()) launch.security_groups.push_back(json::value(*sg));
  }
  return Status::OK();
}

// Launch type from launchType, the capacity provider strategy, or the cluster's default.
Status ChooseLaunchType(const TaskLaunchRequest& in, const json::object& cluster, TaskLaunch& launch) {
  launch.launch_type = in.launch_type;
  const json::array* strategy = &in.capacity_provider_strategy;
  if (!launch.launch_type.empty() && !strategy->empty()) {
    return Invalid("Specifying both a launch type and capacity provider strategy is not supported. "
                   "Remove one and try again.");
  }
  if (launch.launch_type.empty() && strategy->empty()) strategy = &GetArray(cluster, "defaultCapacityProviderStrategy");
  if (launch.launch_type.empty() && !strategy->empty()) {
    // FARGATE and FARGATE_SPOT both run on the nodes; the first with weight or base wins.
    for (const auto& item : *strategy) {
      std::string name = GetString(item.get_object(), "capacityProvider");
      if (name != "FARGATE" && name != "FARGATE_SPOT") {
        return Invalid("The specified capacity provider strategy cannot contain a capacity provider "
                       "that is not associated with the cluster.");
      }
      if (launch.capacity_provider.empty()) launch.capacity_provider = name;
    }
    launch.launch_type = "FARGATE";
  }
  if (launch.launch_type.empty()) launch.launch_type = "EC2";
  if (launch.launch_type == "EXTERNAL" || launch.launch_type == "MANAGED_INSTANCES") {
    return Invalid("launchType " + launch.launch_type + " is not supported by wharf: use EC2 or FARGATE.");
  }
  return Status::OK();
}

Status CheckOverrides(const json::object& td, const json::object& overrides) {
  for (const auto& o : GetArray(overrides, "containerOverrides")) {
    std::string name = GetString(o.get_object(), "name");
    bool known = false;
    for (const auto& c : GetArray(td, "containerDefinitions")) known = known || GetString(c.get_object(), "name") == name;
    if (!known) return Invalid("Override for container named " + name + " is not a container in the TaskDefinition.");
    if (Has(o.get_object(), "environmentFiles") || Has(o.get_object(), "resourceRequirements")) {
      return Invalid("environmentFiles and resourceRequirements overrides are not supported by wharf.");
    }
  }
  return Status::OK();
}

}  // namespace

Result<TaskLaunch> ResolveTaskLaunch(const TaskLaunchDeps& deps, const TaskLaunchRequest& request) {
  TaskLaunch launch;
  launch.request = request;
  launch.cluster = model::ClusterName(request.cluster);
  ASSIGN_OR_RETURN(auto cluster, ReadRecord(deps.store, model::keys::ClusterKey(launch.cluster)));
  if (!cluster || GetString(cluster->value, "status") != "ACTIVE") return Status::NotFound("Cluster not found.");
  ASSIGN_OR_RETURN(auto td, FindTaskDefinition(deps.store, request.task_definition));
  if (!td) return Status::FailedPrecondition("Unable to find task definition '" + request.task_definition + "'.");
  if (GetString(*td, "status") == "DELETE_IN_PROGRESS") return Status::FailedPrecondition("TaskDefinition is inactive");
  launch.task_definition = std::move(*td);
  if (launch.request.group.empty()) launch.request.group = "family:" + GetString(launch.task_definition, "family");
  RETURN_IF_ERROR(CheckOverrides(launch.task_definition, request.overrides));
  RETURN_IF_ERROR(ChooseLaunchType(request, cluster->value, launch));
  if (launch.launch_type == "FARGATE") {
    bool compatible = false;
    for (const auto& c : GetArray(launch.task_definition, "compatibilities")) compatible = compatible || c == "FARGATE";
    if (!compatible) return Invalid("Task definition does not support launch_type FARGATE.");
    if (!request.placement_constraints.empty() || !request.placement_strategy.empty()) {
      return Invalid("Task placement constraints and strategies are not supported with launch type FARGATE.");
    }
  }
  RETURN_IF_ERROR(CheckNetwork(deps, request, launch));
  return launch;
}

}  // namespace wharf::controlplane
