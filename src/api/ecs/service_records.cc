#include "api/ecs/service_records.h"

#include "api/ecs/common.h"

namespace wharf::api::ecs {

boost::json::object NewDeployment(const EcsDeps& deps, const boost::json::object& service) {
  return model::NewDeployment(deps.random, NowSeconds(deps), service);
}

void AddServiceEvent(const EcsDeps& deps, boost::json::object& service, const std::string& message) {
  model::AddServiceEvent(deps.random, NowSeconds(deps), service, message);
}

}  // namespace wharf::api::ecs
