// The bridge between stored records and the pure scheduler: a container instance as the
// scheduler sees it.
#pragma once

#include <boost/json/object.hpp>
#include <vector>

#include "scheduler/placement.h"

namespace wharf::api::ecs {

// `instance` is a presented ContainerInstance (remaining resources filled in); `tasks` are
// the cluster's task records (those of other instances are skipped).
scheduler::Instance InstanceSnapshot(const boost::json::object& instance,
                                     const std::vector<boost::json::object>& tasks);

}  // namespace wharf::api::ecs
