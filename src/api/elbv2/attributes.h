// Load balancer, target group and listener attributes: AWS's keys, defaults and value rules.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "api/aws_error.h"

namespace wharf::api::elbv2 {

enum class AttributeOwner { kLoadBalancer, kTargetGroup, kListener };

// Every attribute an application load balancer (HTTP target group, HTTP listener) has, with
// AWS's default value.
boost::json::object DefaultAttributes(AttributeOwner owner);

// Applies [{Key, Value}] to `attributes`. Unknown keys are a ValidationError ("... attribute key
// 'x' is not recognized"), values out of range an InvalidConfigurationRequest.
std::optional<AwsError> ApplyAttributes(AttributeOwner owner, const boost::json::array& changes,
                                        boost::json::object& attributes);

}  // namespace wharf::api::elbv2
