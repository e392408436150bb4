// The task lifecycle: what agents report moves a task record forward, and stopped tasks are
// forgotten after a while, as ECS forgets them.
//
// Status only moves forward (PROVISIONING .. STOPPED for a task, PENDING .. STOPPED for a
// container): a late or repeated report never moves it back, so an agent that restarts and
// reports again is harmless. A task that reaches DEACTIVATING without having been asked to
// stop stopped on its own: desiredStatus becomes STOPPED with ECS's stopCode
// (TaskFailedToStart when it could not start, else EssentialContainerExited).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace wharf::controlplane {

// Applies an agent's report (SubmitTaskStateChange's shape: status, reason, containers with
// their status, exit code, network bindings...) to `task` at `now`; returns the keys to
// delete with it (the awsvpc address claim of a task that stopped). Pure.
std::vector<std::string> ApplyTaskStateChange(boost::json::object& task, const boost::json::object& change,
                                              double now);

// An agent's report of its containers' health (POST /_wharf/agent/v1/health, docs/AGENT.md):
// {cluster, task, healthStatus, containers: [{containerName, healthStatus}]}. InvalidArgument
// for a health status ECS does not have; NotFound for a task that does not exist.
Status ApplyHealthReport(store::Store& store, const boost::json::object& report);

// Removes tasks that have been STOPPED for longer than `retention` (AWS shows stopped tasks
// for at least an hour, then forgets them). Returns how many went.
Result<int> ExpireStoppedTasks(store::Store& store, const Clock& clock, std::chrono::seconds retention);

}  // namespace wharf::controlplane
