#include "controlplane/ecs_metrics.h"

#include "controlplane/records.h"
#include "model/arn.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {

namespace {

bool ContainerInsightsOn(const boost::json::object& cluster) {
  for (const auto& setting : GetArray(cluster, "settings")) {
    if (!setting.is_object() || GetString(setting.get_object(), "name") != "containerInsights") continue;
    const std::string value = GetString(setting.get_object(), "value");
    return value == "enabled" || value == "enhanced";
  }
  return false;
}

// A task's cpu or memory: a string of units or MiB ("256"), or a number.
double NumberOf(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_number()) return it->value().to_number<double>();
  if (!it->value().is_string()) return 0;
  try {
    return std::stod(std::string(it->value().get_string()));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Result<std::vector<metrics::Datum>> EcsUsageMetrics(store::Store& store, const boost::json::object& report,
                                                    int64_t timestamp) {
  const std::string cluster = model::ClusterName(GetString(report, "cluster"));
  const std::string task = GetString(report, "task");
  if (cluster.empty() || task.empty()) return Status::InvalidArgument("a usage report names its cluster and task");
  ASSIGN_OR_RETURN(auto record, ReadRecord(store, model::keys::TaskKey(cluster, task)));
  if (!record) return Status::NotFound("no task " + task + " in cluster " + cluster);
  const std::string group = model::TaskRecord(record->value).group();
  std::vector<std::vector<metrics::Dimension>> dimension_sets = {{{"ClusterName", cluster}}};
  if (group.starts_with("service:")) dimension_sets.push_back({{"ClusterName", cluster}, {"ServiceName", group.substr(8)}});
  std::vector<metrics::Datum> out;
  for (const char* name : {"CPUUtilization", "MemoryUtilization"}) {
    const std::string field = name[0] == 'C' ? "cpuUtilization" : "memoryUtilization";
    auto it = report.find(field);
    if (it == report.end()) continue;
    if (!it->value().is_number()) return Status::InvalidArgument(field + " is not a number");
    for (const auto& dims : dimension_sets) {
      metrics::Datum d;
      d.id = metrics::MakeMetricId("AWS/ECS", name, dims);
      d.unit = "Percent";
      d.timestamp = timestamp;
      d.sample.AddValue(it->value().to_number<double>(), 1);
      out.push_back(std::move(d));
    }
  }
  // Container Insights (the cluster's containerInsights setting enabled or enhanced): the task's
  // use in CPU units and MiB beside what it reserves, per cluster, service and task family.
  ASSIGN_OR_RETURN(auto cluster_record, ReadRecord(store, model::keys::ClusterKey(cluster)));
  if (!cluster_record || !ContainerInsightsOn(cluster_record->value)) return out;
  const boost::json::object& task_record = record->value;
  const double cpu = NumberOf(task_record, "cpu"), memory = NumberOf(task_record, "memory");
  std::string family = GetString(task_record, "taskDefinitionArn");
  family = family.substr(family.rfind('/') + 1);
  family = family.substr(0, family.rfind(':'));
  std::vector<std::vector<metrics::Dimension>> insight_sets = {{{"ClusterName", cluster}}};
  if (group.starts_with("service:")) insight_sets.push_back({{"ClusterName", cluster}, {"ServiceName", group.substr(8)}});
  if (!family.empty()) insight_sets.push_back({{"ClusterName", cluster}, {"TaskDefinitionFamily", family}});
  struct Insight {
    const char* name;
    const char* unit;
    double value;
  };
  std::vector<Insight> insights = {{"CpuReserved", "None", cpu}, {"MemoryReserved", "Megabytes", memory}};
  if (auto it = report.find("cpuUtilization"); it != report.end()) {
    insights.push_back({"CpuUtilized", "None", it->value().to_number<double>() * cpu / 100});
  }
  if (auto it = report.find("memoryUtilization"); it != report.end()) {
    insights.push_back({"MemoryUtilized", "Megabytes", it->value().to_number<double>() * memory / 100});
  }
  for (const auto& insight : insights) {
    for (const auto& dims : insight_sets) {
      metrics::Datum d;
      d.id = metrics::MakeMetricId("ECS/ContainerInsights", insight.name, dims);
      d.unit = insight.unit;
      d.timestamp = timestamp;
      d.sample.AddValue(insight.value, 1);
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace wharf::controlplane
