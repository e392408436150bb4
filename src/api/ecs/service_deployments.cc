// Service deployments: ListServiceDeployments, DescribeServiceDeployments,
// DescribeServiceRevisions, StopServiceDeployment. What they tell comes from the service record
// (controlplane/service_deployments.h); a stop only marks the service deployment, and the
// service controller rolls it back on its next round.
#include <algorithm>
#include <functional>
#include <optional>
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "controlplane/service_deployments.h"
#include "model/service.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

AwsError ServiceNotFound() { return AwsError::Client("ServiceNotFoundException", "Service not found."); }

double Seconds(const json::value* v) {
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

// The service a child ARN names, when it exists.
Result<std::optional<json::object>> ServiceOf(const EcsDeps& deps, const controlplane::ServiceChildRef& ref) {
  if (ref.id.empty()) return std::optional<json::object>();
  ASSIGN_OR_RETURN(auto found, ReadRecord(deps.store, ServiceKey(ref.cluster, ref.service)));
  if (!found) return std::optional<json::object>();
  return std::optional<json::object>(std::move(found->value));
}

// The ARNs of a Describe request: between 1 and 20 (ECS's limit).
std::optional<AwsError> CheckArnList(const json::array& arns, std::string_view member) {
  if (arns.empty() || arns.size() > 20) {
    return InvalidParameter(std::string(member) + " must list between 1 and 20 ARNs.");
  }
  return std::nullopt;
}

}  // namespace

Outcome ListServiceDeployments(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, ServiceKey(cluster, ShortId(GetString(in, "service")))), EcsError);
  if (!found) return ServiceNotFound();
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  if (!Has(in, "maxResults")) page_size = 20;
  size_t start = 0;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto index = ReadIndexToken(token);
    if (!index) return InvalidParameter("Invalid nextToken.");
    start = *index;
  }
  std::vector<std::string> statuses;
  for (const auto& s : GetArray(in, "status")) statuses.emplace_back(s.get_string());
  const json::object& created = GetObject(in, "createdAt");
  const json::value* after = created.if_contains("after");
  const json::value* before = created.if_contains("before");

  json::array briefs;
  size_t seen = 0;
  bool more = false;
  for (const json::object& d : controlplane::ServiceDeploymentsOf(found->value)) {
    if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), GetString(d, "status")) == statuses.end()) continue;
    double at = Seconds(d.if_contains("createdAt"));
    if (after && at < Seconds(after)) continue;
    if (before && at > Seconds(before)) continue;
    if (seen++ < start) continue;
    if (briefs.size() == page_size) {
      more = true;
      break;
    }
    briefs.push_back(controlplane::ServiceDeploymentBrief(d));
  }
  json::object out{{"serviceDeployments", std::move(briefs)}};
  if (more) out["nextToken"] = MakeIndexToken(start + page_size);
  return out;
}

Outcome DescribeServiceDeployments(const EcsDeps& deps, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "serviceDeploymentArns");
  if (auto err = CheckArnList(arns, "serviceDeploymentArns")) return *err;
  json::array found, failures;
  for (const auto& v : arns) {
    std::string arn(v.get_string());
    auto ref = controlplane::ParseServiceChildArn(arn, "service-deployment");
    ASSIGN_OR_FAIL(auto service, ServiceOf(deps, ref), EcsError);
    bool hit = false;
    if (service) {
      for (json::object& d : controlplane::ServiceDeploymentsOf(*service)) {
        if (GetString(d, "serviceDeploymentArn") != arn) continue;
        found.push_back(std::move(d));
        hit = true;
        break;
      }
    }
    if (!hit) failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
  }
  return json::object{{"serviceDeployments", std::move(found)}, {"failures", std::move(failures)}};
}

Outcome DescribeServiceRevisions(const EcsDeps& deps, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "serviceRevisionArns");
  if (auto err = CheckArnList(arns, "serviceRevisionArns")) return *err;
  json::array found, failures;
  for (const auto& v : arns) {
    std::string arn(v.get_string());
    auto ref = controlplane::ParseServiceChildArn(arn, "service-revision");
    ASSIGN_OR_FAIL(auto service, ServiceOf(deps, ref), EcsError);
    std::optional<json::object> revision;
    if (service) revision = controlplane::ServiceRevisionOf(*service, ref.id);
    if (!revision || GetString(*revision, "serviceRevisionArn") != arn) {
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    // The images it runs, as its task definition names them.
    ASSIGN_OR_FAIL(auto td, FindTaskDefinition(deps, GetString(*revision, "taskDefinition")), EcsError);
    json::array images;
    if (td) {
      for (const auto& c : GetArray(*td, "containerDefinitions")) {
        images.push_back(json::object{{"containerName", GetString(c.get_object(), "name")},
                                      {"image", GetString(c.get_object(), "image")}});
      }
    }
    (*revision)["containerImages"] = std::move(images);
    found.push_back(std::move(*revision));
  }
  return json::object{{"serviceRevisions", std::move(found)}, {"failures", std::move(failures)}};
}

namespace {

// The service deployment `arn` names, changed by `change` (which answers an error or
// nothing) in one revision-checked write of its service; `what` says what the caller did.
Outcome ChangeServiceDeployment(const EcsDeps& deps, const std::string& arn, std::string_view what,
                                const std::function<std::optional<AwsError>(json::object& service,
                                                                            const std::string& id)>& change) {
  auto ref = controlplane::ParseServiceChildArn(arn, "service-deployment");
  AwsError not_found = AwsError::Client("ServiceDeploymentNotFoundException", "The service deployment does not exist.");
  if (ref.id.empty()) return not_found;
  auto changed = UpdateRecord(deps.store, ServiceKey(ref.cluster, ref.service),
                              [&](std::optional<json::object>& found) -> store::Decision<Outcome> {
    if (!found) return not_found;
    bool known = false;
    for (const json::object& d : controlplane::ServiceDeploymentsOf(*found)) {
      known = known || GetString(d, "serviceDeploymentArn") == arn;
    }
    if (!known) return not_found;
    if (auto refused = change(*found, ref.id)) return *refused;
    return store::Commit(json::object{{"serviceDeploymentArn", arn}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(changed), EcsError);
  return answer.value_or(
      AwsError::Server("ServerException", "The service changed while it was " + std::string(what) + "; retry."));
}

}  // namespace

Outcome StopServiceDeployment(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string stop_type = GetString(in, "stopType", "ROLLBACK");
  if (stop_type != "ROLLBACK") return InvalidParameter("The stopType " + stop_type + " is not valid: the valid value is ROLLBACK.");
  return ChangeServiceDeployment(deps, GetString(in, "serviceDeploymentArn"), "stopped",
                                 [](json::object& service, const std::string& id) -> std::optional<AwsError> {
    if (auto conflict = controlplane::RequestServiceDeploymentRollback(service, id)) {
      return AwsError::Client("ConflictException", *conflict);
    }
    return std::nullopt;
  });
}

// ContinueServiceDeployment: a blue/green deployment paused at a PAUSE lifecycle hook goes on
// (CONTINUE) or rolls back (ROLLBACK); the service controller acts on it in its next round.
Outcome ContinueServiceDeployment(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string action = GetString(in, "action", "CONTINUE");
  if (action != "CONTINUE" && action != "ROLLBACK") {
    return InvalidParameter("The action " + action + " is not valid: the valid values are CONTINUE and ROLLBACK.");
  }
  std::string hook = GetString(in, "hookId");
  return ChangeServiceDeployment(deps, GetString(in, "serviceDeploymentArn"), "continued",
                                 [&](json::object& service, const std::string& id) -> std::optional<AwsError> {
    if (auto refused = controlplane::ContinuePausedHook(service, id, hook, action)) return InvalidParameter(*refused);
    return std::nullopt;
  });
}

}  // namespace wharf::api::ecs
