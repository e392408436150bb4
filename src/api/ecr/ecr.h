// The ECR API (JSON 1.1, AmazonEC2ContainerRegistry_V20150921) over the Registry that
// also serves /v2/: repositories, images, layer uploads, auth tokens, repository and
// lifecycle policies, tags.
#pragma once

#include "api/front_door.h"
#include "registry/registry.h"

namespace wharf::api::ecr {

Result<ServiceEndpoint> MakeEcrEndpoint(registry::Registry& registry);

}  // namespace wharf::api::ecr
