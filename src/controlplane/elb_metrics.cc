#include "controlplane/elb_metrics.h"

#include <algorithm>

namespace wharf::controlplane {

namespace {

std::string ArnField(const std::string& arn, int n) {
  size_t start = 0;
  for (int i = 0; i < n; ++i) {
    start = arn.find(':', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  return arn.substr(start, arn.find(':', start) - start);
}

struct Batch {
  std::vector<metrics::Datum>& out;
  int64_t timestamp;

  void Count(const std::vector<metrics::Dimension>& dims, const char* name, double value, bool always = false) {
    if (value <= 0 && !always) return;
    metrics::Datum d;
    d.id = metrics::MakeMetricId("AWS/ApplicationELB", name, dims);
    d.unit = "Count";
    d.timestamp = timestamp;
    d.sample.AddValue(value, 1);
    out.push_back(std::move(d));
  }

  void Counts(const std::vector<metrics::Dimension>& dims, const lb::TrafficCounts& c) {
    Count(dims, "RequestCount", static_cast<double>(c.requests));
    Count(dims, "HTTPCode_Target_2XX_Count", static_cast<double>(c.target_2xx));
    Count(dims, "HTTPCode_Target_3XX_Count", static_cast<double>(c.target_3xx));
    Count(dims, "HTTPCode_Target_4XX_Count", static_cast<double>(c.target_4xx));
    Count(dims, "HTTPCode_Target_5XX_Count", static_cast<double>(c.target_5xx));
    if (c.response_ms.empty()) return;
    metrics::Datum d;
    d.id = metrics::MakeMetricId("AWS/ApplicationELB", "TargetResponseTime", dims);
    d.unit = "Seconds";
    d.timestamp = timestamp;
    for (const auto& [ms, n] : c.response_ms) d.sample.AddValue(static_cast<double>(ms) / 1000.0, static_cast<double>(n));
    out.push_back(std::move(d));
  }
};

}  // namespace

std::string LoadBalancerDimension(const std::string& arn) {
  size_t at = arn.find(":loadbalancer/");
  return at == std::string::npos ? arn : arn.substr(at + 14);
}

std::string TargetGroupDimension(const std::string& arn) {
  size_t at = arn.find(":targetgroup/");
  return at == std::string::npos ? arn : arn.substr(at + 1);
}

std::map<std::string, std::vector<metrics::Datum>> ApplicationElbMetrics(const lb::TrafficReport& report,
                                                                         int64_t timestamp) {
  std::map<std::string, std::vector<metrics::Datum>> out;
  for (const auto& [lb_arn, traffic] : report.load_balancers) {
    Batch batch{out[ArnField(lb_arn, 3)], timestamp};
    const std::vector<metrics::Dimension> lb_dims = {{"LoadBalancer", LoadBalancerDimension(lb_arn)}};
    batch.Counts(lb_dims, traffic.total);
    batch.Count(lb_dims, "HTTPCode_ELB_3XX_Count", static_cast<double>(traffic.total.elb_3xx));
    batch.Count(lb_dims, "HTTPCode_ELB_4XX_Count", static_cast<double>(traffic.total.elb_4xx));
    batch.Count(lb_dims, "HTTPCode_ELB_5XX_Count", static_cast<double>(traffic.total.elb_5xx));
    for (const auto& [tg_arn, health] : traffic.health) {
      const std::vector<metrics::Dimension> dims = {{"LoadBalancer", LoadBalancerDimension(lb_arn)},
                                                    {"TargetGroup", TargetGroupDimension(tg_arn)}};
      batch.Count(dims, "HealthyHostCount", health.healthy, true);
      batch.Count(dims, "UnHealthyHostCount", health.unhealthy, true);
    }
    for (const auto& [tg_arn, counts] : traffic.groups) {
      const std::vector<metrics::Dimension> dims = {{"LoadBalancer", LoadBalancerDimension(lb_arn)},
                                                    {"TargetGroup", TargetGroupDimension(tg_arn)}};
      batch.Counts(dims, counts);
      auto health = traffic.health.find(tg_arn);
      int targets = health == traffic.health.end() ? 0 : health->second.healthy;
      if (targets == 0 && health != traffic.health.end()) targets = health->second.healthy + health->second.unhealthy;
      if (counts.requests == 0) continue;
      double per_target = static_cast<double>(counts.requests) / std::max(1, targets);
      batch.Count(dims, "RequestCountPerTarget", per_target);
      batch.Count({{"TargetGroup", TargetGroupDimension(tg_arn)}}, "RequestCountPerTarget", per_target);
    }
  }
  return out;
}

}  // namespace wharf::controlplane
