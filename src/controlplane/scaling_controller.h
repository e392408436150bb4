// Application Auto Scaling's controller: each round it runs the scheduled actions that are
// due and invokes the scaling policies named in the actions of every alarm, as CloudWatch
// invokes Auto Scaling actions: on entering a state and again each round the alarm stays in
// it (AWS: every minute), each policy's cooldowns deciding whether it acts. An ECS service's
// desired count changes as UpdateService changes it (its primary deployment's count with it,
// no new deployment), clamped to the target's MinCapacity and MaxCapacity, and the change is
// recorded as a scaling activity, all in one transaction checked against what was read.
//
// All state (targets, policies with their last scaling times, actions with their last run,
// activities) is in the store, so a restarted or new leader carries on.
//
// Thread-safety: free functions over a thread-safe Store and MetricStore.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/random.h"
#include "base/status.h"
#include "metrics/metric_store.h"
#include "store/store.h"
#include "store/update.h"

namespace wharf::controlplane {

struct ScalingDeps {
  store::Store& store;
  const metrics::MetricStore& metrics;
  Clock& clock;
  Random& random;  // activity ids
};

// One round.
Status RunScaling(const ScalingDeps& deps);

// Drops the scaling activities older than six weeks, as Application Auto Scaling keeps them.
Status ExpireScalingActivities(store::Store& store, Clock& clock);

// A ScalingActivity record of `target` (a ScalableTarget record) that succeeded at `now`.
boost::json::object NewScalingActivity(Random& random, const boost::json::object& target, std::string description,
                                       std::string cause, std::string status_message, double now);
std::string ScalingActivityKeyOf(const boost::json::object& activity, double now);

// Sets the ECS service of `resource_id` to `capacity` as UpdateService would (deployments
// unaffected) in `draft`. False when the service is gone or not ACTIVE.
Result<bool> SetServiceDesiredCount(store::Draft& draft, const std::string& resource_id, int64_t capacity);
// The service's desiredCount; nullopt when it is gone or not ACTIVE.
Result<std::optional<int64_t>> ServiceDesiredCount(store::Draft& draft, const std::string& resource_id);

}  // namespace wharf::controlplane
