// Services: their DNS records and health checking, and service attributes.
#include <boost/json/array.hpp>
#include <algorithm>
#include <cctype>

#include "api/servicediscovery/handlers.h"

namespace wharf::api::servicediscovery {
namespace json = boost::json;
namespace {

constexpr size_t kMaxServiceAttributes = 30;

// Where a service's name is claimed in its namespace: without regard to case, as DNS names
// and DiscoverInstances compare them.
std::string NameClaim(const std::string& namespace_id, std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return model::keys::CloudMapServiceNameKey(namespace_id, name);
}

AwsError NoRoute53HealthChecks() {
  return InvalidInput(
      "HealthCheckConfig is not supported by wharf: it runs no Route 53 health checks. Use "
      "HealthCheckCustomConfig and UpdateInstanceCustomHealthStatus.");
}

// ServiceSummary's members (ListServices).
object Summary(object shown) {
  object out;
  for (const char* k : {"Id", "Arn", "ResourceOwner", "Name", "Type", "Description", "InstanceCount", "DnsConfig",
                        "HealthCheckConfig", "HealthCheckCustomConfig", "CreateDate", "CreatedByAccount"}) {
    if (shown.contains(k)) out[k] = shown[k];
  }
  return out;
}

// One of ListServices' filters (NAMESPACE_ID or RESOURCE_OWNER, EQ or IN) on `service`.
std::variant<bool, AwsError> MatchesFilter(const object& service, const object& filter) {
  std::string name = GetString(filter, "Name"), condition = GetString(filter, "Condition", "EQ");
  std::vector<std::string> values;
  for (const auto& v : GetArray(filter, "Values")) values.push_back(IdOf(v.as_string()));
  if (condition != "EQ" && condition != "IN") {
    return InvalidInput("The " + condition + " condition is not supported for ListServices filters.");
  }
  if (condition == "EQ" && values.size() != 1) return InvalidInput("The EQ condition takes exactly one value.");
  std::string field = name == "NAMESPACE_ID" ? GetString(service, "NamespaceId") : GetString(service, "ResourceOwner");
  return std::find(values.begin(), values.end(), field) != values.end();
}

// Runs `change` on the stored service, retried on conflict.
Outcome ChangeService(const CloudMapDeps& deps, const std::string& id_or_arn,
                      const std::function<std::variant<Outcome, AwsError>(store::Draft&, object& service)>& change) {
  std::string key = model::keys::CloudMapServiceKey(IdOf(id_or_arn));
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto service, controlplane::GetRecord(draft, key));
    if (!service) return store::Decision<Outcome>(ServiceNotFound());
    auto answer = change(draft, *service);
    if (auto* err = std::get_if<AwsError>(&answer)) return store::Decision<Outcome>(*err);
    controlplane::PutRecord(draft, key, *service);
    return store::Decision<Outcome>(store::Commit(std::move(std::get<Outcome>(answer))));
  });
}

}  // namespace

Outcome CreateService(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "Name");
  std::string request_id = GetString(in, "CreatorRequestId");
  if (auto err = CheckTags(GetArray(in, "Tags"))) return *err;
  if (Has(in, "HealthCheckConfig")) return NoRoute53HealthChecks();
  object dns = GetObject(in, "DnsConfig");
  std::string namespace_ref = GetString(in, "NamespaceId");
  if (namespace_ref.empty()) namespace_ref = GetString(dns, "NamespaceId");  // the deprecated place
  if (namespace_ref.empty()) return InvalidInput("NamespaceId is required.");
  auto loaded = LoadNamespace(deps, namespace_ref);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& ns = std::get<StoredRecord>(loaded).value;
  std::string ns_id = GetString(ns, "Id"), ns_type = GetString(ns, "Type");
  std::string type = ns_type == model::kHttpNamespace ? "HTTP" : "DNS_HTTP";
  if (GetString(in, "Type") == "HTTP" || (Has(in, "DnsConfig") == false && type == "DNS_HTTP")) {
    if (Has(in, "DnsConfig") && ns_type != model::kHttpNamespace) {
      return InvalidInput("A service of Type HTTP can't have a DnsConfig.");
    }
    type = "HTTP";
  }
  if (Has(in, "DnsConfig")) {
    Status checked = model::CheckDnsConfig(ns_type, dns);
    if (!checked.ok()) return InvalidInput(checked.message());
    dns["NamespaceId"] = ns_id;
    if (!Has(dns, "RoutingPolicy")) dns["RoutingPolicy"] = "MULTIVALUE";
  }
  std::string id = NewId(deps, "srv-");
  object service{{"Id", id},
                 {"Arn", ResourceArn(deps, "service", id)},
                 {"ResourceOwner", deps.account_id},
                 {"Name", name},
                 {"NamespaceId", ns_id},
                 {"Type", type},
                 {"CreateDate", Now(deps)},
                 {"CreatedByAccount", deps.account_id},
                 {"Tags", GetArray(in, "Tags")},
                 {"ServiceAttributes", object{}},
                 {"InstancesRevision", 1}};
  if (Has(in, "Description")) service["Description"] = GetString(in, "Description");
  if (Has(in, "DnsConfig")) service["DnsConfig"] = std::move(dns);
  if (Has(in, "HealthCheckCustomConfig")) service["HealthCheckCustomConfig"] = GetObject(in, "HealthCheckCustomConfig");
  if (!request_id.empty()) service["CreatorRequestId"] = request_id;
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    // The namespace must still be there when the service is written, and is written again so
    // that a DeleteNamespace deciding at the same time loses its compare and looks again.
    ASSIGN_OR_RETURN(auto still, controlplane::GetRecord(draft, model::keys::CloudMapNamespaceKey(ns_id)));
    if (!still) return store::Decision<Outcome>(NamespaceNotFound());
    controlplane::PutRecord(draft, model::keys::CloudMapNamespaceKey(ns_id), *still);
    ASSIGN_OR_RETURN(auto owner, controlplane::GetRecord(draft, NameClaim(ns_id, name)));
    if (owner) {
      std::string owner_id = GetString(*owner, "Id");
      ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, model::keys::CloudMapServiceKey(owner_id)));
      if (existing && !request_id.empty() && GetString(*existing, "CreatorRequestId") == request_id) {
        ASSIGN_OR_RETURN(object shown, ShowService(deps, *existing));  // a retry
        return store::Decision<Outcome>(object{{"Service", std::move(shown)}});
      }
      return store::Decision<Outcome>(AwsError::Client(
          "ServiceAlreadyExists", "Service " + name + " already exists in namespace " + ns_id + " with the ID " +
                                      owner_id + "."));
    }
    controlplane::PutRecord(draft, NameClaim(ns_id, name), object{{"Id", id}});
    controlplane::PutRecord(draft, model::keys::CloudMapServiceKey(id), service);
    object shown = model::PresentService(service);
    shown["InstanceCount"] = 0;
    return store::Decision<Outcome>(store::Commit(Outcome(object{{"Service", std::move(shown)}})));
  });
}

Outcome GetService(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadService(deps, GetString(in, "Id"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  ASSIGN_OR_FAIL(object shown, ShowService(deps, std::get<StoredRecord>(loaded).value), CloudMapError);
  return object{{"Service", std::move(shown)}};
}

Outcome ListServices(const CloudMapDeps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto all, LoadAll(deps, model::keys::kCloudMapServices), CloudMapError);
  return ListPage(in, std::move(all), MatchesFilter, [&deps](const object& service) -> Result<object> {
    ASSIGN_OR_RETURN(object shown, ShowService(deps, service));
    return Summary(std::move(shown));
  }, "Services");
}

Outcome UpdateService(const CloudMapDeps& deps, const RequestContext&, object& in) {
  const object& change = GetObject(in, "Service");
  if (Has(change, "HealthCheckConfig")) return NoRoute53HealthChecks();
  std::string id = IdOf(GetString(in, "Id"));
  object operation = NewOperation(deps, "UPDATE_SERVICE", object{{"SERVICE", id}});
  return ChangeService(deps, id, [&](store::Draft& draft, object& service) -> std::variant<Outcome, AwsError> {
    if (Has(change, "Description")) service["Description"] = GetString(change, "Description");
    if (Has(change, "DnsConfig")) {
      if (!Has(service, "DnsConfig")) return InvalidInput("The service " + id + " has no DnsConfig to update.");
      object dns = GetObject(service, "DnsConfig");
      dns["DnsRecords"] = GetArray(GetObject(change, "DnsConfig"), "DnsRecords");
      Status checked = model::CheckDnsConfig(model::kPrivateDnsNamespace, dns);
      if (!checked.ok()) return InvalidInput(checked.message());
      service["DnsConfig"] = std::move(dns);
    }
    return RecordOperation(draft, operation);
  });
}

Outcome DeleteService(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string id = IdOf(GetString(in, "Id"));
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    std::string key = model::keys::CloudMapServiceKey(id);
    ASSIGN_OR_RETURN(auto service, controlplane::GetRecord(draft, key));
    if (!service) return store::Decision<Outcome>(ServiceNotFound());
    ASSIGN_OR_RETURN(auto page, deps.store.List(model::keys::CloudMapInstancesPrefix(id), "", 1));
    if (!page.items.empty()) {
      return store::Decision<Outcome>(
          ResourceInUse("The service " + id + " has registered instances; deregister them first."));
    }
    draft.Delete(key);
    draft.Delete(NameClaim(GetString(*service, "NamespaceId"), GetString(*service, "Name")));
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

Outcome GetServiceAttributes(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadService(deps, GetString(in, "ServiceId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& s = std::get<StoredRecord>(loaded).value;
  return object{{"ServiceAttributes", object{{"ServiceArn", GetString(s, "Arn")},
                                             {"ResourceOwner", GetString(s, "ResourceOwner")},
                                             {"Attributes", GetObject(s, "ServiceAttributes")}}}};
}

Outcome UpdateServiceAttributes(const CloudMapDeps& deps, const RequestContext&, object& in) {
  const object& given = GetObject(in, "Attributes");
  return ChangeService(deps, GetString(in, "ServiceId"),
                       [&](store::Draft&, object& service) -> std::variant<Outcome, AwsError> {
    object attributes = GetObject(service, "ServiceAttributes");
    for (const auto& [k, v] : given) attributes[k] = v;
    if (attributes.size() > kMaxServiceAttributes) {
      return AwsError::Client("ServiceAttributesLimitExceededException",
                              "A service can have at most 30 attributes.");
    }
    service["ServiceAttributes"] = std::move(attributes);
    return Outcome(object{});
  });
}

Outcome DeleteServiceAttributes(const CloudMapDeps& deps, const RequestContext&, object& in) {
  const json::array& keys = GetArray(in, "Attributes");
  return ChangeService(deps, GetString(in, "ServiceId"),
                       [&](store::Draft&, object& service) -> std::variant<Outcome, AwsError> {
    object attributes = GetObject(service, "ServiceAttributes");
    for (const auto& k : keys) attributes.erase(k.as_string());
    service["ServiceAttributes"] = std::move(attributes);
    return Outcome(object{});
  });
}

}  // namespace wharf::api::servicediscovery
