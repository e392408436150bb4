// CloudWatch metrics and alarms (monitoring, GraniteServiceVersion20100801), one region's.
//
// Protocols: the newest model lists smithy-rpc-v2-cbor, json and query (awsQueryCompatible);
// botocore 1.43 (the image's aws CLI and boto3) sends JSON 1.0, older clients (Debian's aws
// CLI 2.9) send Query, SDKs that prefer CBOR send smithy-rpc-v2-cbor: all three are served
// (ServiceEndpoint::query_compatible, rpc_v2_cbor), errors carry the Query codes
// (InvalidParameterValue, MissingParameter, ResourceNotFound, ...) in x-amzn-query-error.
//
// Metric data lives in a metrics::MetricStore under DATA/metrics/ (not the Store); alarms and
// their history are records in the Store (docs/STATE.md). CloudWatchService owns the metric
// store and a thread that evaluates every alarm each `alarm_interval`
// (controlplane/alarm_evaluator.h) and rolls metric data up once an hour.
//
// Thread-safety: handlers run on any thread; the metric store and the Store are thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "metrics/metric_store.h"
#include "store/store.h"

namespace wharf::api::cloudwatch {

struct CloudWatchDeps {
  store::Store& store;
  metrics::MetricStore& metrics;
  Clock& clock;
  std::string region;
  std::string account_id;
};

Result<ServiceEndpoint> MakeCloudWatchEndpoint(const CloudWatchDeps& deps);

class CloudWatchService {
 public:
  // Metric data goes under `data_dir`/metrics ("" keeps it in memory).
  static Result<std::unique_ptr<CloudWatchService>> Start(store::Store& store, Clock& clock,
                                                         const std::string& data_dir, std::string region,
                                                         std::string account_id,
                                                         std::chrono::seconds alarm_interval);
  ~CloudWatchService();

  Result<ServiceEndpoint> Endpoint() const { return MakeCloudWatchEndpoint(*deps_); }
  // Where wharf's own metrics (AWS/ECS, AWS/ApplicationELB) are put.
  metrics::MetricStore& metrics() { return *metrics_; }

 private:
  CloudWatchService() = default;
  void Loop(std::chrono::seconds interval) EXCLUDES(mu_);

  // Constant once Start returns.
  std::unique_ptr<metrics::MetricStore> metrics_;
  std::unique_ptr<CloudWatchDeps> deps_;
  std::thread evaluator_;  // runs Loop()
  // Protected by mu_.
  Mutex mu_;
  CondVar cv_;  // signalled on stopping_
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace wharf::api::cloudwatch
