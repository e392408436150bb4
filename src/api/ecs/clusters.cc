// Clusters: CreateCluster, DescribeClusters, ListClusters, UpdateCluster,
// UpdateClusterSettings, PutClusterCapacityProviders, DeleteCluster.
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

struct ClusterCounts {
  int64_t instances = 0, services = 0, running = 0, pending = 0;
};

// Counts what other capabilities keep under the cluster (instances, services, tasks).
Result<ClusterCounts> CountClusterContents(const EcsDeps& deps, const std::string& name) {
  ClusterCounts c;
  ASSIGN_OR_RETURN(store::Page instances, deps.store.List(ContainerInstancesPrefix(name), "", 0));
  for (const auto& kv : instances.items) {
    auto record = ParseObject(kv.value);
    if (record.ok() && GetString(GetObject(*record, "containerInstance"), "status") != "INACTIVE") {
      ++c.instances;
    }
  }
  ASSIGN_OR_RETURN(store::Page services, deps.store.List(ServicesPrefix(name), "", 0));
  for (const auto& kv : services.items) {
    auto svc = ParseObject(kv.value);
    if (svc.ok() && GetString(*svc, "status") != "INACTIVE") ++c.services;
  }
  ASSIGN_OR_RETURN(store::Page tasks, deps.store.List(TasksPrefix(name), "", 0));
  for (const auto& kv : tasks.items) {
    auto task = ParseObject(kv.value);
    if (!task.ok()) continue;
    std::string last = GetString(*task, "lastStatus");
    if (last == "RUNNING") ++c.running;
    else if (last != "STOPPED" && last != "DELETED") ++c.pending;
  }
  return c;
}

// The cluster as Describe shows it: counts filled in, optional parts only when included
// (`include` null: everything, as Create, Update and Delete answer).
Result<json::object> Present(const EcsDeps& deps, json::object cluster, const json::array* include) {
  auto included = [&](std::string_view what) {
    if (!include) return true;
    for (const auto& v : *include) {
      if (v.is_string() && v.get_string() == what) return true;
    }
    return false;
  };
  ASSIGN_OR_RETURN(ClusterCounts c, CountClusterContents(deps, GetString(cluster, "clusterName")));
  cluster["registeredContainerInstancesCount"] = c.instances;
  cluster["activeServicesCount"] = c.services;
  cluster["runningTasksCount"] = c.running;
  cluster["pendingTasksCount"] = c.pending;
  if (!included("TAGS")) cluster.erase("tags");
  if (!included("SETTINGS")) cluster.erase("settings");
  if (!included("CONFIGURATIONS")) cluster.erase("configuration");
  if (!included("ATTACHMENTS")) {
    cluster.erase("attachments");
    cluster.erase("attachmentsStatus");
  }
  if (!included("STATISTICS")) cluster.erase("statistics");
  return cluster;
}

std::optional<AwsError> CheckSettings(const json::array& settings) {
  for (const auto& s : settings) {
    const json::object& o = s.get_object();
    std::string value = GetString(o, "value");
    if (value != "enabled" && value != "disabled" && value != "enhanced") {
      return InvalidParameter("Invalid value '" + value +
                              "' for containerInsights. Valid values: enabled, disabled, enhanced.");
    }
  }
  return std::nullopt;
}

void MergeSettings(json::array& into, const json::array& settings) { MergeByKey(into, settings, "name"); }

std::optional<AwsError> CheckCapacityProviders(const json::array& providers,
                                               const json::array& strategy) {
  for (const auto& p : providers) {
    std::string name(p.get_string());
    if (name != "FARGATE" && name != "FARGATE_SPOT") {
      return InvalidParameter(
          "The specified capacity provider was not found. Specify a valid capacity provider and "
          "try again.");
    }
  }
  int with_base = 0;
  for (const auto& item : strategy) {
    const json::object& o = item.get_object();
    std::string name = GetString(o, "capacityProvider");
    bool listed = false;
    for (const auto& p : providers) listed = listed || p.get_string() == name;
    if (!listed) {
      return InvalidParameter("The specified capacity provider strategy cannot contain a capacity "
                              "provider that is not associated with the cluster. Associate the "
                              "capacity provider with the cluster or specify a valid capacity "
                              "provider and try again.");
    }
    if (GetInt(o, "base").value_or(0) > 0) ++with_base;
  }
  if (with_base > 1) {
    return InvalidParameter("Only one capacity provider in a capacity provider strategy can have a "
                            "base defined.");
  }
  return std::nullopt;
}

std::optional<AwsError> CheckUnsupported(const json::object& in) {
  if (Has(in, "serviceConnectDefaults")) {
    return InvalidParameter("serviceConnectDefaults is not supported by wharf: it has no AWS Cloud "
                            "Map namespaces.");
  }
  return std::nullopt;
}

Outcome Answer(const EcsDeps& deps, json::object cluster) {
  ASSIGN_OR_FAIL(json::object shown, Present(deps, std::move(cluster), nullptr), EcsError);
  return json::object{{"cluster", std::move(shown)}};
}

// Reads the cluster, lets `change` edit it, writes it back if unchanged meanwhile.
Outcome UpdateActiveCluster(const EcsDeps& deps, std::string_view name_or_arn,
                            const std::function<std::optional<AwsError>(json::object&)>& change) {
  // The mutate answers the cluster as written; it is presented once the commit is in.
  auto updated = UpdateRecord(deps.store, ClusterKey(ClusterName(name_or_arn)),
                              [&](std::optional<json::object>& cluster) -> store::Decision<Outcome> {
    if (!cluster || GetString(*cluster, "status") != "ACTIVE") return ClusterNotFound();
    if (auto err = change(*cluster)) return *err;
    return store::Commit(*cluster);
  });
  ASSIGN_OR_FAIL(auto cluster, std::move(updated), EcsError);
  if (!cluster) return AwsError::Server("ServerException", "Too many concurrent updates; retry.");
  if (!cluster->ok()) return *cluster;
  return Answer(deps, std::move(cluster->output()));
}

}  // namespace

Outcome CreateCluster(const EcsDeps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "clusterName", "default");
  if (name.empty() || name.size() > 255 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
          std::string::npos) {
    return InvalidParameter("Cluster name can only contain letters (uppercase and lowercase), "
                            "numbers, underscores, and hyphens, and be up to 255 characters long.");
  }
  if (auto err = CheckUnsupported(in)) return *err;
  if (auto err = CheckTags(GetArray(in, "tags"))) return *err;
  if (auto err = CheckSettings(GetArray(in, "settings"))) return *err;
  if (auto err = CheckCapacityProviders(GetArray(in, "capacityProviders"),
                                        GetArray(in, "defaultCapacityProviderStrategy"))) {
    return *err;
  }
  auto created = UpdateRecord(deps.store, ClusterKey(name), [&](std::optional<json::object>& found) -> store::Decision<Outcome> {
    if (found && GetString(*found, "status") == "ACTIVE") {
      return Answer(deps, std::move(*found));  // CreateCluster is idempotent
    }
    json::array settings{json::object{
        {"name", "containerInsights"},
        {"value", EffectiveSetting(deps, ctx.principal_arn, "containerInsights") == "enabled"
                      ? "enabled" : "disabled"}}};
    MergeSettings(settings, GetArray(in, "settings"));
    json::object cluster{
        {"clusterArn", Arn(deps, "cluster/" + name)},
        {"clusterName", name},
        {"status", "ACTIVE"},
        {"registeredContainerInstancesCount", 0},
        {"runningTasksCount", 0},
        {"pendingTasksCount", 0},
        {"activeServicesCount", 0},
        {"statistics", json::array()},
        {"tags", GetArray(in, "tags")},
        {"settings", std::move(settings)},
        {"capacityProviders", GetArray(in, "capacityProviders")},
        {"defaultCapacityProviderStrategy", GetArray(in, "defaultCapacityProviderStrategy")},
    };
    if (Has(in, "configuration")) cluster["configuration"] = in["configuration"];
    found = cluster;
    return store::Commit(json::object{{"cluster", std::move(cluster)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(created), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "Too many concurrent updates; retry."));
}

Outcome DescribeClusters(const EcsDeps& deps, const RequestContext&, object& in) {
  json::array names = GetArray(in, "clusters");
  if (names.empty()) names.push_back("default");
  const json::array& include = GetArray(in, "include");
  json::array clusters, failures;
  for (const auto& n : names) {
    std::string name = ClusterName(n.get_string());
    ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, ClusterKey(name)), EcsError);
    if (!found) {
      failures.push_back(json::object{{"arn", Arn(deps, "cluster/" + name)}, {"reason", "MISSING"}});
      continue;
    }
    ASSIGN_OR_FAIL(json::object shown, Present(deps, std::move(found->value), &include), EcsError);
    clusters.push_back(std::move(shown));
  }
  return json::object{{"clusters", std::move(clusters)}, {"failures", std::move(failures)}};
}

Outcome ListClusters(const EcsDeps& deps, const RequestContext&, object& in) {
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  std::string after;
  if (Has(in, "nextToken")) {
    auto token = ReadNextToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("Invalid nextToken.");
    after = *token;
  }
  json::array arns;
  std::string last;
  bool more = false;
  // Inactive clusters are skipped, so read pages until this one is full.
  while (!more) {
    ASSIGN_OR_FAIL(store::Page page, deps.store.List(ClusterKey(""), after, 100), EcsError);
    for (const auto& kv : page.items) {
      if (arns.size() == page_size) {
        more = true;
        break;
      }
      after = kv.key;
      auto cluster = ParseObject(kv.value);
      if (!cluster.ok() || GetString(*cluster, "status") != "ACTIVE") continue;
      arns.push_back(json::value(GetString(*cluster, "clusterArn")));
      last = kv.key;
    }
    if (!page.more) break;
  }
  json::object out{{"clusterArns", std::move(arns)}};
  if (more) out["nextToken"] = MakeNextToken(last);
  return out;
}

Outcome UpdateCluster(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckUnsupported(in)) return *err;
  if (auto err = CheckSettings(GetArray(in, "settings"))) return *err;
  return UpdateActiveCluster(deps, GetString(in, "cluster"), [&](json::object& cluster) {
    MergeSettings(cluster["settings"].as_array(), GetArray(in, "settings"));
    if (Has(in, "configuration")) cluster["configuration"] = in["configuration"];
    return std::optional<AwsError>();
  });
}

Outcome UpdateClusterSettings(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckSettings(GetArray(in, "settings"))) return *err;
  return UpdateActiveCluster(deps, GetString(in, "cluster"), [&](json::object& cluster) {
    MergeSettings(cluster["settings"].as_array(), GetArray(in, "settings"));
    return std::optional<AwsError>();
  });
}

Outcome PutClusterCapacityProviders(const EcsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckCapacityProviders(GetArray(in, "capacityProviders"),
                                        GetArray(in, "defaultCapacityProviderStrategy"))) {
    return *err;
  }
  return UpdateActiveCluster(deps, GetString(in, "cluster"), [&](json::object& cluster) {
    cluster["capacityProviders"] = GetArray(in, "capacityProviders");
    cluster["defaultCapacityProviderStrategy"] = GetArray(in, "defaultCapacityProviderStrategy");
    return std::optional<AwsError>();
  });
}

Outcome DeleteCluster(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string name = ClusterName(GetString(in, "cluster"));
  // The mutate answers the cluster as it stands or as written; it is presented afterwards.
  auto deleted = UpdateRecord(deps.store, ClusterKey(name), [&](std::optional<json::object>& cluster) -> store::Decision<Outcome> {
    if (!cluster) return ClusterNotFound();
    if (GetString(*cluster, "status") != "ACTIVE") return *cluster;
    ASSIGN_OR_FAIL(ClusterCounts c, CountClusterContents(deps, name), EcsError);
    if (c.services > 0) {
      return AwsError::Client("ClusterContainsServicesException",
                              "The Cluster cannot be deleted while Services are active.");
    }
    if (c.instances > 0) {
      return AwsError::Client("ClusterContainsContainerInstancesException",
                              "The Cluster cannot be deleted while Container Instances are active or draining.");
    }
    if (c.running + c.pending > 0) {
      return AwsError::Client("ClusterContainsTasksException",
                              "The Cluster cannot be deleted while Tasks are active.");
    }
    (*cluster)["status"] = "INACTIVE";
    return store::Commit(*cluster);
  });
  ASSIGN_OR_FAIL(auto cluster, std::move(deleted), EcsError);
  if (!cluster) return AwsError::Server("ServerException", "Too many concurrent updates; retry.");
  if (!cluster->ok()) return *cluster;
  return Answer(deps, std::move(cluster->output()));
}

}  // namespace wharf::api::ecs
