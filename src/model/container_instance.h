// ECS container instance records: ecs/container-instances/<cluster>/<id> holds
// {"containerInstance": <ContainerInstance shape without remaining resources>, "node": <id>}
// (docs/STATE.md). Remaining resources and task counts are not stored: they are computed
// from the tasks whenever an instance is shown or placed on, so a task's one write is the
// whole of its placement. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <vector>

namespace wharf::model {

// The ContainerInstance shape with remainingResources and task counts from `tasks` (the
// cluster's task records; those on other instances are skipped).
boost::json::object PresentContainerInstance(const boost::json::object& record,
                                             const std::vector<boost::json::object>& tasks);

}  // namespace wharf::model
