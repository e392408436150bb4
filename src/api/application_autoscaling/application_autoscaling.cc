#include "api/application_autoscaling/application_autoscaling.h"

#include "api/application_autoscaling/handlers.h"

namespace wharf::api::application_autoscaling {

Result<ServiceEndpoint> MakeApplicationAutoScalingEndpoint(const ScalingApiDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("application-autoscaling"));
  endpoint.validation_error = "ValidationException";
  endpoint.to_error = ScalingError;
  using Fn = Outcome (*)(const ScalingApiDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"RegisterScalableTarget", RegisterScalableTarget},
      {"DescribeScalableTargets", DescribeScalableTargets},
      {"DeregisterScalableTarget", DeregisterScalableTarget},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListTagsForResource", ListTagsForResource},
      {"PutScalingPolicy", PutScalingPolicy},
      {"DescribeScalingPolicies", DescribeScalingPolicies},
      {"DeleteScalingPolicy", DeleteScalingPolicy},
      {"GetPredictiveScalingForecast", GetPredictiveScalingForecast},
      {"PutScheduledAction", PutScheduledAction},
      {"DescribeScheduledActions", DescribeScheduledActions},
      {"DeleteScheduledAction", DeleteScheduledAction},
      {"DescribeScalingActivities", DescribeScalingActivities},
  };
  const ScalingApiDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("Application Auto Scaling model has no ") + name);
    }
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  // aws:ResourceTag/<key> of scalable targets, where a request names one by its ARN (the tag
  // operations; the others name targets by ResourceId and are checked on "*").
  endpoint.resource_tags = [d](std::string_view arn) { return ResourceTagsOf(*d, arn); };
  return endpoint;
}

}  // namespace wharf::api::application_autoscaling
