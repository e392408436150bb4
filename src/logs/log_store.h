// LogStore: the event data of CloudWatch Logs streams, on local disk under DATA/logs/.
//
// Layout: DATA/logs/<hash of group>/<hash of stream>/<seq, 10 digits>-<first ts>.seg (see
// segment.h for the record format), plus a `name` file in each directory naming what it
// holds. Group and stream records (names, creation times, retention, tags) are in the
// Store (docs/STATE.md); this class keeps only events and what is computed from them.
//
// Writes: Append hands a batch (already validated: sorted by timestamp, at most 24 h wide)
// to one writer thread, which groups everything queued, writes each batch with one write(),
// fdatasyncs every file touched once per round (group commit: concurrent writers share the
// flush) and only then publishes the events to readers and calls each `done`. So a reader
// never sees an event that a crash could take back, and `done` means durable.
//
// Segments: a new one starts when the current one is 8 MiB, when a batch is older than the
// segment's newest event (segments stay sorted), or when a batch is a day past the
// segment's first event (so retention can drop whole files). Expire deletes every segment
// whose newest event is before the cutoff; reads also skip events before a cutoff.
//
// Thread-safety: all methods may be called from any thread. Appends, drops and expiry run
// on the writer thread; reads run on the caller's thread against published state.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "logs/segment.h"

namespace wharf::logs {

struct StreamId {
  std::string group;
  std::string stream;
  auto operator<=>(const StreamId&) const = default;
};

struct StreamStats {
  int64_t event_count = 0;
  std::optional<int64_t> first_event_time, last_event_time, last_ingestion_time;
  uint64_t stored_bytes = 0;
};

// An encoded batch: records (EncodeRecord) and each one's timestamp, in order.
struct Batch {
  std::string records;
  std::vector<int64_t> timestamps;
  std::vector<uint32_t> sizes;  // record sizes, header included
  int64_t ingestion_time = 0;
  void Add(int64_t timestamp, std::string_view message, bool sealed = false);
};

// Which events to read from one stream: timestamps in [min_time, max_time], positions
// strictly between `after` and `before`, passing `match`; at most `limit` of them: the
// earliest (forward) or the latest (backward), returned in ascending order.
struct StreamQuery {
  int64_t min_time = INT64_MIN;
  int64_t max_time = INT64_MAX;
  std::optional<Position> after, before;
  size_t limit = 10000;
  bool forward = true;
  std::function<bool(const StoredEvent&)> match;  // empty: everything
  // Forward reads stop after scanning this many bytes; `frontier` then says how far the
  // read got (every event before it was examined).
  uint64_t scan_budget = UINT64_MAX;
};

struct StreamRead {
  std::vector<StoredEvent> events;
  std::optional<Position> frontier;  // set when the scan budget ran out
  uint64_t scanned_bytes = 0;
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(std::string root);
  ~LogStore();

  // Queues a batch; `done` runs on the writer thread once it is durable (or failed).
  void Append(const StreamId& id, Batch&& batch, std::function<void(Status)> done);
  Status AppendAndWait(const StreamId& id, Batch&& batch);

  Result<StreamStats> Stats(const StreamId& id);
  Result<StreamRead> Read(const StreamId& id, const StreamQuery& query);

  // Removes a stream's (or a whole group's) events; waits for the writer.
  Status DropStream(const StreamId& id);
  Status DropGroup(const std::string& group);
  // Deletes the stream's segments whose newest event is before `cutoff_ms`; waits.
  Status Expire(const StreamId& id, int64_t cutoff_ms);

  std::string StreamDir(const StreamId& id) const;

 private:
  struct Stream;
  struct Pending {
    std::shared_ptr<Stream> stream;
    Batch batch;
    std::function<void(Status)> done;
  };

  explicit LogStore(std::string root) : root_(std::move(root)) {}
  Result<std::shared_ptr<Stream>> Find(const StreamId& id, bool create) EXCLUDES(streams_mu_);
  Status RunOnWriter(std::function<Status()> task) EXCLUDES(queue_mu_);
  void WriterLoop();
  void CommitRound(std::vector<Pending>& round);

  // Constant after construction.
  const std::string root_;
  std::thread writer_;  // runs WriterLoop(); started by Open, joined by the destructor

  // Protected by streams_mu_.
  Mutex streams_mu_;
  std::map<StreamId, std::shared_ptr<Stream>> streams_ GUARDED_BY(streams_mu_);

  // Protected by queue_mu_: the writer thread's work.
  Mutex queue_mu_;
  CondVar queue_cv_;  // signalled on new work and on stopping_
  std::vector<Pending> queue_ GUARDED_BY(queue_mu_);
  std::deque<std::function<void()>> tasks_ GUARDED_BY(queue_mu_);
  bool stopping_ GUARDED_BY(queue_mu_) = false;
};

}  // namespace wharf::logs
