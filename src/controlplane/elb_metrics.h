// AWS/ApplicationELB metrics from what the load balancer counted (lb/traffic.h), as
// CloudWatch receives them from ELB: per LoadBalancer ("app/<name>/<id>") and per
// TargetGroup ("targetgroup/<name>/<id>") with its LoadBalancer, RequestCount,
// HTTPCode_Target_2XX..5XX_Count, HTTPCode_ELB_3XX..5XX_Count and TargetResponseTime (seconds);
// RequestCountPerTarget (requests over healthy targets, all targets when none is healthy);
// HealthyHostCount and UnHealthyHostCount every period. Counts that are zero are not sent,
// as ELB sends none. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lb/traffic.h"
#include "metrics/metric_store.h"

namespace wharf::controlplane {

// By region (the load balancer ARN's), the data for one period stamped `timestamp`.
std::map<std::string, std::vector<metrics::Datum>> ApplicationElbMetrics(const lb::TrafficReport& report,
                                                                         int64_t timestamp);

// "arn:aws:elasticloadbalancing:r:a:loadbalancer/app/web/123" -> "app/web/123";
// "...:targetgroup/tg/456" -> "targetgroup/tg/456".
std::string LoadBalancerDimension(const std::string& arn);
std::string TargetGroupDimension(const std::string& arn);

}  // namespace wharf::controlplane
