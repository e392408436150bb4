// AWS/ECS CPUUtilization and MemoryUtilization from the agents' task usage reports
// (agent/task_reports.h: each running task's use over the last usage interval, as percents
// of its cpu and memory). One report is one datum per metric, per ClusterName and, for a
// service's task, per ClusterName and ServiceName: a period's Average is the mean over the
// tasks that reported in it, Minimum and Maximum the least and most loaded task, as the
// statistics of CloudWatch's service metrics read. With Container Insights on for the cluster
// (its containerInsights setting enabled or enhanced), the same report also gives
// ECS/ContainerInsights CpuUtilized / CpuReserved (CPU units) and MemoryUtilized / MemoryReserved
// (MiB) per ClusterName, ClusterName+ServiceName and ClusterName+TaskDefinitionFamily: one datum
// per task and report, so a period's Sum is the cluster's or service's total.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "metrics/metric_store.h"
#include "store/store.h"

namespace wharf::controlplane {

// The data of one report {cluster, task, cpuUtilization?, memoryUtilization?} at `timestamp`.
// NotFound when the store has no such task; InvalidArgument for a malformed report.
Result<std::vector<metrics::Datum>> EcsUsageMetrics(store::Store& store, const boost::json::object& report,
                                                    int64_t timestamp);

}  // namespace wharf::controlplane
