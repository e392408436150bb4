// The Secrets Manager operations, one function each.
#pragma once

#include "api/secretsmanager/common.h"

namespace wharf::api::secretsmanager {

#define WHARF_SM_OP(name) Outcome name(const SecretsDeps& deps, const RequestContext& ctx, object& in)
// secrets.cc
WHARF_SM_OP(CreateSecret);
WHARF_SM_OP(DescribeSecret);
WHARF_SM_OP(ListSecrets);
WHARF_SM_OP(UpdateSecret);
WHARF_SM_OP(DeleteSecret);
WHARF_SM_OP(RestoreSecret);
// values.cc
WHARF_SM_OP(GetSecretValue);
WHARF_SM_OP(PutSecretValue);
WHARF_SM_OP(BatchGetSecretValue);
WHARF_SM_OP(UpdateSecretVersionStage);
WHARF_SM_OP(ListSecretVersionIds);
// policies.cc
WHARF_SM_OP(PutResourcePolicy);
WHARF_SM_OP(GetResourcePolicy);
WHARF_SM_OP(DeleteResourcePolicy);
WHARF_SM_OP(ValidateResourcePolicy);
WHARF_SM_OP(TagResource);
WHARF_SM_OP(UntagResource);
WHARF_SM_OP(GetRandomPassword);
#undef WHARF_SM_OP

}  // namespace wharf::api::secretsmanager
