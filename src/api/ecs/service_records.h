// Service records as the ECS handlers use them: the layout and the pure parts are
// model/service.h; these take the handlers' deps for the time and the randomness.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "api/ecs/ecs.h"
#include "model/arn.h"
#include "model/service.h"

namespace wharf::api::ecs {

using model::kDeploymentLoadBalancers;
using model::kMaxServiceEvents;
using model::PresentService;
using model::TargetGroupName;

// A new PRIMARY deployment (model::NewDeployment) made now.
boost::json::object NewDeployment(const EcsDeps& deps, const boost::json::object& service);

// Adds an event made now (newest first, at most kMaxServiceEvents kept).
void AddServiceEvent(const EcsDeps& deps, boost::json::object& service, const std::string& message);

}  // namespace wharf::api::ecs
