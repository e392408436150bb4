// Scheduled actions (PutScheduledAction, DescribeScheduledActions, DeleteScheduledAction) and
// DescribeScalingActivities.
#include <algorithm>
#include <cmath>
#include <set>

#include "api/application_autoscaling/handlers.h"
#include "controlplane/scaling_schedule.h"
#include "model/scalable_target.h"

namespace wharf::api::application_autoscaling {

namespace {

namespace keys = model::keys;

std::string ActionWords(const TargetId& id, const std::string& name) {
  return TargetWords(id) + ", scheduled action name: " + name;
}

}  // namespace

Outcome PutScheduledAction(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  const std::string name = GetString(in, "ScheduledActionName");
  if (Has(in, "Schedule")) {
    auto schedule = controlplane::ParseSchedule(GetString(in, "Schedule"));
    if (!schedule.ok()) return ScalingError(schedule.status());
  }
  if (Has(in, "Timezone")) {
    auto zone = controlplane::TimeZone::Load(GetString(in, "Timezone"));
    if (!zone.ok()) return ScalingError(zone.status());
  }
  const object& bounds = GetObject(in, "ScalableTargetAction");
  for (const char* bound : {"MinCapacity", "MaxCapacity"}) {
    if (Has(bounds, bound) && GetInt(bounds, bound).value_or(-1) < 0) return Validation(std::string(bound) + " must be at least 0");
  }
  if (Has(bounds, "MinCapacity") && Has(bounds, "MaxCapacity") &&
      *GetInt(bounds, "MinCapacity") > *GetInt(bounds, "MaxCapacity")) {
    return Validation("Minimum capacity cannot be greater than maximum capacity");
  }
  if (Has(in, "StartTime") && Has(in, "EndTime") &&
      in.at("StartTime").to_number<double>() >= in.at("EndTime").to_number<double>()) {
    return Validation("EndTime must be after StartTime");
  }
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto target, controlplane::GetRecord(draft, keys::ScalableTargetKey(id.dimension, id.resource_id)));
    if (!target) return store::Decision<Outcome>(TargetNotFound(id));
    const std::string key = keys::ScheduledActionKey(id.dimension, id.resource_id, name);
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, key));
    object action;
    if (existing) {
      action = *existing;
      action.erase(model::kActionLastRun);  // a new schedule counts from now
    } else {
      if (!Has(in, "Schedule")) return store::Decision<Outcome>(Validation("Schedule is required for a new scheduled action"));
      action = object{{"ScheduledActionName", name},
                      {"ScheduledActionARN", PolicyLikeArn(deps, "scheduledAction", id, "scheduledActionName", name)},
                      {"ServiceNamespace", id.name_space},
                      {"ResourceId", id.resource_id},
                      {"ScalableDimension", id.dimension}};
    }
    // An update counts its schedule from now, as a new action does.
    action["CreationTime"] = Now(deps);
    for (const char* member : {"Schedule", "Timezone", "StartTime", "EndTime"}) {
      if (Has(in, member)) action[member] = in.at(member);
    }
    if (Has(in, "ScalableTargetAction")) action["ScalableTargetAction"] = bounds;
    if (!Has(action, "ScalableTargetAction")) action["ScalableTargetAction"] = object{};
    controlplane::PutRecord(draft, key, action);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

Outcome DescribeScheduledActions(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckNamespace(in)) return *e;
  std::set<std::string> names;
  for (const auto& n : GetArray(in, "ScheduledActionNames")) {
    if (n.is_string()) names.emplace(n.get_string());
  }
  const std::string resource = GetString(in, "ResourceId"), dimension = GetString(in, "ScalableDimension");
  auto actions = controlplane::LoadRecords(deps.store, keys::kScheduledActions);
  if (!actions.ok()) return ScalingError(actions.status());
  std::vector<object> found;
  for (auto& a : *actions) {
    if (!names.empty() && !names.count(GetString(a, "ScheduledActionName"))) continue;
    if (!resource.empty() && GetString(a, "ResourceId") != resource) continue;
    if (!dimension.empty() && GetString(a, "ScalableDimension") != dimension) continue;
    found.push_back(std::move(a));
  }
  auto page = Page(in, std::move(found), "ScheduledActions", 50, 50);
  if (auto* e = std::get_if<AwsError>(&page)) return *e;
  return std::get<object>(std::move(page));
}

Outcome DeleteScheduledAction(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  const std::string name = GetString(in, "ScheduledActionName");
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    const std::string key = keys::ScheduledActionKey(id.dimension, id.resource_id, name);
    ASSIGN_OR_RETURN(auto action, controlplane::GetRecord(draft, key));
    if (!action) return store::Decision<Outcome>(ObjectNotFound("No scheduled action found for " + ActionWords(id, name)));
    draft.Delete(key);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

Outcome DescribeScalingActivities(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckNamespace(in)) return *e;
  if (GetBool(in, "IncludeNotScaledActivities").value_or(false)) {
    return Validation("IncludeNotScaledActivities is not supported by wharf: it records the activities that scaled only.");
  }
  const std::string resource = GetString(in, "ResourceId"), dimension = GetString(in, "ScalableDimension");
  auto activities = controlplane::LoadRecords(deps.store, keys::kScalingActivities);
  if (!activities.ok()) return ScalingError(activities.status());
  std::vector<object> found;
  for (auto& a : *activities) {
    if (!resource.empty() && GetString(a, "ResourceId") != resource) continue;
    if (!dimension.empty() && GetString(a, "ScalableDimension") != dimension) continue;
    found.push_back(std::move(a));
  }
  // Newest first.
  std::stable_sort(found.begin(), found.end(), [](const object& a, const object& b) {
    return a.at("StartTime").to_number<double>() > b.at("StartTime").to_number<double>();
  });
  auto page = Page(in, std::move(found), "ScalingActivities", 50, 50);
  if (auto* e = std::get_if<AwsError>(&page)) return *e;
  return std::get<object>(std::move(page));
}

}  // namespace wharf::api::application_autoscaling
