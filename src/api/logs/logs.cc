#include "api/logs/logs.h"

#include <filesystem>

#include "api/logs/handlers.h"
#include "base/logging.h"

namespace wharf::api::logs {

Result<ServiceEndpoint> MakeLogsEndpoint(const LogsDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("logs"));
  endpoint.validation_error = "InvalidParameterException";
  endpoint.to_error = LogsError;
  using Fn = Outcome (*)(const LogsDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateLogGroup", CreateLogGroup},
      {"DeleteLogGroup", DeleteLogGroup},
      {"DescribeLogGroups", DescribeLogGroups},
      {"PutRetentionPolicy", PutRetentionPolicy},
      {"DeleteRetentionPolicy", DeleteRetentionPolicy},
      {"TagLogGroup", TagLogGroup},
      {"UntagLogGroup", UntagLogGroup},
      {"ListTagsLogGroup", ListTagsLogGroup},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListTagsForResource", ListTagsForResource},
      {"CreateLogStream", CreateLogStream},
      {"DeleteLogStream", DeleteLogStream},
      {"DescribeLogStreams", DescribeLogStreams},
      {"GetLogEvents", GetLogEvents},
      {"FilterLogEvents", FilterLogEvents},
      {"AssociateKmsKey", AssociateKmsKey},
      {"DisassociateKmsKey", DisassociateKmsKey},
      {"PutMetricFilter", PutMetricFilter},
      {"DescribeMetricFilters", DescribeMetricFilters},
      {"DeleteMetricFilter", DeleteMetricFilter},
      {"TestMetricFilter", TestMetricFilter},
  };
  const LogsDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("Logs model has no ") + name);
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  endpoint.deferred_operations["PutLogEvents"] = [d](const RequestContext& ctx, object& in,
                                                     std::function<void(Outcome)> done) {
    PutLogEvents(*d, ctx, in, std::move(done));
  };
  // A log group's tags, for its ARN and its streams' (log-group:<name>[:*|:log-stream:<s>]).
  endpoint.resource_tags = [d](std::string_view arn) -> ResourceTags {
    std::string prefix = GroupArn(*d, "");
    if (!arn.starts_with(prefix)) return {};
    std::string_view name = arn.substr(prefix.size());
    name = name.substr(0, name.find(':'));
    if (name.empty() || name.find('*') != std::string_view::npos) return {};
    auto loaded = LoadGroup(*d, std::string(name));
    auto* group = std::get_if<GroupRecord>(&loaded);
    return group ? TagPairs(GetObject(group->record, "tags")) : ResourceTags();
  };
  return endpoint;
}

Status SweepRetention(const LogsDeps& deps) {
  std::string start_after;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, deps.store.List(kGroupsPrefix, start_after, 100));
    for (const auto& kv : page.items) {
      start_after = kv.key;
      ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
      GroupRecord group{std::move(record), kv.mod_revision};
      if (!group.retention_days()) continue;
      std::string name = kv.key.substr(kGroupsPrefix.size());
      int64_t cutoff = RetentionCutoff(deps, group);
      ASSIGN_OR_RETURN(auto streams, deps.store.List(StreamsPrefix(name), "", 0));
      for (const auto& s : streams.items) {
        RETURN_IF_ERROR(deps.events.Expire({name, s.key.substr(StreamsPrefix(name).size())}, cutoff));
      }
    }
    if (!page.more) return Status::OK();
  }
}

Result<std::unique_ptr<LogsService>> LogsService::Start(store::Store& store, Clock& clock, const std::string& data_dir,
                                                        std::string region, std::string account_id,
                                                        const kms::KmsDeps* kms, metrics::MetricStore* metrics,
                                                        std::chrono::seconds sweep_interval) {
  std::unique_ptr<LogsService> service(new LogsService());
  ASSIGN_OR_RETURN(service->events_, wharf::logs::LogStore::Open((std::filesystem::path(data_dir) / "logs").string()));
  LogsService* self = service.get();
  service->deps_ = std::make_unique<LogsDeps>(LogsDeps{store, *service->events_, clock, std::move(region),
                                                       std::move(account_id), [self] {
                                                         MutexLock lock(self->mu_);
                                                         self->sweep_now_ = true;
                                                         self->cv_.SignalAll();
                                                       },
                                                       kms, metrics});
  service->sweeper_ = std::thread([self, sweep_interval] { self->SweepLoop(sweep_interval); });
  return service;
}

LogsService::~LogsService() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (sweeper_.joinable()) sweeper_.join();
}

void LogsService::SweepLoop(std::chrono::seconds interval) {
  MutexLock lock(mu_);
  while (!stopping_) {
    auto next_sweep = std::chrono::steady_clock::now() + interval;
    while (!stopping_ && !sweep_now_ && cv_.WaitUntil(mu_, next_sweep)) {
    }
    if (stopping_) break;
    sweep_now_ = false;
    lock.Unlock();
    Status swept = SweepRetention(*deps_);
    if (!swept.ok()) LOG_WARN("msg=\"log retention sweep failed\" error=\"{}\"", swept.ToString());
    lock.Lock();
  }
}

}  // namespace wharf::api::logs
