#include "model/task_assignment.h"

#include <boost/json/array.hpp>

#include "model/arn.h"
#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

// The wire names (task_assignment.h), each spelled once.
constexpr std::string_view kTaskArn = "taskArn";
constexpr std::string_view kDesiredStatus = "desiredStatus";
constexpr std::string_view kNetworkMode = "networkMode";
constexpr std::string_view kNode = "node";
constexpr std::string_view kContainerInstanceId = "containerInstanceId";
constexpr std::string_view kEni = "eni";
constexpr std::string_view kSubnetId = "subnetId";
constexpr std::string_view kCidr = "cidr";
constexpr std::string_view kVpcId = "vpcId";
constexpr std::string_view kIp = "ip";
constexpr std::string_view kGateway = "gateway";
constexpr std::string_view kDnsServer = "dnsServer";
constexpr std::string_view kSecurityGroups = "securityGroups";
constexpr std::string_view kEndpoints = "endpoints";
constexpr std::string_view kService = "service";
constexpr std::string_view kAddress = "address";
constexpr std::string_view kAdmitted = "admitted";
constexpr std::string_view kAddresses = "addresses";
constexpr std::string_view kVpcEndpointId = "vpcEndpointId";
constexpr std::string_view kPrivateDns = "privateDns";
constexpr std::string_view kTask = "task";
constexpr std::string_view kTaskDefinition = "taskDefinition";
constexpr std::string_view kContainerDefinitions = "containerDefinitions";
constexpr std::string_view kRevision = "revision";
constexpr std::string_view kAssignments = "assignments";
constexpr std::string_view kVpcDns = "vpcDns";

// ECS's network mode when a task definition names none.
constexpr std::string_view kDefaultNetworkMode = "bridge";

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("task assignment: " + std::string(what));
}

// A member that must be a non-empty string.
Result<std::string> RequiredString(const json::object& o, std::string_view key) {
  std::string value = GetString(o, key);
  if (value.empty()) return Malformed(std::string(key) + " is missing or not a string");
  return value;
}

// A member that must be an object (GetObject reads a missing one as empty).
Status RequireObject(const json::object& o, std::string_view key) {
  if (!Has(o, key) || !o.at(key).is_object()) return Malformed(std::string(key) + " is missing or not an object");
  return Status::OK();
}

// The agent starts containers from these: each must be an object with a name.
Status CheckContainerDefinitions(const json::object& task_definition) {
  const json::array& containers = GetArray(task_definition, kContainerDefinitions);
  if (containers.empty()) return Malformed("taskDefinition has no containerDefinitions");
  for (const auto& c : containers) {
    if (!c.is_object() || GetString(c.get_object(), "name").empty()) {
      return Malformed("a container definition is not an object with a name");
    }
  }
  return Status::OK();
}

Result<TaskAssignment::Eni> EniFromJson(const json::object& e) {
  TaskAssignment::Eni eni;
  ASSIGN_OR_RETURN(eni.subnet_id, RequiredString(e, kSubnetId));
  eni.vpc_id = GetString(e, kVpcId);
  eni.egress = GetBool(e, "egress").value_or(false);
  ASSIGN_OR_RETURN(eni.cidr, RequiredString(e, kCidr));
  ASSIGN_OR_RETURN(eni.ip, RequiredString(e, kIp));
  eni.gateway = GetString(e, kGateway);
  eni.dns_server = GetString(e, kDnsServer);
  eni.public_ip = GetString(e, "publicIp");
  eni.outside_address = GetString(e, "outsideAddress");
  eni.pulls_from = GetString(e, "pullsFrom");
  for (const auto& v : GetArray(e, "endpointServices")) {
    if (!v.is_string()) return Malformed("eni.endpointServices has a non-string");
    eni.endpoint_services.emplace_back(v.get_string());
  }
  for (const auto& v : GetArray(e, kEndpoints)) {
    if (!v.is_object()) return Malformed("eni.endpoints has a non-object");
    const json::object& o = v.get_object();
    TaskAssignment::Eni::Endpoint endpoint{GetString(o, kService), GetString(o, kAddress),
                                           GetBool(o, kAdmitted).value_or(false)};
    if (endpoint.service.empty() || endpoint.address.empty()) return Malformed("eni.endpoints has no service or address");
    for (const auto& a : GetArray(o, kAddresses)) {
      if (!a.is_string()) return Malformed("eni.endpoints has a non-string address");
      endpoint.addresses.emplace_back(a.get_string());
    }
    endpoint.vpc_endpoint_id = GetString(o, kVpcEndpointId);
    // An older server's endpoints were all reached by their private names.
    endpoint.private_dns = GetBool(o, kPrivateDns).value_or(true);
    eni.endpoints.push_back(std::move(endpoint));
  }
  if (Has(e, kSecurityGroups) && !e.at(kSecurityGroups).is_array()) return Malformed("eni.securityGroups is not an array");
  for (const auto& g : GetArray(e, kSecurityGroups)) {
    if (!g.is_string() || g.get_string().empty()) return Malformed("eni.securityGroups has a non-string");
    eni.security_groups.emplace_back(g.get_string());
  }
  return eni;
}

}  // namespace

std::string TaskAssignment::Eni::EndpointAddress(std::string_view service) const {
  for (const Endpoint& e : endpoints) {
    if (e.private_dns && e.service == service) return e.address;
  }
  return "";
}

std::string TaskAssignment::task_id() const { return ShortId(task_arn); }

json::object TaskAssignment::ToJson() const {
  json::object out{{kTaskArn, task_arn},
                   {kDesiredStatus, desired_status},
                   {kNetworkMode, network_mode},
                   {kNode, node},
                   {kTask, task},
                   {kTaskDefinition, task_definition}};
  if (!container_instance_id.empty()) out[kContainerInstanceId] = container_instance_id;
  if (eni) {
    json::array groups;
    for (const auto& g : eni->security_groups) groups.push_back(json::value(g));
    out[kEni] = json::object{{kSubnetId, eni->subnet_id}, {kCidr, eni->cidr},          {kIp, eni->ip},
                             {kGateway, eni->gateway},    {kSecurityGroups, std::move(groups)}};
    if (!eni->vpc_id.empty()) out[kEni].as_object()[kVpcId] = eni->vpc_id;
    if (eni->egress) out[kEni].as_object()["egress"] = true;
    if (!eni->dns_server.empty()) out[kEni].as_object()[kDnsServer] = eni->dns_server;
    if (!eni->public_ip.empty()) out[kEni].as_object()["publicIp"] = eni->public_ip;
    if (!eni->outside_address.empty()) out[kEni].as_object()["outsideAddress"] = eni->outside_address;
    if (!eni->pulls_from.empty()) out[kEni].as_object()["pullsFrom"] = eni->pulls_from;
    if (!eni->endpoint_services.empty()) {
      json::array services;
      for (const auto& s : eni->endpoint_services) services.push_back(json::value(s));
      out[kEni].as_object()["endpointServices"] = std::move(services);
    }
    if (!eni->endpoints.empty()) {
      json::array endpoints;
      for (const auto& x : eni->endpoints) {
        json::array addresses;
        for (const auto& a : x.addresses) addresses.push_back(json::value(a));
        endpoints.push_back(json::object{
            {kService, x.service}, {kAddress, x.address}, {kAdmitted, x.admitted}, {kAddresses, std::move(addresses)},
            {kVpcEndpointId, x.vpc_endpoint_id}, {kPrivateDns, x.private_dns}});
      }
      out[kEni].as_object()[kEndpoints] = std::move(endpoints);
    }
  }
  return out;
}

Result<TaskAssignment> TaskAssignment::FromJson(const json::object& message) {
  TaskAssignment a;
  ASSIGN_OR_RETURN(a.task_arn, RequiredString(message, kTaskArn));
  ASSIGN_OR_RETURN(a.desired_status, RequiredString(message, kDesiredStatus));
  if (a.desired_status != "RUNNING" && a.desired_status != "PENDING" && a.desired_status != "STOPPED") {
    return Malformed("desiredStatus " + a.desired_status + " is not RUNNING, PENDING or STOPPED");
  }
  ASSIGN_OR_RETURN(a.network_mode, RequiredString(message, kNetworkMode));
  if (a.network_mode != "awsvpc" && a.network_mode != "bridge" && a.network_mode != "host" &&
      a.network_mode != "none") {
    return Malformed("networkMode " + a.network_mode + " is not awsvpc, bridge, host or none");
  }
  ASSIGN_OR_RETURN(a.node, RequiredString(message, kNode));
  a.container_instance_id = GetString(message, kContainerInstanceId);

  if (a.network_mode == "awsvpc") {
    RETURN_IF_ERROR(RequireObject(message, kEni));
    ASSIGN_OR_RETURN(a.eni, EniFromJson(GetObject(message, kEni)));
  } else if (Has(message, kEni)) {
    return Malformed("eni is given for networkMode " + a.network_mode);
  }

  RETURN_IF_ERROR(RequireObject(message, kTask));
  a.task = GetObject(message, kTask);
  if (GetString(a.task, kTaskArn) != a.task_arn) return Malformed("task.taskArn is not " + a.task_arn);
  RETURN_IF_ERROR(RequireObject(message, kTaskDefinition));
  a.task_definition = GetObject(message, kTaskDefinition);
  RETURN_IF_ERROR(CheckContainerDefinitions(a.task_definition));
  return a;
}

TaskAssignment AssignmentOf(const TaskRecord& record) {
  TaskAssignment a;
  a.task_arn = record.arn();
  a.desired_status = record.desired_status();
  a.network_mode = record.network_mode().empty() ? std::string(kDefaultNetworkMode) : record.network_mode();
  a.node = record.node();
  a.container_instance_id = record.container_instance_id();
  if (auto eni = record.eni(); eni && a.network_mode == "awsvpc") {
    a.eni = TaskAssignment::Eni{eni->subnet_id, eni->vpc_id, eni->cidr, eni->ip, eni->gateway,
                                record.security_groups(), eni->egress, eni->dns_server, eni->public_ip};
  }
  a.task = PresentTask(record.json());
  a.task_definition = record.task_definition();
  return a;
}

json::object TaskAssignments::ToJson() const {
  json::array list;
  for (const auto& a : assignments) list.push_back(a.ToJson());
  json::object out{{kRevision, revision}, {kAssignments, std::move(list)}};
  if (!security.empty()) security.AddTo(out);
  if (!vpc_dns.empty()) {
    json::array tables;
    for (const auto& t : vpc_dns) tables.push_back(t.ToJson());
    out[kVpcDns] = std::move(tables);
  }
  return out;
}

Result<TaskAssignments> TaskAssignments::FromJson(const json::object& answer) {
  TaskAssignments out;
  std::optional<int64_t> revision = GetInt(answer, kRevision);
  if (!revision || *revision < 0) return Malformed("revision is missing or not a whole number");
  out.revision = *revision;
  if (!Has(answer, kAssignments) || !answer.at(kAssignments).is_array()) {
    return Malformed("assignments is missing or not an array");
  }
  for (const auto& v : GetArray(answer, kAssignments)) {
    if (!v.is_object()) return Malformed("an assignment is not an object");
    ASSIGN_OR_RETURN(TaskAssignment a, TaskAssignment::FromJson(v.get_object()));
    out.assignments.push_back(std::move(a));
  }
  ASSIGN_OR_RETURN(out.security, NodeSecurity::FromAnswer(answer));
  if (Has(answer, kVpcDns) && !answer.at(kVpcDns).is_array()) return Malformed("vpcDns is not an array");
  for (const auto& v : GetArray(answer, kVpcDns)) {
    if (!v.is_object()) return Malformed("a vpcDns table is not an object");
    ASSIGN_OR_RETURN(VpcDnsTable t, VpcDnsTable::FromJson(v.get_object()));
    out.vpc_dns.push_back(std::move(t));
  }
  return out;
}

}  // namespace wharf::model
