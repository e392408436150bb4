#include "api/elbv2/elbv2.h"

#include "api/elbv2/common.h"
#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

Result<ServiceEndpoint> MakeElbv2Endpoint(const Elbv2Deps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("elbv2"));
  endpoint.validation_error = "ValidationError";
  endpoint.to_error = Elbv2Error;
  // Shared by every operation of this endpoint (and so kept alive by the handlers).
  auto context = std::make_shared<Context>(deps);
  using Fn = Outcome (*)(Context&, const RequestContext&, boost::json::object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateLoadBalancer", CreateLoadBalancer},
      {"DescribeLoadBalancers", DescribeLoadBalancers},
      {"DeleteLoadBalancer", DeleteLoadBalancer},
      {"DescribeLoadBalancerAttributes", DescribeLoadBalancerAttributes},
      {"ModifyLoadBalancerAttributes", ModifyLoadBalancerAttributes},
      {"SetSecurityGroups", SetSecurityGroups},
      {"SetSubnets", SetSubnets},
      {"SetIpAddressType", SetIpAddressType},
      {"CreateTargetGroup", CreateTargetGroup},
      {"DescribeTargetGroups", DescribeTargetGroups},
      {"ModifyTargetGroup", ModifyTargetGroup},
      {"DeleteTargetGroup", DeleteTargetGroup},
      {"DescribeTargetGroupAttributes", DescribeTargetGroupAttributes},
      {"ModifyTargetGroupAttributes", ModifyTargetGroupAttributes},
      {"RegisterTargets", RegisterTargets},
      {"DeregisterTargets", DeregisterTargets},
      {"DescribeTargetHealth", DescribeTargetHealth},
      {"CreateListener", CreateListener},
      {"DescribeListeners", DescribeListeners},
      {"ModifyListener", ModifyListener},
      {"DeleteListener", DeleteListener},
      {"DescribeListenerAttributes", DescribeListenerAttributes},
      {"ModifyListenerAttributes", ModifyListenerAttributes},
      {"CreateRule", CreateRule},
      {"DescribeRules", DescribeRules},
      {"ModifyRule", ModifyRule},
      {"DeleteRule", DeleteRule},
      {"SetRulePriorities", SetRulePriorities},
      {"AddTags", AddTags},
      {"RemoveTags", RemoveTags},
      {"DescribeTags", DescribeTags},
  };
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("ELBv2 model has no operation ") + name);
    }
    endpoint.operations[name] = [context, fn = fn](const RequestContext& ctx,
                                                   boost::json::object& in) {
      return fn(*context, ctx, in);
    };
  }
  // aws:ResourceTag/<key> of load balancers, target groups, listeners and rules.
  endpoint.resource_tags = [context](std::string_view arn) { return ResourceTagsOf(*context, std::string(arn)); };
  return endpoint;
}

}  // namespace wharf::api::elbv2
