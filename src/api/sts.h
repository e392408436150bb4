// STS (Query protocol): GetCallerIdentity, so `aws sts get-caller-identity` tells users
// which wharf account and key they are talking to.
#pragma once

#include "api/front_door.h"

namespace wharf::api {

Result<ServiceEndpoint> MakeStsEndpoint();

}  // namespace wharf::api
