#include "controlplane/service_registries.h"

#include <algorithm>
#include <cctype>

#include "model/arn.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {
namespace json = boost::json;
namespace {

std::string InstanceIdOfKey(const std::string& service_id, std::string_view key) {
  return std::string(key.substr(model::keys::CloudMapInstancesPrefix(service_id).size()));
}

// The family of "arn:aws:ecs:...:task-definition/<family>:<revision>".
std::string FamilyOf(std::string_view task_definition_arn) {
  std::string ref = model::ShortId(task_definition_arn);
  return ref.substr(0, ref.rfind(':'));
}

json::object InstanceRecord(const std::string& id, const json::object& attributes, const std::string& account) {
  return json::object{{"Id", id}, {"Attributes", attributes}, {"CreatedByAccount", account},
                      {"HealthStatus", "HEALTHY"}};
}

json::object AdvanceRevision(json::object service) {
  service["InstancesRevision"] = GetInt(service, "InstancesRevision").value_or(0) + 1;
  return service;
}

}  // namespace

RegistryChanges DecideRegistrations(const std::vector<RegistryTask>& tasks,
                                    const std::map<std::string, json::object>& existing,
                                    const std::string& cluster_name, const std::string& service_name) {
  RegistryChanges out;
  std::map<std::string, const RegistryTask*> wanted;
  for (const auto& t : tasks) {
    if (t.wanted && !t.attributes.empty()) wanted[t.id] = &t;
  }
  for (const auto& [id, task] : wanted) {
    auto it = existing.find(id);
    if (it == existing.end() || GetObject(it->second, "Attributes") != task->attributes) {
      out.put.emplace_back(id, task->attributes);
    }
  }
  for (const auto& [id, record] : existing) {
    const json::object& a = GetObject(record, "Attributes");
    bool ours = GetString(a, kEcsClusterName) == cluster_name && GetString(a, kEcsServiceName) == service_name;
    if (ours && !wanted.count(id)) out.remove.push_back(id);
  }
  return out;
}

json::object TaskInstanceAttributes(const json::object& task, const json::object& registry,
                                    const std::string& cluster_name, const std::string& service_name,
                                    const std::string& region) {
  model::TaskRecord t(task);
  auto eni = t.eni();
  if (!eni || eni->ip.empty()) return {};
  json::object a{{std::string(model::kInstanceIpv4), eni->ip}};
  // awsvpc: the container port is the port the task answers on.
  int64_t port = GetInt(registry, "port").value_or(GetInt(registry, "containerPort").value_or(0));
  if (port > 0) a[std::string(model::kInstancePort)] = std::to_string(port);
  a[std::string(model::kInitHealthStatus)] = "HEALTHY";
  a[std::string(kAvailabilityZone)] = GetString(task, "availabilityZone");
  a[std::string(kEcsClusterName)] = cluster_name;
  a[std::string(kEcsServiceName)] = service_name;
  a[std::string(kEcsTaskDefinitionFamily)] = FamilyOf(t.task_definition_arn());
  a[std::string(kRegion)] = region;
  return a;
}

std::string CloudMapServiceId(std::string_view registry_arn) { return model::ShortId(registry_arn); }

Result<std::optional<CloudMapSnapshot>> ReadCloudMapService(store::Store& store, const std::string& service_id) {
  ASSIGN_OR_RETURN(auto service, ReadRecord(store, model::keys::CloudMapServiceKey(service_id)));
  if (!service) return std::optional<CloudMapSnapshot>();
  CloudMapSnapshot snapshot{std::move(*service), {}};
  ASSIGN_OR_RETURN(auto instances, ReadRecords(store, model::keys::CloudMapInstancesPrefix(service_id)));
  for (auto& r : instances) {
    std::string id = InstanceIdOfKey(service_id, r.key);
    snapshot.instances.emplace(std::move(id), std::move(r));
  }
  return std::optional<CloudMapSnapshot>(std::move(snapshot));
}

void AddRegistrationOps(const CloudMapSnapshot& snapshot, const RegistryChanges& changes, const std::string& account,
                        store::Txn& txn) {
  if (changes.put.empty() && changes.remove.empty()) return;
  std::string service_id = GetString(snapshot.service.value, "Id");
  for (const auto& [id, attributes] : changes.put) {
    std::string key = model::keys::CloudMapInstanceKey(service_id, id);
    auto it = snapshot.instances.find(id);
    txn.compares.push_back({key, it == snapshot.instances.end() ? 0 : it->second.mod_revision});
    txn.ops.push_back(store::Op::Put(key, Serialize(InstanceRecord(id, attributes, account))));
  }
  for (const auto& id : changes.remove) {
    auto it = snapshot.instances.find(id);
    if (it == snapshot.instances.end()) continue;
    txn.compares.push_back({it->second.key, it->second.mod_revision});
    txn.ops.push_back(store::Op::Delete(it->second.key));
  }
  txn.compares.push_back({snapshot.service.key, snapshot.service.mod_revision});
  txn.ops.push_back(store::Op::Put(snapshot.service.key, Serialize(AdvanceRevision(snapshot.service.value))));
}

Status DeregisterTaskInstances(store::Draft& draft, const std::string& cluster, const json::object& task) {
  std::string group = model::TaskRecord(task).group();
  if (!group.starts_with("service:")) return Status::OK();
  ASSIGN_OR_RETURN(auto service, GetRecord(draft, model::keys::ServiceKey(cluster, group.substr(8))));
  if (!service) return Status::OK();
  std::string task_id = model::TaskRecord(task).id();
  for (const auto& r : GetArray(*service, "serviceRegistries")) {
    std::string service_id = CloudMapServiceId(GetString(r.as_object(), "registryArn"));
    std::string key = model::keys::CloudMapInstanceKey(service_id, task_id);
    ASSIGN_OR_RETURN(auto instance, draft.Get(key));
    if (!instance) continue;
    std::string service_key = model::keys::CloudMapServiceKey(service_id);
    ASSIGN_OR_RETURN(auto cm_service, GetRecord(draft, service_key));
    draft.Delete(key);
    if (cm_service) PutRecord(draft, service_key, AdvanceRevision(std::move(*cm_service)));
  }
  return Status::OK();
}

Result<std::vector<model::DnsAnswer>> LookupCloudMapName(store::Store& store, std::string_view vpc_id,
                                                         std::string_view name, std::string_view type,
                                                         uint64_t pick) {
  std::string query(name);
  std::transform(query.begin(), query.end(), query.begin(), [](unsigned char c) { return std::tolower(c); });
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  ASSIGN_OR_RETURN(auto namespaces, LoadRecords(store, model::keys::kCloudMapNamespaces));
  ASSIGN_OR_RETURN(auto services, LoadRecords(store, model::keys::kCloudMapServices));
  for (const auto& ns : namespaces) {
    if (GetString(ns, "Type") != model::kPrivateDnsNamespace || GetString(ns, "Vpc") != vpc_id) continue;
    std::string suffix = "." + lower(GetString(ns, "Name"));
    if (query.size() <= suffix.size() || !query.ends_with(suffix)) continue;
    std::string rest = query.substr(0, query.size() - suffix.size());  // "svc" or "instance.svc"
    for (const auto& service : services) {
      if (GetString(service, "NamespaceId") != GetString(ns, "Id") || !Has(service, "DnsConfig")) continue;
      std::string service_name = lower(GetString(service, "Name"));
      std::string id = GetString(service, "Id");
      ASSIGN_OR_RETURN(auto instances, LoadRecords(store, model::keys::CloudMapInstancesPrefix(id)));
      if (rest == service_name) return model::DnsAnswers(ns, service, instances, type, pick);
      if (rest.size() > service_name.size() + 1 && rest.ends_with("." + service_name)) {
        std::string instance_id = rest.substr(0, rest.size() - service_name.size() - 1);
        std::vector<json::object> one;
        for (auto& i : instances) {
          if (lower(GetString(i, "Id")) == instance_id) one.push_back(std::move(i));
        }
        if (type == "SRV") return std::vector<model::DnsAnswer>{};
        return model::DnsAnswers(ns, service, one, type, pick);
      }
    }
  }
  return std::vector<model::DnsAnswer>{};
}

}  // namespace wharf::controlplane
