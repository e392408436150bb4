#include "controlplane/ecs_metrics.h"

#include <gtest/gtest.h>

#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace wharf::controlplane {
namespace {

TEST(EcsMetricsTest, ServiceTasksReportPerClusterAndService) {
  store::MemoryStore store;
  const std::string arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef";
  ASSERT_TRUE(store.Commit({{}, {store::Op::Put(model::keys::TaskKey("prod", "0123456789abcdef"),
                                                Serialize(boost::json::object{{"taskArn", arn}, {"group", "service:web"}}))}}).ok());
  auto data = EcsUsageMetrics(store,
                              boost::json::object{{"cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
                                                  {"task", "0123456789abcdef"},
                                                  {"cpuUtilization", 42.5},
                                                  {"memoryUtilization", 10.0}},
                              1'800'000'000);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_EQ(data->size(), 4u);
  EXPECT_EQ((*data)[1].id.Key(), metrics::MakeMetricId("AWS/ECS", "CPUUtilization",
                                                       {{"ServiceName", "web"}, {"ClusterName", "prod"}}).Key());
  EXPECT_EQ((*data)[1].sample.sum, 42.5);
  EXPECT_EQ((*data)[1].unit, "Percent");
  EXPECT_EQ((*data)[2].id.metric_name, "MemoryUtilization");
  auto missing = EcsUsageMetrics(store, boost::json::object{{"cluster", "prod"}, {"task", "nope"}}, 0);
  EXPECT_TRUE(missing.status().IsNotFound());
}

}  // namespace
}  // namespace wharf::controlplane
