// PutLogEvents' batch rules and GetLogEvents' tokens, as AWS states them. Pure functions.
//
// A batch: at most 10,000 events and 1,048,576 bytes (each event's UTF-8 message plus 26
// bytes); timestamps in chronological order; the first and last at most 24 h apart. Events
// more than 2 h ahead of now are "too new", more than 14 days old "too old", older than the
// group's retention "expired": those are skipped and reported by index in
// rejectedLogEventsInfo, the rest stored.
//
// Tokens: "f/<60 digits>" and "b/<60 digits>" name a position in a stream (timestamp,
// segment, offset); a forward token reads events after it, a backward token those before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logs/segment.h"

namespace wharf::logs {

inline constexpr size_t kMaxBatchEvents = 10000;
inline constexpr size_t kMaxBatchBytes = 1048576;
inline constexpr size_t kEventOverhead = 26;
inline constexpr int64_t kMaxFutureMs = 2LL * 3600 * 1000;
inline constexpr int64_t kMaxAgeMs = 14LL * 24 * 3600 * 1000;
inline constexpr int64_t kMaxSpanMs = 24LL * 3600 * 1000;

struct InputEvent {
  int64_t timestamp = 0;
  std::string_view message;
};

struct BatchVerdict {
  size_t accepted_begin = 0, accepted_end = 0;  // the stored events: [begin, end)
  std::optional<size_t> too_new_start, too_old_end, expired_end;
};

// InvalidArgument (with AWS's message) for a batch AWS refuses as a whole.
Result<BatchVerdict> CheckBatch(const std::vector<InputEvent>& events, int64_t now_ms, int64_t retention_cutoff_ms);

struct EventToken {
  bool forward = true;
  Position position;
};
std::string EncodeToken(const EventToken& token);
std::optional<EventToken> ParseEventToken(std::string_view text);

// The position just before `p` in stream order (so "after Before(p)" includes p).
Position Before(Position p);

}  // namespace wharf::logs
