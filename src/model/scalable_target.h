// Application Auto Scaling's records (docs/STATE.md), kept in the shapes its Describe calls
// return (ScalableTarget, ScalingPolicy, ScheduledAction, ScalingActivity) plus members of
// wharf's own that start with "wharf" (the target's tags, a policy's last scaling times, an
// action's last run) and are dropped before a record is shown (Present).
//
// wharf scales ECS services only: ServiceNamespace "ecs", ScalableDimension
// "ecs:service:DesiredCount", ResourceId "service/<cluster>/<service>".
//
// Pure. Thread-safety: values.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::model {

inline constexpr std::string_view kEcsNamespace = "ecs";
inline constexpr std::string_view kEcsDesiredCount = "ecs:service:DesiredCount";

// Members of wharf's own.
inline constexpr std::string_view kTargetTags = "wharfTags";              // target: {key: value}
inline constexpr std::string_view kPolicyLastScaleOut = "wharfLastScaleOut";  // policy: epoch seconds
inline constexpr std::string_view kPolicyLastScaleIn = "wharfLastScaleIn";
inline constexpr std::string_view kActionLastRun = "wharfLastRun";        // scheduled action: epoch seconds

struct EcsServiceResource {
  std::string cluster;
  std::string service;
};
// "service/<cluster>/<service>"; nullopt for anything else.
std::optional<EcsServiceResource> ParseEcsServiceResourceId(std::string_view resource_id);

// The record without wharf's own members.
boost::json::object Present(boost::json::object record);

}  // namespace wharf::model
