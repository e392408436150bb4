#include "api/ecr/ecr.h"

#include "api/ecr/handlers.h"
#include "model/json.h"

namespace wharf::api::ecr {

Result<ServiceEndpoint> MakeEcrEndpoint(registry::Registry& registry) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("ecr"));
  endpoint.validation_error = "InvalidParameterException";
  endpoint.to_error = EcrError;
  using Fn = Outcome (*)(Registry&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateRepository", CreateRepository},
      {"DescribeRepositories", DescribeRepositories},
      {"DeleteRepository", DeleteRepository},
      {"PutImageTagMutability", PutImageTagMutability},
      {"PutImageScanningConfiguration", PutImageScanningConfiguration},
      {"SetRepositoryPolicy", SetRepositoryPolicy},
      {"GetRepositoryPolicy", GetRepositoryPolicy},
      {"DeleteRepositoryPolicy", DeleteRepositoryPolicy},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListTagsForResource", ListTagsForResource},
      {"ListImages", ListImages},
      {"DescribeImages", DescribeImages},
      {"BatchGetImage", BatchGetImage},
      {"BatchDeleteImage", BatchDeleteImage},
      {"PutImage", PutImage},
      {"GetAuthorizationToken", GetAuthorizationToken},
      {"BatchCheckLayerAvailability", BatchCheckLayerAvailability},
      {"GetDownloadUrlForLayer", GetDownloadUrlForLayer},
      {"InitiateLayerUpload", InitiateLayerUpload},
      {"UploadLayerPart", UploadLayerPart},
      {"CompleteLayerUpload", CompleteLayerUpload},
      {"PutLifecyclePolicy", PutLifecyclePolicy},
      {"GetLifecyclePolicy", GetLifecyclePolicy},
      {"DeleteLifecyclePolicy", DeleteLifecyclePolicy},
      {"StartLifecyclePolicyPreview", StartLifecyclePolicyPreview},
      {"GetLifecyclePolicyPreview", GetLifecyclePolicyPreview},
  };
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("ECR model has no ") + name);
    endpoint.operations[name] = [&registry, fn = fn](const RequestContext& ctx, object& in) {
      return fn(registry, ctx, in);
    };
  }
  // A repository's policy (SetRepositoryPolicy) grants other principals access to it.
  endpoint.resource_policy = [&registry](std::string_view arn) -> std::string {
    size_t slash = arn.find(":repository/");
    if (slash == std::string_view::npos) return "";
    auto record = registry.Repository(arn.substr(slash + 12));
    if (!record.ok() || !*record) return "";
    return wharf::GetString((*record)->first, "policyText");
  };
  endpoint.resource_tags = [&registry](std::string_view arn) -> ResourceTags {
    size_t slash = arn.find(":repository/");
    if (slash == std::string_view::npos) return {};
    auto record = registry.Repository(arn.substr(slash + 12));
    if (!record.ok() || !*record) return {};
    return TagPairs(wharf::GetArray((*record)->first, "tags"), "Key", "Value");
  };
  return endpoint;
}

}  // namespace wharf::api::ecr
