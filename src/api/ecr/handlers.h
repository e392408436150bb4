// The ECR operations, one function each.
#pragma once

#include "api/ecr/common.h"

namespace wharf::api::ecr {

#define WHARF_ECR_OP(name) Outcome name(Registry& r, const RequestContext& ctx, object& in)
// repositories.cc
WHARF_ECR_OP(CreateRepository);
WHARF_ECR_OP(DescribeRepositories);
WHARF_ECR_OP(DeleteRepository);
WHARF_ECR_OP(PutImageTagMutability);
WHARF_ECR_OP(PutImageScanningConfiguration);
WHARF_ECR_OP(SetRepositoryPolicy);
WHARF_ECR_OP(GetRepositoryPolicy);
WHARF_ECR_OP(DeleteRepositoryPolicy);
WHARF_ECR_OP(TagResource);
WHARF_ECR_OP(UntagResource);
WHARF_ECR_OP(ListTagsForResource);
// images.cc
WHARF_ECR_OP(ListImages);
WHARF_ECR_OP(DescribeImages);
WHARF_ECR_OP(BatchGetImage);
WHARF_ECR_OP(BatchDeleteImage);
WHARF_ECR_OP(PutImage);
// layers.cc
WHARF_ECR_OP(GetAuthorizationToken);
WHARF_ECR_OP(BatchCheckLayerAvailability);
WHARF_ECR_OP(GetDownloadUrlForLayer);
WHARF_ECR_OP(InitiateLayerUpload);
WHARF_ECR_OP(UploadLayerPart);
WHARF_ECR_OP(CompleteLayerUpload);
// lifecycle_policies.cc
WHARF_ECR_OP(PutLifecyclePolicy);
WHARF_ECR_OP(GetLifecyclePolicy);
WHARF_ECR_OP(DeleteLifecyclePolicy);
WHARF_ECR_OP(StartLifecyclePolicyPreview);
WHARF_ECR_OP(GetLifecyclePolicyPreview);
#undef WHARF_ECR_OP

}  // namespace wharf::api::ecr
