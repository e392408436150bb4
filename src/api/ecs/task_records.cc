#include "api/ecs/task_records.h"

namespace wharf::api::ecs {

boost::json::object PresentTask(const boost::json::object& record) {
  return model::PresentTask(record);
}

}  // namespace wharf::api::ecs
