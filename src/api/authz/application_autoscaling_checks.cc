// Application Auto Scaling (signing name and prefix application-autoscaling). Resource type:
//   scalable-target  arn:aws:application-autoscaling:<region>:<account>:scalable-target/<id>
// The id is one Application Auto Scaling draws when a target is registered; requests name
// targets by ServiceNamespace, ResourceId and ScalableDimension, never by that ARN, so the
// table (pure, without the store) checks them on "*", as a policy written with
// "Resource": "*" (what AWS's own examples grant) expects. Tag operations name the ARN.
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

constexpr Entry kEntries[] = {
    {"DeleteScalingPolicy", [](Request& r) { r.Need("DeleteScalingPolicy"); }},
    {"DeleteScheduledAction", [](Request& r) { r.Need("DeleteScheduledAction"); }},
    {"DeregisterScalableTarget", [](Request& r) { r.Need("DeregisterScalableTarget"); }},
    {"DescribeScalableTargets", [](Request& r) { r.Need("DescribeScalableTargets"); }},
    {"DescribeScalingActivities", [](Request& r) { r.Need("DescribeScalingActivities"); }},
    {"DescribeScalingPolicies", [](Request& r) { r.Need("DescribeScalingPolicies"); }},
    {"DescribeScheduledActions", [](Request& r) { r.Need("DescribeScheduledActions"); }},
    {"GetPredictiveScalingForecast", [](Request& r) { r.Need("GetPredictiveScalingForecast"); }},
    {"ListTagsForResource", [](Request& r) { r.Need("ListTagsForResource", std::string(r.Str("ResourceARN"))); }},
    {"PutScalingPolicy", [](Request& r) { r.Need("PutScalingPolicy"); }},
    {"PutScheduledAction", [](Request& r) { r.Need("PutScheduledAction"); }},
    {"RegisterScalableTarget", [](Request& r) { AddRequestTags(r.Need("RegisterScalableTarget"), r.Get("Tags")); }},
    {"TagResource",
     [](Request& r) { AddRequestTags(r.Need("TagResource", std::string(r.Str("ResourceARN"))), r.Get("Tags")); }},
    {"UntagResource",
     [](Request& r) { AddTagKeys(r.Need("UntagResource", std::string(r.Str("ResourceARN"))), r.Get("TagKeys")); }},
};

}  // namespace

const ServiceTable kApplicationAutoScalingTable = {
    "application-autoscaling", "application-autoscaling",
    [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); }, [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
