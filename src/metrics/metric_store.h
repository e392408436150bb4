// MetricStore: CloudWatch's time series of one region, in memory and in a journal on disk
// (DATA/metrics/journal), with AWS's retention by resolution.
//
// Storage: per metric and unit, buckets of the datum's storage resolution (1 s for high
// resolution data, 60 s otherwise), each a Sample (sample.h). As data ages it is rolled up
// into coarser buckets, as CloudWatch keeps it: 1 s buckets for 3 hours, 60 s for 15 days,
// 5 minutes for 63 days, 1 hour for 455 days; then it is gone (Compact).
//
// Durability: Put appends its batch to the journal and fdatasyncs before it returns, so a
// datum PutMetricData acknowledged survives a crash. Each journal record is a length, a
// CRC-32 and the encoded buckets of one metric and unit; Open replays them and cuts a torn
// tail. Compact rewrites the journal from memory (a temporary file renamed into place), so
// it stays the size of what is retained.
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "metrics/sample.h"

namespace wharf::metrics {

// Age limits of each resolution, in seconds (AWS's retention schedule).
inline constexpr int64_t kHighResolutionRetention = 3 * 3600;
inline constexpr int64_t kMinuteRetention = 15 * 86400;
inline constexpr int64_t kFiveMinuteRetention = 63 * 86400;
inline constexpr int64_t kHourRetention = 455 * 86400;
// The bucket width data of this age is kept at (0: expired).
int64_t RetainedResolution(int64_t age_seconds);

struct Datum {
  MetricId id;
  std::string unit = "None";
  int64_t timestamp = 0;  // seconds since the epoch
  int resolution = 60;    // StorageResolution: 1 or 60
  Sample sample;
};

struct MetricInfo {
  MetricId id;
  int64_t last_timestamp = 0;  // of its newest bucket, seconds
};

// What Read answers: the samples of one period and unit.
struct PeriodSample {
  int64_t start = 0;
  std::string unit;
  Sample sample;
};

class MetricStore {
 public:
  // `dir` empty: memory only (tests).
  static Result<std::unique_ptr<MetricStore>> Open(const std::string& dir);
  ~MetricStore();

  Status Put(const std::vector<Datum>& batch);
  // Every metric with data, in key order.
  std::vector<MetricInfo> List() const;
  // The data of `id` (of `unit` only, when given) in [start, end), merged per period: periods
  // start at `start` + k * `period`; only periods with data are answered, oldest first, and
  // within a period one entry per unit.
  std::vector<PeriodSample> Read(const MetricId& id, const std::optional<std::string>& unit, int64_t start,
                                 int64_t end, int64_t period) const;
  // Rolls data up and drops what is past retention at `now`, then rewrites the journal.
  Status Compact(int64_t now);

 private:
  struct Bucket {
    int64_t width = 60;
    Sample sample;
  };
  struct Series {
    MetricId id;
    std::map<std::string, std::map<int64_t, Bucket>> units;  // unit -> bucket start -> bucket
  };
  MetricStore() = default;
  void Apply(const MetricId& id, const std::string& unit, int64_t start, Bucket bucket) REQUIRES(mu_);
  Status Replay(const std::string& path) REQUIRES(mu_);
  Status WriteAll(const std::string& data) REQUIRES(mu_);

  std::string dir_;  // constant after Open
  mutable Mutex mu_;
  std::map<std::string, Series> series_ GUARDED_BY(mu_);
  int fd_ GUARDED_BY(mu_) = -1;  // the journal, appended to
};

}  // namespace wharf::metrics
