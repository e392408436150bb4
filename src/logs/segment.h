// Segment: one file of a log stream's events, append-only, sorted by timestamp.
//
// A stream's events live in DATA/logs/<group hash>/<stream hash>/<seq>-<first ts>.seg. Each
// record is a 24-byte header (u32 message length, u32 CRC-32C of the rest, i64 timestamp,
// i64 ingestion time, all little-endian) and the message bytes. Within a segment timestamps
// never go down (the writer starts a new segment when a batch would break that), so a small
// sparse index (every kIndexEvery-th record: timestamp -> offset) finds a time quickly.
//
// The length's top bit marks a sealed message: the bytes are the event's message encrypted
// by the API (a log group with a KMS key, api/logs/sealing.h); the store only carries them.
//
// Crash rule: a record that is short or fails its CRC ends the segment; Open truncates the
// file there. Everything acknowledged was fdatasync'd, so only unacknowledged bytes are lost.
//
// Thread-safety: the fields under "published" are guarded by the owning stream's mutex; a
// reader copies `durable_size` under that mutex and then preads below it without a lock.
// Only the writer thread appends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::logs {

inline constexpr size_t kRecordHeader = 24;
inline constexpr int kIndexEvery = 64;
inline constexpr uint32_t kSealedFlag = 1u << 31;  // in a record's length word

// Where an event is: the order of a stream's events is (timestamp, segment, offset).
// Segments are numbered from 1, so {t, 0, 0} sorts before every real event at time t.
struct Position {
  int64_t timestamp = 0;
  uint64_t segment = 0;
  uint64_t offset = 0;
  auto operator<=>(const Position&) const = default;
};

struct StoredEvent {
  Position position;
  int64_t ingestion_time = 0;
  std::string message;
  bool sealed = false;  // `message` is ciphertext (segment.h, kSealedFlag)
};

uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
// Appends one record to `out`.
void EncodeRecord(int64_t timestamp, int64_t ingestion_time, std::string_view message, std::string& out,
                  bool sealed = false);

class Segment {
 public:
  // Opens (and recovers) an existing file, or creates an empty one.
  static Result<std::unique_ptr<Segment>> Open(const std::string& path, uint64_t seq, bool create);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  uint64_t seq() const { return seq_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Reads records in [from, to) of the file, calling `fn` for each (false stops).
  // `from` must be a record boundary; the caller passes `to` <= the durable size it read.
  Status Scan(uint64_t from, uint64_t to, const std::function<bool(StoredEvent&&)>& fn) const;

  // ---- published state (guarded by the stream's mutex) ----
  uint64_t durable_size = 0;
  int64_t count = 0;
  int64_t min_ts = 0, max_ts = 0;        // valid when count > 0
  int64_t max_ingestion = 0;
  std::vector<std::pair<int64_t, uint64_t>> sparse;  // (timestamp, offset) every kIndexEvery records

  // The offset to start scanning from for events with timestamp >= ts (from the index).
  uint64_t SeekTime(int64_t ts) const;
  // Records that an event of `ts` was published at `offset` (the writer, under the mutex).
  void Note(int64_t ts, int64_t ingestion, uint64_t offset);

 private:
  Segment(std::string path, uint64_t seq, int fd) : path_(std::move(path)), seq_(seq), fd_(fd) {}
  const std::string path_;
  const uint64_t seq_;
  const int fd_;
};

}  // namespace wharf::logs
