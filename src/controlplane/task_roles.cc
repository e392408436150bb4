#include "controlplane/task_roles.h"

#include "controlplane/records.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {

Result<std::string> RoleOfTask(store::Store& store, std::string_view task_arn, model::TaskRoleKind kind) {
  // task/<cluster>/<id>
  size_t resource = task_arn.find(":task/");
  if (resource == std::string_view::npos) return Status::NotFound("not a task ARN: " + std::string(task_arn));
  std::string_view path = task_arn.substr(resource + 6);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return Status::NotFound("not a task ARN: " + std::string(task_arn));
  }
  ASSIGN_OR_RETURN(auto record, ReadRecord(store, model::keys::TaskKey(path.substr(0, slash), path.substr(slash + 1))));
  if (!record || GetString(record->value, "taskArn") != task_arn) {
    return Status::NotFound("task not found: " + std::string(task_arn));
  }
  // A stopped task's roles are no longer handed out, as the ECS agent drops a task's
  // credentials once it stops (what its containers fetched lives on until it expires).
  if (GetString(record->value, "lastStatus") == "STOPPED") {
    return Status::NotFound("task stopped: " + std::string(task_arn));
  }
  std::string role = model::TaskRecord(record->value).role_arn(kind);
  if (role.empty()) {
    return Status::NotFound(std::string(kind == model::TaskRoleKind::kTask ? "no task role" : "no execution role") +
                            " for task " + std::string(task_arn));
  }
  return role;
}

Status CheckLaunchRoles(const TaskLaunchDeps& deps, const TaskLaunch& launch) {
  if (!deps.may_assume_role) return Status::OK();
  for (auto kind : {model::TaskRoleKind::kTask, model::TaskRoleKind::kExecution}) {
    std::string role = model::TaskRoleArn(launch.task_definition, launch.request.overrides, kind);
    if (!role.empty()) RETURN_IF_ERROR(deps.may_assume_role(role));
  }
  return Status::OK();
}

}  // namespace wharf::controlplane
