// Namespaces: created, updated and deleted through operations (common.h), read directly.
#include <boost/json/array.hpp>
#include <algorithm>
#include <cctype>

#include "api/servicediscovery/handlers.h"

namespace wharf::api::servicediscovery {
namespace json = boost::json;
namespace {

// Route 53's TTL for the SOA of the zones Cloud Map makes.
constexpr int64_t kDefaultSoaTtl = 15;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Where a namespace's name is claimed: HTTP names as they are, DNS names without regard to
// case, private ones per VPC.
std::string NameClaim(std::string_view type, const std::string& vpc, const std::string& name) {
  return model::keys::CloudMapNamespaceNameKey(type, type == model::kPrivateDnsNamespace ? vpc : "",
                                               type == model::kHttpNamespace ? name : Lower(name));
}

std::string HostedZoneId(const CloudMapDeps& deps) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = "Z";
  for (int i = 0; i < 20; ++i) id += kChars[deps.random.Next() % 36];
  return id;
}

Outcome CreateNamespace(const CloudMapDeps& deps, object& in, std::string_view type) {
  std::string name = GetString(in, "Name");
  std::string vpc = GetString(in, "Vpc");
  std::string request_id = GetString(in, "CreatorRequestId");
  if (auto err = CheckTags(GetArray(in, "Tags"))) return *err;
  if (type == model::kPrivateDnsNamespace) {
    auto found = deps.store.Get(model::keys::VpcKey(vpc));
    if (!found.ok()) return CloudMapError(found.status());
    if (!*found) return InvalidInput("The VPC " + vpc + " does not exist in " + deps.region + ".");
  }
  std::string id = NewId(deps, "ns-");
  object properties{{"HttpProperties", object{{"HttpName", name}}}};
  if (type != model::kHttpNamespace) {
    int64_t ttl = GetInt(GetObject(GetObject(GetObject(in, "Properties"), "DnsProperties"), "SOA"), "TTL")
                      .value_or(kDefaultSoaTtl);
    properties["DnsProperties"] = object{{"HostedZoneId", HostedZoneId(deps)}, {"SOA", object{{"TTL", ttl}}}};
  }
  object operation = NewOperation(deps, "CREATE_NAMESPACE", object{{"NAMESPACE", id}});
  object ns{{"Id", id},
            {"Arn", ResourceArn(deps, "namespace", id)},
            {"ResourceOwner", deps.account_id},
            {"Name", name},
            {"Type", type},
            {"Properties", std::move(properties)},
            {"CreateDate", Now(deps)},
            {"Tags", GetArray(in, "Tags")},
            {"OperationId", GetString(operation, "Id")}};
  if (Has(in, "Description")) ns["Description"] = GetString(in, "Description");
  if (!request_id.empty()) ns["CreatorRequestId"] = request_id;
  if (type == model::kPrivateDnsNamespace) ns["Vpc"] = vpc;
  const std::string claim = NameClaim(type, vpc, name);
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto owner, controlplane::GetRecord(draft, claim));
    if (owner) {
      std::string owner_id = GetString(*owner, "Id");
      ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, model::keys::CloudMapNamespaceKey(owner_id)));
      if (existing && !request_id.empty() && GetString(*existing, "CreatorRequestId") == request_id) {
        return store::Decision<Outcome>(object{{"OperationId", GetString(*existing, "OperationId")}});  // a retry
      }
      return store::Decision<Outcome>(AwsError::Client(
          "NamespaceAlreadyExists", "Namespace " + name + " already exists with the ID " + owner_id + "."));
    }
    controlplane::PutRecord(draft, claim, object{{"Id", id}});
    controlplane::PutRecord(draft, model::keys::CloudMapNamespaceKey(id), ns);
    return store::Decision<Outcome>(store::Commit(RecordOperation(draft, operation)));
  });
}

// UpdateXNamespace: the namespace must be of `type`; `apply` changes it.
Outcome UpdateNamespace(const CloudMapDeps& deps, object& in, std::string_view type,
                        const std::function<void(object& ns, const object& change)>& apply) {
  std::string id = IdOf(GetString(in, "Id"));
  object operation = NewOperation(deps, "UPDATE_NAMESPACE", object{{"NAMESPACE", id}});
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    std::string key = model::keys::CloudMapNamespaceKey(id);
    ASSIGN_OR_RETURN(auto ns, controlplane::GetRecord(draft, key));
    if (!ns) return store::Decision<Outcome>(NamespaceNotFound());
    if (GetString(*ns, "Type") != type) {
      return store::Decision<Outcome>(
          InvalidInput("Namespace " + id + " is a " + GetString(*ns, "Type") + " namespace, not " + std::string(type) + "."));
    }
    apply(*ns, GetObject(in, "Namespace"));
    controlplane::PutRecord(draft, key, *ns);
    return store::Decision<Outcome>(store::Commit(RecordOperation(draft, operation)));
  });
}

void ApplyDnsChange(object& ns, const object& change) {
  if (Has(change, "Description")) ns["Description"] = GetString(change, "Description");
  auto ttl = GetInt(GetObject(GetObject(GetObject(change, "Properties"), "DnsProperties"), "SOA"), "TTL");
  if (ttl) {
    json::object& dns = ns["Properties"].as_object()["DnsProperties"].as_object();
    dns["SOA"] = object{{"TTL", *ttl}};
  }
}

std::variant<bool, AwsError> MatchesFilter(const object& ns, const object& filter) {
  std::string name = GetString(filter, "Name"), condition = GetString(filter, "Condition", "EQ");
  std::vector<std::string> values;
  for (const auto& v : GetArray(filter, "Values")) values.emplace_back(v.as_string());
  std::string field = name == "TYPE"             ? GetString(ns, "Type")
                      : name == "NAME"           ? GetString(ns, "Name")
                      : name == "HTTP_NAME"      ? GetString(GetObject(GetObject(ns, "Properties"), "HttpProperties"), "HttpName")
                      : name == "RESOURCE_OWNER" ? GetString(ns, "ResourceOwner")
                                                 : "";
  if (condition == "IN") {
    if (name != "TYPE") return InvalidInput("The IN condition is supported only for the TYPE filter.");
    return std::find(values.begin(), values.end(), field) != values.end();
  }
  if (values.size() != 1) return InvalidInput("The " + condition + " condition takes exactly one value.");
  if (condition == "EQ") return field == values[0];
  if (condition == "BEGINS_WITH" && name != "RESOURCE_OWNER") return field.starts_with(values[0]);
  return InvalidInput("The " + condition + " condition is not supported for the " + name + " filter.");
}

}  // namespace

Outcome CreateHttpNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return CreateNamespace(deps, in, model::kHttpNamespace);
}
Outcome CreatePrivateDnsNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return CreateNamespace(deps, in, model::kPrivateDnsNamespace);
}
Outcome CreatePublicDnsNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return CreateNamespace(deps, in, model::kPublicDnsNamespace);
}

Outcome GetNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto ns = LoadNamespace(deps, GetString(in, "Id"));
  if (auto* err = std::get_if<AwsError>(&ns)) return *err;
  ASSIGN_OR_FAIL(object shown, ShowNamespace(deps, std::get<StoredRecord>(ns).value), CloudMapError);
  return object{{"Namespace", std::move(shown)}};
}

Outcome ListNamespaces(const CloudMapDeps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto all, LoadAll(deps, model::keys::kCloudMapNamespaces), CloudMapError);
  return ListPage(in, std::move(all), MatchesFilter, [&deps](const object& ns) -> Result<object> {
    auto shown = ShowNamespace(deps, ns);
    if (shown.ok()) shown->erase("CreatorRequestId");  // not in NamespaceSummary
    return shown;
  }, "Namespaces");
}

Outcome UpdateHttpNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return UpdateNamespace(deps, in, model::kHttpNamespace, [](object& ns, const object& change) {
    ns["Description"] = GetString(change, "Description");
  });
}
Outcome UpdatePrivateDnsNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return UpdateNamespace(deps, in, model::kPrivateDnsNamespace, ApplyDnsChange);
}
Outcome UpdatePublicDnsNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  return UpdateNamespace(deps, in, model::kPublicDnsNamespace, ApplyDnsChange);
}

Outcome DeleteNamespace(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string id = IdOf(GetString(in, "Id"));
  object operation = NewOperation(deps, "DELETE_NAMESPACE", object{{"NAMESPACE", id}});
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    std::string key = model::keys::CloudMapNamespaceKey(id);
    ASSIGN_OR_RETURN(auto ns, controlplane::GetRecord(draft, key));
    if (!ns) return store::Decision<Outcome>(NamespaceNotFound());
    // Read after the namespace: a CreateService committed since rewrote it, so this attempt's
    // compare fails and the next one sees the new service.
    ASSIGN_OR_RETURN(auto services, LoadAll(deps, model::keys::kCloudMapServices));
    for (const auto& s : services) {
      if (GetString(s, "NamespaceId") == id) {
        return store::Decision<Outcome>(ResourceInUse("The namespace " + id + " contains services (" +
                                                      GetString(s, "Id") + "); delete them first."));
      }
    }
    draft.Delete(key);
    draft.Delete(NameClaim(GetString(*ns, "Type"), GetString(*ns, "Vpc"), GetString(*ns, "Name")));
    return store::Decision<Outcome>(store::Commit(RecordOperation(draft, operation)));
  });
}

}  // namespace wharf::api::servicediscovery
