#include "controlplane/ecs_metrics.h"

#include "controlplane/records.h"
#include "model/arn.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {

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
  return out;
}

}  // namespace wharf::controlplane
