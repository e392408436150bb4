#include "api/application_autoscaling/common.h"

#include "base/random.h"
#include "controlplane/alarm_evaluator.h"
#include "controlplane/scaling_policy.h"
#include "model/scalable_target.h"

namespace wharf::api::application_autoscaling {

namespace json = boost::json;
namespace keys = model::keys;

AwsError ScalingError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return Validation(status.message());
    default: return AwsError::Server("InternalServiceException", status.message());
  }
}

AwsError Validation(std::string message) { return AwsError::Client("ValidationException", std::move(message)); }
AwsError ObjectNotFound(std::string message) { return AwsError::Client("ObjectNotFoundException", std::move(message)); }
AwsError ConcurrentUpdate() {
  return AwsError::Server("ConcurrentUpdateException", "Concurrent updates of the same resource; retry.");
}

double Now(const ScalingApiDeps& deps) { return EpochSeconds(deps.clock.Now()); }

std::optional<AwsError> CheckNamespace(const object& in) {
  const std::string ns = GetString(in, "ServiceNamespace");
  if (ns != model::kEcsNamespace) {
    return Validation("Unsupported service namespace " + ns +
                      ": wharf scales ECS services only (ServiceNamespace ecs, ScalableDimension ecs:service:DesiredCount).");
  }
  return std::nullopt;
}

std::variant<TargetId, AwsError> ReadTargetId(const object& in) {
  if (auto e = CheckNamespace(in)) return *e;
  TargetId id{GetString(in, "ServiceNamespace"), GetString(in, "ResourceId"), GetString(in, "ScalableDimension")};
  if (id.dimension != model::kEcsDesiredCount) {
    return Validation("Unsupported service namespace, resource type or scalable dimension: wharf scales "
                      "ecs:service:DesiredCount only.");
  }
  if (!model::ParseEcsServiceResourceId(id.resource_id)) {
    return Validation("Unsupported service namespace, resource type or scalable dimension: ResourceId must be "
                      "service/<cluster-name>/<service-name>.");
  }
  return id;
}

std::string TargetWords(const TargetId& id) {
  return "service namespace: " + id.name_space + ", resource ID: " + id.resource_id +
         ", scalable dimension: " + id.dimension;
}

AwsError TargetNotFound(const TargetId& id) { return ObjectNotFound("No scalable target registered for " + TargetWords(id)); }

std::string PolicyLikeArn(const ScalingApiDeps& deps, std::string_view kind, const TargetId& id,
                          std::string_view name_kind, std::string_view name) {
  return "arn:aws:autoscaling:" + deps.region + ":" + deps.account_id + ":" + std::string(kind) + ":" +
         RandomUuid(deps.random) + ":resource/" + id.name_space + "/" + id.resource_id + ":" + std::string(name_kind) +
         "/" + std::string(name);
}

std::variant<object, AwsError> Page(const object& in, std::vector<object> items, const char* member,
                                    size_t max_default, size_t max_allowed) {
  size_t max = max_default;
  if (Has(in, "MaxResults")) {
    int64_t n = GetInt(in, "MaxResults").value_or(0);
    if (n < 1 || static_cast<size_t>(n) > max_allowed) {
      return Validation("MaxResults must be between 1 and " + std::to_string(max_allowed));
    }
    max = static_cast<size_t>(n);
  }
  size_t skip = 0;
  if (Has(in, "NextToken")) {
    std::string token = GetString(in, "NextToken");
    constexpr std::string_view kPrefix = "wharf-page-";
    bool ok = token.starts_with(kPrefix) && token.size() > kPrefix.size() && token.size() < kPrefix.size() + 10;
    for (size_t i = kPrefix.size(); ok && i < token.size(); ++i) ok = token[i] >= '0' && token[i] <= '9';
    if (!ok) return AwsError::Client("InvalidNextTokenException", "The next token is invalid.");
    skip = static_cast<size_t>(std::stoul(token.substr(kPrefix.size())));
  }
  object out;
  array page;
  for (size_t i = skip; i < items.size() && page.size() < max; ++i) page.push_back(model::Present(std::move(items[i])));
  if (skip + page.size() < items.size()) out["NextToken"] = "wharf-page-" + std::to_string(skip + page.size());
  out[member] = std::move(page);
  return out;
}

Outcome Change(const ScalingApiDeps& deps,
               const std::function<Result<store::Decision<Outcome>>(store::Draft&)>& decide) {
  auto done = store::Update(deps.store, [&](store::Draft& draft) { return decide(draft); });
  if (!done.ok()) return ScalingError(done.status());
  if (!*done) return ConcurrentUpdate();
  return std::move(**done);
}

Status PutPolicyAlarms(const ScalingApiDeps& deps, store::Draft& draft, object& policy) {
  ASSIGN_OR_RETURN(auto configs, controlplane::TargetTrackingAlarms(policy, RandomUuid(deps.random), deps.alarm_period));
  const auto now = deps.clock.Now();
  array listed;
  for (object& alarm : configs) {
    RETURN_IF_ERROR(controlplane::ReadAlarmSpec(alarm).status());
    const std::string name = GetString(alarm, "AlarmName");
    const std::string arn = "arn:aws:cloudwatch:" + deps.region + ":" + deps.account_id + ":alarm:" + name;
    alarm["AlarmArn"] = arn;
    alarm["ActionsEnabled"] = true;
    alarm["OKActions"] = array{};
    alarm["AlarmActions"] = array{GetString(policy, "PolicyARN")};
    alarm["InsufficientDataActions"] = array{};
    alarm["TreatMissingData"] = "missing";
    alarm["AlarmConfigurationUpdatedTimestamp"] = EpochSeconds(now);
    alarm["StateValue"] = "INSUFFICIENT_DATA";
    alarm["StateReason"] = "Unchecked: Initial alarm creation";
    alarm["StateUpdatedTimestamp"] = EpochSeconds(now);
    alarm["StateTransitionedTimestamp"] = EpochSeconds(now);
    object data{{"type", "Create"}, {"version", "1.0"}, {"createdAlarm", alarm}};
    auto [history_key, item] =
        controlplane::AlarmHistoryItem(alarm, "ConfigurationUpdate", "Alarm \"" + name + "\" created", Serialize(data), now);
    controlplane::PutRecord(draft, keys::CloudWatchAlarmKey(name), alarm);
    controlplane::PutRecord(draft, history_key, item);
    listed.push_back(object{{"AlarmName", name}, {"AlarmARN", arn}});
  }
  policy["Alarms"] = std::move(listed);
  return Status::OK();
}

void DeletePolicyAlarms(store::Draft& draft, const object& policy) {
  if (GetString(policy, "PolicyType") != "TargetTrackingScaling") return;
  for (const auto& a : GetArray(policy, "Alarms")) {
    if (a.is_object()) draft.Delete(keys::CloudWatchAlarmKey(GetString(a.get_object(), "AlarmName")));
  }
}

}  // namespace wharf::api::application_autoscaling
