// SubmitTaskStateChange and SubmitContainerStateChange: how agents report what their tasks
// and containers did. The lifecycle rules are controlplane/task_lifecycle.h's; here the
// report is read, applied in one transaction with the address claims it releases, and
// acknowledged.
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "controlplane/task_lifecycle.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

Outcome Submit(const EcsDeps& deps, const json::object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  std::string ref = GetString(in, "task");
  if (ref.empty()) return InvalidParameter("task must be given.");
  std::string key = TaskKey(cluster, ShortId(ref));
  auto submitted = store::Update(deps.store, [&](store::Draft& draft) -> store::Decision<Outcome> {
    ASSIGN_OR_FAIL(auto task, GetRecord(draft, key), EcsError);
    if (!task) return InvalidParameter("The referenced task was not found.");
    std::vector<std::string> released = controlplane::ApplyTaskStateChange(*task, in, NowSeconds(deps));
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

}  // namespace wharf::api::ecs
