// The ECS API (JSON 1.1, AmazonEC2ContainerServiceV20141113).
//
// Handlers read and write the Store directly in the shapes of the botocore model: a
// stored cluster or task definition is the JSON the Describe call returns (plus a few
// wharf-only fields under "_wharf"). Keys are drawn in docs/STATE.md.
#pragma once

#include <string>

#include "api/front_door.h"
#include "base/clock.h"
#include "store/store.h"

namespace wharf::api::ecs {

struct EcsDeps {
  store::Store& store;
  Clock& clock;
  std::string region;
  std::string account_id;
};

// Builds the endpoint with every implemented operation.
Result<ServiceEndpoint> MakeEcsEndpoint(const EcsDeps& deps);

}  // namespace wharf::api::ecs
