#include "api/cloudwatch/cloudwatch.h"

#include <filesystem>

#include "api/cloudwatch/handlers.h"
#include "base/logging.h"
#include "controlplane/alarm_evaluator.h"

namespace wharf::api::cloudwatch {

Result<ServiceEndpoint> MakeCloudWatchEndpoint(const CloudWatchDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("cloudwatch"));
  endpoint.validation_error = "InvalidParameterValue";
  endpoint.missing_parameter_error = "MissingParameter";
  endpoint.query_compatible = true;
  endpoint.rpc_v2_cbor = true;
  endpoint.smithy_namespace = "com.amazonaws.cloudwatch";
  endpoint.json_content_type = "application/x-amz-json-1.0";
  endpoint.to_error = CloudWatchError;
  endpoint.unknown_operation_message =
      "wharf serves CloudWatch metrics (PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData) and "
      "alarms (PutMetricAlarm, PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, "
      "DescribeAlarmHistory, Enable/DisableAlarmActions) and dashboards (Put/Get/List/DeleteDashboards); the rest of CloudWatch is not supported.";
  using Fn = Outcome (*)(const CloudWatchDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"PutMetricData", PutMetricData},
      {"ListMetrics", ListMetrics},
      {"GetMetricStatistics", GetMetricStatistics},
      {"GetMetricData", GetMetricData},
      {"PutMetricAlarm", PutMetricAlarm},
      {"PutCompositeAlarm", PutCompositeAlarm},
      {"DescribeAlarms", DescribeAlarms},
      {"DescribeAlarmsForMetric", DescribeAlarmsForMetric},
      {"DeleteAlarms", DeleteAlarms},
      {"SetAlarmState", SetAlarmState},
      {"DescribeAlarmHistory", DescribeAlarmHistory},
      {"EnableAlarmActions", EnableAlarmActions},
      {"DisableAlarmActions", DisableAlarmActions},
      {"PutDashboard", PutDashboard},
      {"GetDashboard", GetDashboard},
      {"ListDashboards", ListDashboards},
      {"DeleteDashboards", DeleteDashboards},
  };
  const CloudWatchDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("CloudWatch model has no ") + name);
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  return endpoint;
}

Result<std::unique_ptr<CloudWatchService>> CloudWatchService::Start(store::Store& store, Clock& clock,
                                                                    const std::string& data_dir, std::string region,
                                                                    std::string account_id,
                                                                    std::chrono::seconds alarm_interval) {
  std::unique_ptr<CloudWatchService> service(new CloudWatchService());
  std::string dir = data_dir.empty() ? "" : (std::filesystem::path(data_dir) / "metrics").string();
  ASSIGN_OR_RETURN(service->metrics_, metrics::MetricStore::Open(dir));
  service->deps_ = std::make_unique<CloudWatchDeps>(
      CloudWatchDeps{store, *service->metrics_, clock, std::move(region), std::move(account_id)});
  CloudWatchService* self = service.get();
  if (alarm_interval.count() < 1) alarm_interval = std::chrono::seconds(1);
  service->evaluator_ = std::thread([self, alarm_interval] { self->Loop(alarm_interval); });
  return service;
}

CloudWatchService::~CloudWatchService() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (evaluator_.joinable()) evaluator_.join();
}

void CloudWatchService::Loop(std::chrono::seconds interval) {
  auto next_compaction = std::chrono::steady_clock::now() + std::chrono::hours(1);
  MutexLock lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::now() + interval;
    while (!stopping_ && cv_.WaitUntil(mu_, next)) {
    }
    if (stopping_) break;
    lock.Unlock();
    Status evaluated = controlplane::EvaluateAlarms(deps_->store, *metrics_, deps_->clock);
    if (!evaluated.ok()) LOG_WARN("msg=\"alarm evaluation failed\" error=\"{}\"", evaluated.ToString());
    if (std::chrono::steady_clock::now() >= next_compaction) {
      next_compaction = std::chrono::steady_clock::now() + std::chrono::hours(1);
      Status compacted = metrics_->Compact(NowSeconds(*deps_));
      if (!compacted.ok()) LOG_WARN("msg=\"metric compaction failed\" error=\"{}\"", compacted.ToString());
    }
    lock.Lock();
  }
}

}  // namespace wharf::api::cloudwatch
