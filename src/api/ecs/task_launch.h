// The ECS handlers' side of task launches (controlplane/task_launch.h decides them): RunTask's
// input read as a launch request, and the control plane's errors as ECS errors.
#pragma once

#include <boost/json/object.hpp>
#include <optional>

#include "api/aws_error.h"
#include "api/ecs/ecs.h"
#include "controlplane/task_launch.h"

namespace wharf::api::ecs {

controlplane::TaskLaunchDeps LaunchDeps(const EcsDeps& deps);

// RunTask's (or CreateService's) input as a launch request of `count` tasks.
controlplane::TaskLaunchRequest LaunchRequestFromInput(const boost::json::object& in, int count = 1);

// NotFound: ClusterNotFoundException; FailedPrecondition: ClientException; InvalidArgument:
// InvalidParameterException; the rest as EcsError.
AwsError LaunchError(const Status& status);

// RunTask's checks of a launch without placing anything (CreateService, UpdateService).
std::optional<AwsError> CheckTaskLaunch(const EcsDeps& deps, const controlplane::TaskLaunchRequest& request);

}  // namespace wharf::api::ecs
