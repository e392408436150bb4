#include "api/cloudformation/cloudformation.h"

#include "api/cloudformation/common.h"
#include "api/cloudformation/handlers.h"

namespace wharf::api::cloudformation {

Result<ServiceEndpoint> MakeCloudFormationEndpoint(const CloudFormationDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("cloudformation"));
  endpoint.validation_error = "ValidationError";
  endpoint.to_error = CloudFormationError;
  auto shared = std::make_shared<const CloudFormationDeps>(deps);
  using Fn = Outcome (*)(const Deps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateStack", CreateStack},
      {"UpdateStack", UpdateStack},
      {"DeleteStack", DeleteStack},
      {"DescribeStacks", DescribeStacks},
      {"ListStacks", ListStacks},
      {"GetTemplate", GetTemplate},
      {"ValidateTemplate", ValidateTemplate},
      {"GetTemplateSummary", GetTemplateSummary},
      {"ListExports", ListExports},
      {"DescribeStackEvents", DescribeStackEvents},
      {"DescribeStackResource", DescribeStackResource},
      {"DescribeStackResources", DescribeStackResources},
      {"ListStackResources", ListStackResources},
      {"CreateChangeSet", CreateChangeSet},
      {"DescribeChangeSet", DescribeChangeSet},
      {"ExecuteChangeSet", ExecuteChangeSet},
      {"DeleteChangeSet", DeleteChangeSet},
      {"ListChangeSets", ListChangeSets},
      {"UpdateTerminationProtection", UpdateTerminationProtection},
      {"SetStackPolicy", SetStackPolicy},
      {"GetStackPolicy", GetStackPolicy},
      {"ListImports", ListImports},
  };
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("CloudFormation model has no operation ") + name);
    }
    endpoint.operations[name] = [shared, fn = fn](const RequestContext& ctx, boost::json::object& in) {
      return fn(*shared, ctx, in);
    };
  }
  // aws:ResourceTag/<key> of stacks.
  endpoint.resource_tags = [shared](std::string_view arn) { return ResourceTagsOf(*shared, arn); };
  return endpoint;
}

}  // namespace wharf::api::cloudformation
