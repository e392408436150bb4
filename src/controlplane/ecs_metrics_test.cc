#include "controlplane/ecs_metrics.h"

#include <gtest/gtest.h>

#include <map>

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

TEST(EcsMetricsTest, ContainerInsightsWhenTheClusterHasThemOn) {
  store::MemoryStore store;
  auto put = [&](const std::string& key, boost::json::object value) {
    ASSERT_TRUE(store.Commit({{}, {store::Op::Put(key, Serialize(value))}}).ok());
  };
  put(model::keys::TaskKey("prod", "t1"),
      boost::json::object{{"group", "service:web"}, {"cpu", "256"}, {"memory", "512"},
                          {"taskDefinitionArn", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"}});
  put(model::keys::ClusterKey("prod"),
      boost::json::object{{"settings", boost::json::array{boost::json::object{{"name", "containerInsights"},
                                                                              {"value", "disabled"}}}}});
  boost::json::object report{{"cluster", "prod"}, {"task", "t1"}, {"cpuUtilization", 50.0}, {"memoryUtilization", 25.0}};
  auto off = EcsUsageMetrics(store, report, 1'800'000'000);
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->size(), 4u);  // AWS/ECS only
  put(model::keys::ClusterKey("prod"),
      boost::json::object{{"settings", boost::json::array{boost::json::object{{"name", "containerInsights"},
                                                                              {"value", "enabled"}}}}});
  auto on = EcsUsageMetrics(store, report, 1'800'000'000);
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  ASSERT_EQ(on->size(), 4u + 4 * 3);
  std::map<std::string, double> by_key;
  for (const auto& d : *on) by_key[d.id.Key()] = d.sample.sum;
  auto key = [](const char* name, std::vector<metrics::Dimension> dims) {
    return metrics::MakeMetricId("ECS/ContainerInsights", name, std::move(dims)).Key();
  };
  EXPECT_EQ(by_key[key("CpuUtilized", {{"ClusterName", "prod"}, {"ServiceName", "web"}})], 128.0);
  EXPECT_EQ(by_key[key("MemoryUtilized", {{"ClusterName", "prod"}, {"TaskDefinitionFamily", "web"}})], 128.0);
  EXPECT_EQ(by_key[key("CpuReserved", {{"ClusterName", "prod"}})], 256.0);
  EXPECT_EQ(by_key[key("MemoryReserved", {{"ClusterName", "prod"}})], 512.0);
}

}  // namespace
}  // namespace wharf::controlplane
