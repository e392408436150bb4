// Application Auto Scaling (JSON 1.1, application-autoscaling, target prefix
// AnyScaleFrontendService), one region's, for ECS services' desired counts
// (ScalableDimension ecs:service:DesiredCount): scalable targets, target tracking and step
// scaling policies, scheduled actions, scaling activities and tags. Other namespaces and
// dimensions, and predictive scaling, are refused with ValidationException.
//
// A target tracking policy makes and owns its CloudWatch alarms (controlplane/scaling_policy.h),
// written with the policy in one transaction and deleted with it; step scaling policies are
// invoked by alarms that name them in their actions (PutMetricAlarm). What happens when an
// alarm fires or a scheduled action is due is controlplane/scaling_controller.h's.
//
// Thread-safety: handlers run on any thread; every write is revision-checked.
#pragma once

#include <cstdint>
#include <string>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api::application_autoscaling {

struct ScalingApiDeps {
  store::Store& store;
  Clock& clock;
  Random& random;  // ids
  std::string region;
  std::string account_id;
  int64_t alarm_period = 60;  // the Period of target tracking alarms (AWS: 60; tests shorten it)
};

Result<ServiceEndpoint> MakeApplicationAutoScalingEndpoint(const ScalingApiDeps& deps);

}  // namespace wharf::api::application_autoscaling
