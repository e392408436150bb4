// The Parameter Store operations, one function each.
#pragma once

#include "api/ssm/common.h"

namespace wharf::api::ssm {

#define WHARF_SSM_OP(name) Outcome name(const SsmDeps& deps, const RequestContext& ctx, object& in)
// parameters.cc
WHARF_SSM_OP(PutParameter);
WHARF_SSM_OP(GetParameter);
WHARF_SSM_OP(GetParameters);
WHARF_SSM_OP(DeleteParameter);
WHARF_SSM_OP(DeleteParameters);
WHARF_SSM_OP(GetParameterHistory);
WHARF_SSM_OP(LabelParameterVersion);
WHARF_SSM_OP(UnlabelParameterVersion);
// queries.cc
WHARF_SSM_OP(GetParametersByPath);
WHARF_SSM_OP(DescribeParameters);
WHARF_SSM_OP(AddTagsToResource);
WHARF_SSM_OP(RemoveTagsFromResource);
WHARF_SSM_OP(ListTagsForResource);
#undef WHARF_SSM_OP

}  // namespace wharf::api::ssm
