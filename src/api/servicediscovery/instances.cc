// Instances: registration (through operations), reads, health, and discovery.
#include <boost/json/array.hpp>
#include <algorithm>
#include <cctype>

#include "api/servicediscovery/handlers.h"

namespace wharf::api::servicediscovery {
namespace json = boost::json;
namespace {

// Runs `change` with the service and the instance (nullopt: absent) in a draft; `change`
// writes what it changes. The service's InstancesRevision advances when the instance changed.
Outcome ChangeInstance(
    const CloudMapDeps& deps, const std::string& service_ref, const std::string& instance_id,
    const std::function<std::variant<Outcome, AwsError>(store::Draft&, const object& service,
                                                        std::optional<object>& instance)>& change) {
  std::string service_id = IdOf(service_ref);
  std::string service_key = model::keys::CloudMapServiceKey(service_id);
  std::string key = model::keys::CloudMapInstanceKey(service_id, instance_id);
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto service, controlplane::GetRecord(draft, service_key));
    if (!service) return store::Decision<Outcome>(ServiceNotFound());
    ASSIGN_OR_RETURN(auto instance, controlplane::GetRecord(draft, key));
    std::optional<object> before = instance;
    auto answer = change(draft, *service, instance);
    if (auto* err = std::get_if<AwsError>(&answer)) return store::Decision<Outcome>(*err);
    if (instance != before) {
      if (instance) {
        controlplane::PutRecord(draft, key, *instance);
      } else {
        draft.Delete(key);
      }
      (*service)["InstancesRevision"] = GetInt(*service, "InstancesRevision").value_or(0) + 1;
      controlplane::PutRecord(draft, service_key, *service);
    }
    return store::Decision<Outcome>(store::Commit(std::move(std::get<Outcome>(answer))));
  });
}

// The namespace DiscoverInstances names (by its HTTP name) and its service by name.
std::variant<std::pair<object, object>, AwsError> FindByNames(const CloudMapDeps& deps, const object& in) {
  std::string ns_name = GetString(in, "NamespaceName"), service_name = GetString(in, "ServiceName");
  auto namespaces = LoadAll(deps, model::keys::kCloudMapNamespaces);
  if (!namespaces.ok()) return CloudMapError(namespaces.status());
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  for (auto& ns : *namespaces) {
    std::string http_name = GetString(GetObject(GetObject(ns, "Properties"), "HttpProperties"), "HttpName");
    if (lower(http_name) != lower(ns_name)) continue;
    auto services = LoadAll(deps, model::keys::kCloudMapServices);
    if (!services.ok()) return CloudMapError(services.status());
    for (auto& s : *services) {
      if (GetString(s, "NamespaceId") == GetString(ns, "Id") && lower(GetString(s, "Name")) == lower(service_name)) {
        return std::make_pair(std::move(ns), std::move(s));
      }
    }
    return ServiceNotFound();
  }
  return NamespaceNotFound();
}

std::map<std::string, std::string> AttributeMap(const object& o) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o) {
    if (v.is_string()) out[k] = std::string(v.as_string());
  }
  return out;
}

}  // namespace

Outcome RegisterInstance(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string service_id = IdOf(GetString(in, "ServiceId"));
  std::string instance_id = GetString(in, "InstanceId");
  const object& attributes = GetObject(in, "Attributes");
  object operation = NewOperation(deps, "REGISTER_INSTANCE", object{{"SERVICE", service_id}, {"INSTANCE", instance_id}});
  return ChangeInstance(deps, service_id, instance_id,
                        [&](store::Draft& draft, const object& service,
                            std::optional<object>& instance) -> std::variant<Outcome, AwsError> {
    Status checked = model::CheckInstanceAttributes(service, attributes);
    if (!checked.ok()) return InvalidInput(checked.message());
    std::string health = GetString(attributes, model::kInitHealthStatus, "HEALTHY");
    // Registering an instance again updates it; its custom health stays as it was.
    if (instance) health = GetString(*instance, "HealthStatus", health);
    object record{{"Id", instance_id}, {"Attributes", attributes}, {"CreatedByAccount", deps.account_id},
                  {"HealthStatus", health}};
    if (Has(in, "CreatorRequestId")) record["CreatorRequestId"] = GetString(in, "CreatorRequestId");
    instance = std::move(record);
    return RecordOperation(draft, operation);
  });
}

Outcome DeregisterInstance(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string service_id = IdOf(GetString(in, "ServiceId"));
  std::string instance_id = GetString(in, "InstanceId");
  object operation = NewOperation(deps, "DEREGISTER_INSTANCE", object{{"SERVICE", service_id}, {"INSTANCE", instance_id}});
  return ChangeInstance(deps, service_id, instance_id,
                        [&](store::Draft& draft, const object&, std::optional<object>& instance)
                            -> std::variant<Outcome, AwsError> {
    if (!instance) return InstanceNotFound(instance_id);
    instance.reset();
    return RecordOperation(draft, operation);
  });
}

Outcome GetInstance(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadService(deps, GetString(in, "ServiceId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& service = std::get<StoredRecord>(loaded).value;
  std::string id = GetString(in, "InstanceId");
  ASSIGN_OR_FAIL(auto record,
                 controlplane::ReadRecord(deps.store, model::keys::CloudMapInstanceKey(GetString(service, "Id"), id)),
                 CloudMapError);
  if (!record) return InstanceNotFound(id);
  object instance = record->value;
  instance.erase("HealthStatus");
  return object{{"ResourceOwner", GetString(service, "ResourceOwner")}, {"Instance", std::move(instance)}};
}

Outcome ListInstances(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadService(deps, GetString(in, "ServiceId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& service = std::get<StoredRecord>(loaded).value;
  ASSIGN_OR_FAIL(auto instances, LoadInstances(deps, GetString(service, "Id")), CloudMapError);
  auto page = Page(in, instances.size());
  if (auto* err = std::get_if<AwsError>(&page)) return *err;
  const PageOf& p = std::get<PageOf>(page);
  json::array out;
  for (size_t i = p.begin; i < p.end; ++i) {
    const object& r = instances[i];
    out.push_back(object{{"Id", GetString(r, "Id")}, {"Attributes", GetObject(r, "Attributes")},
                         {"CreatedByAccount", GetString(r, "CreatedByAccount")}});
  }
  object answer{{"ResourceOwner", GetString(service, "ResourceOwner")}, {"Instances", std::move(out)}};
  if (!p.next_token.empty()) answer["NextToken"] = p.next_token;
  return answer;
}

Outcome GetInstancesHealthStatus(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadService(deps, GetString(in, "ServiceId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& service = std::get<StoredRecord>(loaded).value;
  ASSIGN_OR_FAIL(auto instances, LoadInstances(deps, GetString(service, "Id")), CloudMapError);
  std::vector<const object*> chosen;
  if (Has(in, "Instances")) {
    for (const auto& v : GetArray(in, "Instances")) {
      std::string id(v.as_string());
      auto it = std::find_if(instances.begin(), instances.end(),
                             [&](const object& i) { return GetString(i, "Id") == id; });
      if (it == instances.end()) return InstanceNotFound(id);
      chosen.push_back(&*it);
    }
  } else {
    for (const auto& i : instances) chosen.push_back(&i);
  }
  auto page = Page(in, chosen.size());
  if (auto* err = std::get_if<AwsError>(&page)) return *err;
  const PageOf& p = std::get<PageOf>(page);
  object status;
  for (size_t i = p.begin; i < p.end; ++i) {
    status[GetString(*chosen[i], "Id")] = model::InstanceHealth(service, *chosen[i]);
  }
  object answer{{"Status", std::move(status)}};
  if (!p.next_token.empty()) answer["NextToken"] = p.next_token;
  return answer;
}

Outcome UpdateInstanceCustomHealthStatus(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string instance_id = GetString(in, "InstanceId");
  std::string status = GetString(in, "Status");
  return ChangeInstance(deps, GetString(in, "ServiceId"), instance_id,
                        [&](store::Draft&, const object& service, std::optional<object>& instance)
                            -> std::variant<Outcome, AwsError> {
    if (!Has(service, "HealthCheckCustomConfig")) {
      return AwsError::Client("CustomHealthNotFound",
                              "The service " + GetString(service, "Id") + " has no HealthCheckCustomConfig.");
    }
    if (!instance) return InstanceNotFound(instance_id);
    (*instance)["HealthStatus"] = status;
    return Outcome(object{});
  });
}

Outcome DiscoverInstances(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto found = FindByNames(deps, in);
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const auto& [ns, service] = std::get<std::pair<object, object>>(found);
  ASSIGN_OR_FAIL(auto instances, LoadInstances(deps, GetString(service, "Id")), CloudMapError);
  model::DiscoverQuery query;
  query.query_parameters = AttributeMap(GetObject(in, "QueryParameters"));
  query.optional_parameters = AttributeMap(GetObject(in, "OptionalParameters"));
  query.health_status = GetString(in, "HealthStatus", "HEALTHY");
  query.max_results = static_cast<size_t>(GetInt(in, "MaxResults").value_or(100));
  json::array out;
  std::string http_name = GetString(GetObject(GetObject(ns, "Properties"), "HttpProperties"), "HttpName");
  for (const auto& i : model::DiscoverInstances(service, instances, query)) {
    out.push_back(object{{"InstanceId", GetString(i, "Id")},
                         {"NamespaceName", http_name},
                         {"ServiceName", GetString(service, "Name")},
                         {"HealthStatus", model::InstanceHealth(service, i)},
                         {"Attributes", GetObject(i, "Attributes")}});
  }
  return object{{"Instances", std::move(out)},
                {"InstancesRevision", GetInt(service, "InstancesRevision").value_or(0)}};
}

Outcome DiscoverInstancesRevision(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto found = FindByNames(deps, in);
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const object& service = std::get<std::pair<object, object>>(found).second;
  return object{{"InstancesRevision", GetInt(service, "InstancesRevision").value_or(0)}};
}

}  // namespace wharf::api::servicediscovery
