// The CloudWatch Logs API (JSON 1.1, Logs_20140328): log groups, log streams, events,
// retention and tags, over the Store (group and stream records, docs/STATE.md) and the
// LogStore (events on disk, src/logs/log_store.h).
//
// LogsService owns the LogStore and a sweeper thread that deletes whole segments past each
// group's retention (every sweep interval, and soon after PutRetentionPolicy).
// Thread-safety: the endpoint's handlers run on any loop thread; PutLogEvents answers from
// the LogStore's writer thread once the events are on disk.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "logs/log_store.h"
#include "store/store.h"

namespace wharf::api::kms { struct KmsDeps; }
namespace wharf::metrics { class MetricStore; }

namespace wharf::api::logs {

struct LogsDeps {
  store::Store& store;
  wharf::logs::LogStore& events;
  Clock& clock;
  std::string region;
  std::string account_id;
  std::function<void()> retention_changed;  // wakes the sweeper; may be empty
  const kms::KmsDeps* kms = nullptr;  // seals the events of groups with a KMS key; may be null
  metrics::MetricStore* metrics = nullptr;  // where metric filters put their data; may be null
};

Result<ServiceEndpoint> MakeLogsEndpoint(const LogsDeps& deps);

// Deletes the segments past their group's retention, for every group.
Status SweepRetention(const LogsDeps& deps);

class LogsService {
 public:
  // Events go under `data_dir`/logs.
  static Result<std::unique_ptr<LogsService>> Start(store::Store& store, Clock& clock, const std::string& data_dir,
                                                   std::string region, std::string account_id,
                                                   const kms::KmsDeps* kms = nullptr,
                                                   metrics::MetricStore* metrics = nullptr,
                                                   std::chrono::seconds sweep_interval = std::chrono::minutes(10));
  ~LogsService();
  Result<ServiceEndpoint> Endpoint() const { return MakeLogsEndpoint(*deps_); }

 private:
  LogsService() = default;
  void SweepLoop(std::chrono::seconds interval) EXCLUDES(mu_);

  // Constant once Start returns.
  std::unique_ptr<wharf::logs::LogStore> events_;
  std::unique_ptr<LogsDeps> deps_;
  std::thread sweeper_;  // runs SweepLoop()

  // Protected by mu_.
  Mutex mu_;
  CondVar cv_;  // signalled on sweep_now_ and stopping_
  bool stopping_ GUARDED_BY(mu_) = false;
  bool sweep_now_ GUARDED_BY(mu_) = false;
};

}  // namespace wharf::api::logs
