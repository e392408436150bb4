// The task lifecycle as agents report it (SubmitTaskStateChange, SubmitContainerStateChange,
// health reports) and as the control plane ends it (stopped tasks expire).
#include "controlplane/task_lifecycle.h"

#include <boost/json/array.hpp>

#include "controlplane/records.h"
#include "model/arn.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {
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

}  // namespace

std::vector<std::string> ApplyTaskStateChange(json::object& task, const json::object& in, double now) {
  std::vector<std::string> released;
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
      if (auto eni = model::TaskRecord(task).eni()) {
        released.push_back(model::keys::EniIpKey(eni->subnet_id, eni->ip));
        if (!eni->public_ip.empty()) released.push_back(model::keys::PublicIpKey(eni->public_ip));
      }
      for (auto& v : task["containers"].as_array()) v.as_object()["lastStatus"] = "STOPPED";
    }
  }
  task["version"] = GetInt(task, "version").value_or(0) + 1;
  return released;
}

Status ApplyHealthReport(store::Store& store, const json::object& report) {
  std::string key = model::keys::TaskKey(model::ClusterName(GetString(report, "cluster")), model::ShortId(GetString(report, "task")));
  std::string task_health = GetString(report, "healthStatus");
  if (task_health != "HEALTHY" && task_health != "UNHEALTHY" && task_health != "UNKNOWN") {
    return Status::InvalidArgument("healthStatus must be HEALTHY, UNHEALTHY or UNKNOWN");
  }
  auto reported = UpdateRecord(store, key, [&](std::optional<json::object>& found) -> store::Decision<Status> {
    if (!found) return Status::NotFound("The referenced task was not found.");
    json::object& task = *found;
    if (model::TaskRecord(task).stopped()) return Status::OK();
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

Result<int> ExpireStoppedTasks(store::Store& store, const Clock& clock, std::chrono::seconds retention) {
  double cutoff = EpochSeconds(clock.Now()) - static_cast<double>(retention.count());
  ASSIGN_OR_RETURN(store::Page page, store.List(model::keys::kTasks, "", 0));
  int expired = 0;
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object task, ParseObject(kv.value));
    auto stopped_at = task.find("stoppedAt");
    if (!model::TaskRecord(task).stopped() || stopped_at == task.end() || !stopped_at->value().is_number() ||
        stopped_at->value().to_number<double>() > cutoff) {
      continue;
    }
    store::Txn txn;
    txn.compares.push_back({kv.key, kv.mod_revision});
    txn.ops.push_back(store::Op::Delete(kv.key));
    ASSIGN_OR_RETURN(store::TxnResult r, store.Commit(txn));
    if (r.succeeded) ++expired;
  }
  return expired;
}

}  // namespace wharf::controlplane
