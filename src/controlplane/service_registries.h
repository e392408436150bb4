// ECS service registries: an ECS service's tasks as instances of its Cloud Map service.
//
// As ECS does it: a task is registered (instance id = task id) once it is RUNNING and healthy
// (its container health check HEALTHY when it has one, its targets healthy when the service
// has load balancers), with the attributes ECS sets; it is deregistered as soon as it starts
// stopping (the service retires it, or StopTask), in the same store transaction that tells
// its node to stop it, so no DNS answer or DiscoverInstances names a task that has had its
// SIGTERM. Tasks that stopped on their own are deregistered on the controller's next round.
//
// DecideRegistrations is pure (unit tested); the rest reads the store or fills a transaction
// the caller commits. Thread-safety: no state; callable from any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "controlplane/records.h"
#include "model/cloud_map.h"
#include "store/store.h"
#include "store/update.h"

namespace wharf::controlplane {

// The attributes ECS gives every instance it registers.
inline constexpr std::string_view kEcsClusterName = "ECS_CLUSTER_NAME";
inline constexpr std::string_view kEcsServiceName = "ECS_SERVICE_NAME";
inline constexpr std::string_view kEcsTaskDefinitionFamily = "ECS_TASK_DEFINITION_FAMILY";
inline constexpr std::string_view kAvailabilityZone = "AVAILABILITY_ZONE";
inline constexpr std::string_view kRegion = "REGION";

// One task of the service as registration sees it.
struct RegistryTask {
  std::string id;
  bool wanted = false;            // RUNNING, healthy and not stopping
  boost::json::object attributes;  // what its instance carries; empty while its address is unknown
};

struct RegistryChanges {
  std::vector<std::pair<std::string, boost::json::object>> put;  // instance id -> attributes
  std::vector<std::string> remove;                                 // instance ids
};

// What to change in one Cloud Map service: wanted tasks registered (again when their
// attributes changed); every instance this ECS service registered (its ECS_CLUSTER_NAME and
// ECS_SERVICE_NAME) whose task is not wanted, removed. Instances others registered are left.
RegistryChanges DecideRegistrations(const std::vector<RegistryTask>& tasks,
                                    const std::map<std::string, boost::json::object>& existing,
                                    const std::string& cluster_name, const std::string& service_name);

// The attributes of `task` (a stored task record) in `registry` (one serviceRegistries
// entry) for a Cloud Map service with `dns_config`; empty while the task has no address.
boost::json::object TaskInstanceAttributes(const boost::json::object& task, const boost::json::object& registry,
                                           const std::string& cluster_name, const std::string& service_name,
                                           const std::string& region);

// The Cloud Map service id of a registryArn ("arn:aws:servicediscovery:...:service/srv-x").
std::string CloudMapServiceId(std::string_view registry_arn);

// A Cloud Map service and its instances (instance id -> record), with the revisions read.
struct CloudMapSnapshot {
  StoredRecord service;
  std::map<std::string, StoredRecord> instances;
};
Result<std::optional<CloudMapSnapshot>> ReadCloudMapService(store::Store& store, const std::string& service_id);

// Adds `changes` to `txn` against `snapshot`: instance puts and deletes, and the service
// record with its InstancesRevision advanced (compared as read). Nothing when empty.
void AddRegistrationOps(const CloudMapSnapshot& snapshot, const RegistryChanges& changes, const std::string& account,
                        store::Txn& txn);

// StopTask's share: the stopping task's instances removed from the Cloud Map services of
// the ECS service it belongs to (`task`'s group "service:<name>" in `cluster`), through the
// draft that also writes the task, so both land together.
Status DeregisterTaskInstances(store::Draft& draft, const std::string& cluster, const boost::json::object& task);

// The DNS answers for `name` (a query name, without the final dot) of `type` (A, AAAA,
// CNAME, SRV) from the private DNS namespaces of `vpc_id`: the service's records, or an
// instance's own name ("<instance>.<service>.<namespace>", what SRV answers point at).
// Empty when no namespace of the VPC holds the name. For the VPC resolver (src/dns) to
// call; `pick` spreads WEIGHTED and more-than-8 MULTIVALUE answers.
Result<std::vector<model::DnsAnswer>> LookupCloudMapName(store::Store& store, std::string_view vpc_id,
                                                         std::string_view name, std::string_view type,
                                                         uint64_t pick);

}  // namespace wharf::controlplane
