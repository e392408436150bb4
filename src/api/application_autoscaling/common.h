// Shared pieces of the Application Auto Scaling handlers: errors, the target a request names,
// ARNs, pages.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/application_autoscaling/application_autoscaling.h"
#include "api/aws_error.h"
#include "api/json_util.h"
#include "controlplane/records.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::application_autoscaling {

using boost::json::array;
using boost::json::object;

AwsError ScalingError(const Status& status);
AwsError Validation(std::string message);  // ValidationException
AwsError ObjectNotFound(std::string message);
AwsError ConcurrentUpdate();

double Now(const ScalingApiDeps& deps);

// The ServiceNamespace, ResourceId and ScalableDimension of a request, checked: wharf serves
// ecs / service/<cluster>/<service> / ecs:service:DesiredCount.
struct TargetId {
  std::string name_space, resource_id, dimension;
};
std::variant<TargetId, AwsError> ReadTargetId(const object& in);
// "No scalable target registered for service namespace: ecs, resource ID: ..., scalable dimension: ..."
AwsError TargetNotFound(const TargetId& id);
std::string TargetWords(const TargetId& id);  // "service namespace: ecs, resource ID: ..., scalable dimension: ..."

// A request's ServiceNamespace (required by the Describe calls): ValidationException for a
// namespace wharf does not scale.
std::optional<AwsError> CheckNamespace(const object& in);

// arn:aws:autoscaling:<region>:<account>:<kind>:<uuid>:resource/ecs/<resource id>:<name kind>/<name>
std::string PolicyLikeArn(const ScalingApiDeps& deps, std::string_view kind, const TargetId& id,
                          std::string_view name_kind, std::string_view name);

// Offset pages over `items`: at most MaxResults (`max_default`, at most `max_allowed`).
std::variant<object, AwsError> Page(const object& in, std::vector<object> items, const char* member,
                                    size_t max_default, size_t max_allowed);

// Runs `decide` on a draft, retried on conflict; ConcurrentUpdateException when every attempt lost.
Outcome Change(const ScalingApiDeps& deps, const std::function<Result<store::Decision<Outcome>>(store::Draft&)>& decide);

// The target tracking alarms of `policy`, written into the draft as PutMetricAlarm writes
// alarms; `policy`'s Alarms member lists them.
Status PutPolicyAlarms(const ScalingApiDeps& deps, store::Draft& draft, object& policy);
// Deletes the alarms a policy's Alarms member lists.
void DeletePolicyAlarms(store::Draft& draft, const object& policy);

}  // namespace wharf::api::application_autoscaling
