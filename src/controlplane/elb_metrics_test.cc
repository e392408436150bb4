#include "controlplane/elb_metrics.h"

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {

constexpr const char* kLb = "arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188";
constexpr const char* kTg = "arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067";

const metrics::Datum* Find(const std::vector<metrics::Datum>& data, const std::string& name, size_t dims) {
  for (const auto& d : data) {
    if (d.id.metric_name == name && d.id.dimensions.size() == dims) return &d;
  }
  return nullptr;
}

TEST(ElbMetricsTest, CountsPerLoadBalancerAndTargetGroup) {
  lb::TrafficReport report;
  auto& traffic = report.load_balancers[kLb];
  for (int i = 0; i < 6; ++i) {
    traffic.total.CountTarget(200, 10);
    traffic.groups[kTg].CountTarget(200, 10);
  }
  traffic.total.CountElb(503);
  traffic.health[kTg] = {3, 1};
  auto out = ApplicationElbMetrics(report, 1'800'000'000);
  ASSERT_EQ(out.size(), 1u);
  const auto& data = out["eu-west-1"];
  EXPECT_EQ(LoadBalancerDimension(kLb), "app/web/50dc6c495c0c9188");
  EXPECT_EQ(TargetGroupDimension(kTg), "targetgroup/web-tg/73e2d6bc24d8a067");
  ASSERT_TRUE(Find(data, "RequestCount", 1));
  EXPECT_EQ(Find(data, "RequestCount", 1)->sample.sum, 7);
  EXPECT_EQ(Find(data, "RequestCount", 2)->sample.sum, 6);
  EXPECT_EQ(Find(data, "HTTPCode_ELB_5XX_Count", 1)->sample.sum, 1);
  EXPECT_EQ(Find(data, "RequestCountPerTarget", 2)->sample.sum, 2);  // 6 requests, 3 healthy targets
  EXPECT_EQ(Find(data, "HealthyHostCount", 2)->sample.sum, 3);
  EXPECT_EQ(Find(data, "UnHealthyHostCount", 2)->sample.sum, 1);
  EXPECT_EQ(Find(data, "TargetResponseTime", 2)->sample.max, 0.01);
  EXPECT_EQ(Find(data, "HTTPCode_Target_4XX_Count", 1), nullptr);  // zero counts are not sent
}

}  // namespace
}  // namespace wharf::controlplane
