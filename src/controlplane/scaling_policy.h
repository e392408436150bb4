// What Application Auto Scaling's policies decide, pure: the CloudWatch alarms a target
// tracking policy owns, and the capacity a policy asks for when one of its alarms fires.
//
// Target tracking (AWS's rules for ECS): an AlarmHigh above the target value, 3 of 3
// periods, and an AlarmLow below 90 % of it, 15 of 15 periods (none with DisableScaleIn),
// named "TargetTracking-<ResourceId>-AlarmHigh-<uuid>" / "-AlarmLow-<uuid>". AWS's period is
// 60 s; `period` makes it shorter for tests. When an alarm fires the capacity becomes
// ceil(current * metric / target): more on AlarmHigh, less on AlarmLow.
//
// Step scaling: the breach is the metric minus the alarm's threshold; the step adjustment
// whose interval holds it (lower bound inclusive and upper exclusive above the threshold,
// the other way round below it) is applied by AdjustmentType.
//
// Thread-safety: values.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::controlplane {

// The MetricAlarm configuration members (as PutMetricAlarm stores them: Namespace,
// MetricName, Dimensions, Statistic, Period, EvaluationPeriods, DatapointsToAlarm,
// Threshold, ComparisonOperator, or Metrics for a metric-math customized metric) of a target
// tracking policy's alarms, with AlarmName and AlarmDescription. `policy` is the
// ScalingPolicy record (PolicyARN, ResourceId, TargetTrackingScalingPolicyConfiguration).
// InvalidArgument, in Application Auto Scaling's words, for a configuration it refuses.
Result<std::vector<boost::json::object>> TargetTrackingAlarms(const boost::json::object& policy,
                                                              const std::string& uuid, int64_t period);

// The predefined metric's dimensions need the service's cluster and name, and an
// ALBRequestCountPerTarget its ResourceLabel ("app/<lb>/<id>/targetgroup/<tg>/<id>").
Status CheckTargetTrackingConfiguration(const boost::json::object& configuration);

bool IsAlarmHigh(const std::string& alarm_name);

// ceil(current * metric / target), at least 0.
int64_t TargetTrackingCapacity(int64_t current, double metric, double target);

// The capacity a step scaling policy asks for at `breach`; nullopt when no step holds it.
std::optional<int64_t> StepCapacity(const boost::json::object& configuration, int64_t current, double breach);

}  // namespace wharf::controlplane
