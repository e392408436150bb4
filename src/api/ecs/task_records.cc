#include "api/ecs/task_records.h"

namespace wharf::api::ecs {

boost::json::object PresentTask(const boost::json::object& record) {
  boost::json::object task = record;
  task.erase("_wharf");
  return task;
}

}  // namespace wharf::api::ecs
