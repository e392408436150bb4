// SubmitTaskStateChange and SubmitContainerStateChange: how agents report what their
// tasks and containers did. Status only moves forward through the task lifecycle
// (PROVISIONING .. STOPPED); a late or repeated report never moves it back, so an agent
// that restarts and reports again is harmless.
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "api/ecs/task_records.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

int TaskStage(std::string_view status) {
  static constexpr std::string_view kOrder[] = {"PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
                                                "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
  for (int i = 0; i < 8; ++i) {
    if (kOrder[i] == status) return i;
  }
  return -1;
}

int ContainerStage(std::string_view status) {
  if (status == "PENDING") return 0;
  if (status == "RUNNING") return 1;
  if (status == "STOPPED") return 2;
  return -1;
}

// The stop code of a task that stops without being asked to: failing to start, or an
// essential container's exit.
std::string StopCodeFor(std::string_view reason) {
  for (std::string_view failed : {"CannotPullContainerError", "CannotStartContainerError",
                                  "CannotCreateContainerError", "ResourceInitializationError"}) {
    if (reason.substr(0, failed.size()) == failed) return "TaskFailedToStart";
  }
  return "EssentialContainerExited";
}

void ApplyContainerChange(json::object& task, const json::object& change) {
  for (auto& v : task["containers"].as_array()) {
    json::object& c = v.as_object();
    if (GetString(c, "name") != GetString(change, "containerName")) continue;
    std::string status = GetString(change, "status");
    if (ContainerStage(status) > ContainerStage(GetString(c, "lastStatus"))) c["lastStatus"] = status;
    if (Has(change, "runtimeId")) c["runtimeId"] = GetString(change, "runtimeId");
    if (Has(change, "imageDigest")) c["imageDigest"] = GetString(change, "imageDigest");
    if (auto code = GetInt(change, "exitCode")) c["exitCode"] = *code;
    if (Has(change, "reason")) c["reason"] = GetString(change, "reason");
    if (Has(change, "networkBindings")) c["networkBindings"] = GetArray(change, "networkBindings");
    if (Has(change, "healthStatus")) c["healthStatus"] = GetString(change, "healthStatus");
  }
}

// Applies a report to the task record; returns the keys to delete with it (address claims
// of a task that stopped).
std::vector<std::string> ApplyTaskChange(const EcsDeps& deps, json::object& task, const json::object& in) {
  std::vector<std::string> released;
  double now = NowSeconds(deps);
  for (const auto& c : GetArray(in, "containers")) ApplyContainerChange(task, c.get_object());
  for (const char* field : {"pullStartedAt", "pullStoppedAt", "executionStoppedAt"}) {
    if (Has(in, field) && !Has(task, field)) task[field] = in.at(field);
  }
  std::string status = GetString(in, "status");
  int from = TaskStage(GetString(task, "lastStatus"));
  int to = TaskStage(status);
  if (to > from) {
    task["lastStatus"] = status;
    if (to >= TaskStage("PENDING") && !Has(task, "connectivity")) {
      task["connectivity"] = "CONNECTED";
      task["connectivityAt"] = now;
    }
    for (auto& a : task["attachments"].as_array()) {
      if (to >= TaskStage("PENDING") && to < TaskStage("DEPROVISIONING")) a.as_object()["status"] = "ATTACHED";
      if (to >= TaskStage("DEPROVISIONING")) a.as_object()["status"] = to == TaskStage("STOPPED") ? "DELETED" : "DELETING";
    }
    if (to == TaskStage("RUNNING") && !Has(task, "startedAt")) task["startedAt"] = now;
    if (to >= TaskStage("DEACTIVATING") && GetString(task, "desiredStatus") != "STOPPED") {
      // The task stops on its own: an essential container exited or it failed to start.
      std::string reason = GetString(in, "reason", "Essential container in task exited");
      task["desiredStatus"] = "STOPPED";
      task["stopCode"] = StopCodeFor(reason);
      task["stoppedReason"] = reason;
    }
    if (to >= TaskStage("DEACTIVATING") && !Has(task, "stoppingAt")) task["stoppingAt"] = now;
    if (to == TaskStage("STOPPED")) {
      task["stoppedAt"] = now;
      if (!Has(task, "executionStoppedAt")) task["executionStoppedAt"] = now;
      const json::object& eni = GetObject(GetObject(task, "_wharf"), "eni");
      if (!eni.empty()) released.push_back(model::keys::EniIpKey(GetString(eni, "subnetId"), GetString(eni, "ip")));
      for (auto& v : task["containers"].as_array()) v.as_object()["lastStatus"] = "STOPPED";
    }
  }
  task["version"] = GetInt(task, "version").value_or(0) + 1;
  return released;
}

Outcome Submit(const EcsDeps& deps, const json::object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  std::string ref = GetString(in, "task");
  if (ref.empty()) return InvalidParameter("task must be given.");
  std::string key = TaskKey(cluster, ShortId(ref));
  auto submitted = store::Update(deps.store, [&](store::Draft& draft) -> store::Decision<Outcome> {
    ASSIGN_OR_FAIL(auto task, GetRecord(draft, key), EcsError);
    if (!task) return InvalidParameter("The referenced task was not found.");
    std::vector<std::string> released = ApplyTaskChange(deps, *task, in);
    PutRecord(draft, key, *task);
    for (const auto& k : released) draft.Delete(k);
    return store::Commit(json::object{{"acknowledgment", "ACK"}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(submitted), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The task changed while reporting; retry."));
}

}  // namespace

Outcome SubmitTaskStateChange(const EcsDeps& deps, const RequestContext&, object& in) {
  return Submit(deps, in);
}

Outcome SubmitContainerStateChange(const EcsDeps& deps, const RequestContext&, object& in) {
  json::object change = in;
  change.erase("status");
  change["containers"] = json::array{json::object{
      {"containerName", GetString(in, "containerName")}, {"status", GetString(in, "status")}}};
  json::object& c = change["containers"].as_array()[0].as_object();
  for (const char* field : {"runtimeId", "exitCode", "reason", "networkBindings"}) {
    if (Has(in, field)) c[field] = in.at(field);
  }
  return Submit(deps, change);
}

Status ApplyHealthReport(const EcsDeps& deps, const json::object& report) {
  std::string key = TaskKey(ClusterName(GetString(report, "cluster")), ShortId(GetString(report, "task")));
  std::string task_health = GetString(report, "healthStatus");
  if (task_health != "HEALTHY" && task_health != "UNHEALTHY" && task_health != "UNKNOWN") {
    return Status::InvalidArgument("healthStatus must be HEALTHY, UNHEALTHY or UNKNOWN");
  }
  auto reported = UpdateRecord(deps.store, key, [&](std::optional<json::object>& found) -> store::Decision<Status> {
    if (!found) return Status::NotFound("The referenced task was not found.");
    json::object& task = *found;
    if (IsStopped(task)) return Status::OK();
    task["healthStatus"] = task_health;
    for (const auto& c : GetArray(report, "containers")) {
      json::object change{{"containerName", GetString(c.get_object(), "containerName")},
                          {"healthStatus", GetString(c.get_object(), "healthStatus")}};
      ApplyContainerChange(task, change);
    }
    task["version"] = GetInt(task, "version").value_or(0) + 1;
    return store::Commit(Status::OK());
  });
  ASSIGN_OR_RETURN(auto answer, std::move(reported));
  return answer.value_or(Status::Unavailable("the task changed while reporting health; retry"));
}

Result<int> ExpireStoppedTasks(const EcsDeps& deps, std::chrono::seconds retention) {
  double cutoff = NowSeconds(deps) - static_cast<double>(retention.count());
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(model::keys::kTasks, "", 0));
  int expired = 0;
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object task, ParseObject(kv.value));
    auto stopped_at = task.find("stoppedAt");
    if (!IsStopped(task) || stopped_at == task.end() || !stopped_at->value().is_number() ||
        stopped_at->value().to_number<double>() > cutoff) {
      continue;
    }
    store::Txn txn;
    txn.compares.push_back({kv.key, kv.mod_revision});
    txn.ops.push_back(store::Op::Delete(kv.key));
    ASSIGN_OR_RETURN(store::TxnResult r, deps.store.Commit(txn));
    if (r.succeeded) ++expired;
  }
  return expired;
}

}  // namespace wharf::api::ecs
