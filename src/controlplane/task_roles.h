// Task roles and execution roles, as ECS uses them: which role a task runs with, and
// whether ECS may assume it.
//
// A task's roles are its task definition's taskRoleArn and executionRoleArn, its overrides'
// winning (model::TaskRoleArn). ECS assumes them as the service principal
// ecs-tasks.amazonaws.com, so each role's trust policy must allow that principal
// sts:AssumeRole; a launch whose roles ECS cannot assume starts nothing (RunTask and StartTask
// answer ClientException, a service records an event). The trust policy is IAM's to judge:
// TaskLaunchDeps::may_assume_role asks it (api::CheckServiceMayAssume), so this layer never
// reads IAM's records.
//
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "controlplane/task_launch.h"
#include "model/task.h"
#include "store/store.h"

namespace wharf::controlplane {

// The service principal ECS assumes task and execution roles as.
inline constexpr std::string_view kEcsTasksPrincipal = "ecs-tasks.amazonaws.com";

// The role of `kind` the task `task_arn` (arn:aws:ecs:<region>:<account>:task/<cluster>/<id>)
// runs with. NotFound when there is no such task in `store`, it has stopped, or it has no
// such role.
Result<std::string> RoleOfTask(store::Store& store, std::string_view task_arn, model::TaskRoleKind kind);

// FailedPrecondition with ECS's message ("ECS was unable to assume the role '...' ...") when
// ECS may not assume the launch's task role or execution role; OK when it has none, or when
// `deps.may_assume_role` is not set.
Status CheckLaunchRoles(const TaskLaunchDeps& deps, const TaskLaunch& launch);

}  // namespace wharf::controlplane
