// Task scale-in protection: UpdateTaskProtection, GetTaskProtection. A protected service task
// is not retired by a scale-in or a deployment until its protection expires
// (controlplane/service_reconciler.cc); standalone tasks cannot be protected, as on ECS.
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "model/task.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

constexpr int64_t kDefaultProtectionMinutes = 120;
constexpr int64_t kMaxProtectionMinutes = 2880;

json::object Protection(const model::TaskRecord& task, double now) {
  double until = task.protected_until();
  json::object p{{"taskArn", task.arn()}, {"protectionEnabled", until > now}};
  if (until > now) p["expirationDate"] = until;
  return p;
}

// Why a task cannot be protected (an ECS failure), or nullopt.
std::optional<json::object> NotProtectable(const std::string& arn, const json::object* found) {
  if (!found) return json::object{{"arn", arn}, {"reason", "MISSING"}};
  model::TaskRecord task(*found);
  if (task.group().rfind("service:", 0) != 0) {
    return json::object{{"arn", task.arn()}, {"reason", "TASK_NOT_VALID"}, {"detail", "The task is not part of a service."}};
  }
  if (task.desired_status() == "STOPPED") {
    return json::object{{"arn", task.arn()}, {"reason", "TASK_NOT_VALID"}, {"detail", "The task is stopping or stopped."}};
  }
  return std::nullopt;
}

std::string TaskArnOf(const EcsDeps& deps, const std::string& cluster, const std::string& ref) {
  return ref.rfind("arn:", 0) == 0 ? ref : Arn(deps, "task/" + cluster + "/" + ref);
}

}  // namespace

Outcome UpdateTaskProtection(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  const json::array& refs = GetArray(in, "tasks");
  if (refs.empty() || refs.size() > 10) return InvalidParameter("tasks must list between 1 and 10 tasks.");
  bool enable = GetBool(in, "protectionEnabled").value_or(false);
  if (!enable && Has(in, "expiresInMinutes")) {
    return InvalidParameter("expiresInMinutes can only be given with protectionEnabled true.");
  }
  int64_t minutes = GetInt(in, "expiresInMinutes").value_or(kDefaultProtectionMinutes);
  if (minutes < 1 || minutes > kMaxProtectionMinutes) {
    return InvalidParameter("expiresInMinutes must be between 1 and 2880.");
  }
  const double now = NowSeconds(deps);
  json::array protected_tasks, failures;
  for (const auto& v : refs) {
    std::string ref(v.get_string());
    using Answer = std::variant<json::object, json::object>;  // protected task, or failure
    auto updated = UpdateRecord(deps.store, TaskKey(cluster, ShortId(ref)),
                                [&](std::optional<json::object>& record) -> store::Decision<Answer> {
      if (auto why = NotProtectable(TaskArnOf(deps, cluster, ref), record ? &*record : nullptr)) return Answer(std::in_place_index<1>, *why);
      json::value& part = (*record)["_wharf"];
      if (!part.is_object()) part.emplace_object();
      json::object& server_part = part.as_object();
      if (enable) {
        server_part["protectedUntil"] = now + static_cast<double>(minutes) * 60;
      } else {
        server_part.erase("protectedUntil");
      }
      return store::Commit(Answer(std::in_place_index<0>, Protection(model::TaskRecord(*record), now)));
    });
    ASSIGN_OR_FAIL(auto answer, std::move(updated), EcsError);
    if (!answer) return AwsError::Server("ServerException", "The task changed while it was updated; retry.");
    if (answer->index() == 0) {
      protected_tasks.push_back(std::get<0>(*answer));
    } else {
      failures.push_back(std::get<1>(*answer));
    }
  }
  return json::object{{"protectedTasks", std::move(protected_tasks)}, {"failures", std::move(failures)}};
}

Outcome GetTaskProtection(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  const json::array& refs = GetArray(in, "tasks");
  if (refs.size() > 100) return InvalidParameter("tasks must list at most 100 tasks.");
  const double now = NowSeconds(deps);
  json::array protected_tasks, failures;
  if (refs.empty()) {  // every service task of the cluster
    ASSIGN_OR_FAIL(store::Page page, deps.store.List(TasksPrefix(cluster), "", 0), EcsError);
    for (const auto& kv : page.items) {
      ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), EcsError);
      if (NotProtectable("", &record)) continue;
      protected_tasks.push_back(Protection(model::TaskRecord(record), now));
    }
  }
  for (const auto& v : refs) {
    std::string ref(v.get_string());
    ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, TaskKey(cluster, ShortId(ref))), EcsError);
    if (auto why = NotProtectable(TaskArnOf(deps, cluster, ref), found ? &found->value : nullptr)) {
      failures.push_back(*why);
      continue;
    }
    protected_tasks.push_back(Protection(model::TaskRecord(found->value), now));
  }
  return json::object{{"protectedTasks", std::move(protected_tasks)}, {"failures", std::move(failures)}};
}

}  // namespace wharf::api::ecs
