// AWS::ServiceDiscovery::PrivateDnsNamespace (Ref: the namespace id; GetAtt Id, Arn,
// HostedZoneId) and AWS::ServiceDiscovery::Service (Ref: the service id; GetAtt Id, Arn,
// Name), as the AWS resource reference documents them. A namespace is made and deleted by an
// operation Cloud Map runs; the resource is CREATE_COMPLETE (DELETE_COMPLETE) once it
// succeeded. A namespace's description and SOA TTL, a service's description, DNS records and
// health check change in place.
#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

constexpr int kPolls = 600;
constexpr int kPollMs = 200;

// Waits for Cloud Map's operation; its targets.
Result<json::object> WaitOperation(const Caller& c, const std::string& operation_id) {
  json::object targets;
  RETURN_IF_ERROR(PollUntil(c, kPolls, kPollMs, [&]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "GetOperation", {{"OperationId", operation_id}}));
    const auto& op = GetObject(out, "Operation");
    std::string status = GetString(op, "Status");
    if (status == "FAIL") return Status::InvalidArgument(GetString(op, "ErrorMessage"));
    targets = GetObject(op, "Targets");
    return status == "SUCCESS";
  }, "Cloud Map operation " + operation_id + " did not finish"));
  return targets;
}

Result<ProvisionedResource> NamespaceMade(const Caller& c, const std::string& id) {
  ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "GetNamespace", {{"Id", id}}));
  const auto& ns = GetObject(out, "Namespace");
  return Made(id, {{"Id", id},
                   {"Arn", GetString(ns, "Arn")},
                   {"HostedZoneId", GetString(GetObject(GetObject(ns, "Properties"), "DnsProperties"), "HostedZoneId")}});
}

Result<ProvisionedResource> CreateNamespace(const Caller& c, std::string_view, const json::object& p) {
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("servicediscovery", "CreatePrivateDnsNamespace"), p));
  ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "CreatePrivateDnsNamespace", std::move(input.get_object())));
  ASSIGN_OR_RETURN(auto targets, WaitOperation(c, GetString(out, "OperationId")));
  std::string id = GetString(targets, "NAMESPACE");
  c.Record(id);
  return NamespaceMade(c, id);
}

Result<ProvisionedResource> UpdateNamespace(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name", "Vpc"})) return controlplane::ReplacementNeeded("Name or Vpc changed");
  if (AnyChanged(changed, {"Description", "Properties"})) {
    json::object change;
    if (p.contains("Description")) change["Description"] = p.at("Description");
    if (p.contains("Properties")) change["Properties"] = p.at("Properties");
    ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("servicediscovery", "UpdatePrivateDnsNamespace"),
                                                json::object{{"Id", r.physical_id}, {"Namespace", std::move(change)}}));
    ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "UpdatePrivateDnsNamespace", std::move(input.get_object())));
    RETURN_IF_ERROR(WaitOperation(c, GetString(out, "OperationId")).status());
  }
  if (AnyChanged(changed, {"Tags"})) return Status::InvalidArgument("wharf does not change a namespace's Tags in place yet");
  return NamespaceMade(c, r.physical_id);
}

Status DeleteNamespace(const Caller& c, const model::StackResource& r) {
  std::string operation;
  // Services of the stack deleted just before may still be going.
  Status sent = PollUntil(c, kPolls, kPollMs, [&]() -> Result<bool> {
    Outcome out = c.Try("servicediscovery", "DeleteNamespace", {{"Id", r.physical_id}});
    if (out.ok()) operation = GetString(out.output(), "OperationId");
    if (out.ok() || out.error().code == "NamespaceNotFound") return true;
    if (out.error().code != "ResourceInUse") return Status::InvalidArgument(out.error().message);
    return false;
  }, "namespace " + r.physical_id + " still has services");
  RETURN_IF_ERROR(sent);
  if (operation.empty()) return Status::OK();
  return WaitOperation(c, operation).status();
}

// ---- Service ----

Result<ProvisionedResource> ServiceMade(const json::object& service) {
  std::string id = GetString(service, "Id");
  return Made(id, {{"Id", id}, {"Arn", GetString(service, "Arn")}, {"Name", GetString(service, "Name")}});
}

Result<ProvisionedResource> CreateService(const Caller& c, std::string_view id, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"ServiceAttributes"}));
  json::object in = p;
  if (GetString(in, "Name").empty()) in["Name"] = c.PhysicalName(id, 127, true);
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("servicediscovery", "CreateService"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "CreateService", std::move(input.get_object())));
  return ServiceMade(GetObject(out, "Service"));
}

Result<ProvisionedResource> UpdateService(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name", "NamespaceId", "HealthCheckCustomConfig", "Type", "Tags", "ServiceAttributes"})) {
    return controlplane::ReplacementNeeded("Name, NamespaceId, HealthCheckCustomConfig, Type or Tags changed");
  }
  json::object change;
  if (p.contains("Description")) change["Description"] = p.at("Description");
  if (const auto* dns = p.if_contains("DnsConfig"); dns && dns->is_object()) {
    change["DnsConfig"] = json::object{{"DnsRecords", GetArray(dns->get_object(), "DnsRecords")}};
  }
  if (p.contains("HealthCheckConfig")) change["HealthCheckConfig"] = p.at("HealthCheckConfig");
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("servicediscovery", "UpdateService"),
                                              json::object{{"Id", r.physical_id}, {"Service", std::move(change)}}));
  ASSIGN_OR_RETURN(auto out, c.Call("servicediscovery", "UpdateService", std::move(input.get_object())));
  RETURN_IF_ERROR(WaitOperation(c, GetString(out, "OperationId")).status());
  ASSIGN_OR_RETURN(auto got, c.Call("servicediscovery", "GetService", {{"Id", r.physical_id}}));
  return ServiceMade(GetObject(got, "Service"));
}

Status DeleteService(const Caller& c, const model::StackResource& r) {
  // An ECS service deleted just before may still be deregistering its instances.
  return DeleteWhenFree(c, "servicediscovery", "DeleteService", {{"Id", r.physical_id}}, {"ServiceNotFound"},
                        {"ResourceInUse"});
}

}  // namespace

void AddServiceDiscoveryTypes(TypeTable& types) {
  types["AWS::ServiceDiscovery::PrivateDnsNamespace"] = {CreateNamespace, UpdateNamespace, DeleteNamespace};
  types["AWS::ServiceDiscovery::Service"] = {CreateService, UpdateService, DeleteService};
}

}  // namespace wharf::api::cloudformation
