#include "api/ssm/ssm.h"

#include "api/ssm/handlers.h"

namespace wharf::api::ssm {

Result<ServiceEndpoint> MakeSsmEndpoint(const SsmDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("ssm"));
  endpoint.validation_error = "ValidationException";
  endpoint.to_error = SsmError;
  endpoint.unknown_operation_message =
      "wharf serves only SSM Parameter Store (PutParameter, GetParameter(s), GetParametersByPath, "
      "DeleteParameter(s), DescribeParameters, GetParameterHistory, Label/UnlabelParameterVersion and "
      "parameter tags); the rest of SSM is not supported.";
  using Fn = Outcome (*)(const SsmDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"PutParameter", PutParameter},
      {"GetParameter", GetParameter},
      {"GetParameters", GetParameters},
      {"DeleteParameter", DeleteParameter},
      {"DeleteParameters", DeleteParameters},
      {"GetParameterHistory", GetParameterHistory},
      {"LabelParameterVersion", LabelParameterVersion},
      {"UnlabelParameterVersion", UnlabelParameterVersion},
      {"GetParametersByPath", GetParametersByPath},
      {"DescribeParameters", DescribeParameters},
      {"AddTagsToResource", AddTagsToResource},
      {"RemoveTagsFromResource", RemoveTagsFromResource},
      {"ListTagsForResource", ListTagsForResource},
  };
  const SsmDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("SSM model has no ") + name);
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  endpoint.resource_tags = [d](std::string_view arn) -> ResourceTags {
    if (arn.find(":parameter") == std::string_view::npos) return {};
    auto loaded = LoadParameter(*d, NameOf(*d, arn));
    auto* stored = std::get_if<StoredParameter>(&loaded);
    return stored ? TagPairs(stored->parameter.tags, "Key", "Value") : ResourceTags();
  };
  return endpoint;
}

}  // namespace wharf::api::ssm
