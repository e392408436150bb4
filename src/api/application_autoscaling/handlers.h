// The Application Auto Scaling operations, one function each.
#pragma once

#include "api/application_autoscaling/common.h"

namespace wharf::api::application_autoscaling {

// The tags of a scalable target ARN, for aws:ResourceTag (empty when none or not found).
ResourceTags ResourceTagsOf(const ScalingApiDeps& deps, std::string_view arn);

#define WHARF_AAS_OP(name) Outcome name(const ScalingApiDeps& deps, const RequestContext& ctx, object& in)
// targets.cc
WHARF_AAS_OP(RegisterScalableTarget);
WHARF_AAS_OP(DescribeScalableTargets);
WHARF_AAS_OP(DeregisterScalableTarget);
WHARF_AAS_OP(TagResource);
WHARF_AAS_OP(UntagResource);
WHARF_AAS_OP(ListTagsForResource);
// policies.cc
WHARF_AAS_OP(PutScalingPolicy);
WHARF_AAS_OP(DescribeScalingPolicies);
WHARF_AAS_OP(DeleteScalingPolicy);
WHARF_AAS_OP(GetPredictiveScalingForecast);
// scheduled_actions.cc
WHARF_AAS_OP(PutScheduledAction);
WHARF_AAS_OP(DescribeScheduledActions);
WHARF_AAS_OP(DeleteScheduledAction);
WHARF_AAS_OP(DescribeScalingActivities);
#undef WHARF_AAS_OP

}  // namespace wharf::api::application_autoscaling
