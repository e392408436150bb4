#include "logs/put_rules.h"

#include <cstdio>

namespace wharf::logs {

Result<BatchVerdict> CheckBatch(const std::vector<InputEvent>& events, int64_t now_ms, int64_t retention_cutoff_ms) {
  if (events.empty()) return Status::InvalidArgument("At least one log event is required.");
  if (events.size() > kMaxBatchEvents) {
    return Status::InvalidArgument("1 validation error detected: Value at 'logEvents' failed to satisfy "
                                   "constraint: Member must have length less than or equal to 10000");
  }
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    bytes += events[i].message.size() + kEventOverhead;
    if (i > 0 && events[i].timestamp < events[i - 1].timestamp) {
      return Status::InvalidArgument("Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
  if (bytes > kMaxBatchBytes) {
    return Status::InvalidArgument("Upload too large: " + std::to_string(bytes) + " bytes exceeds limit of " +
                                   std::to_string(kMaxBatchBytes));
  }
  if (events.back().timestamp - events.front().timestamp > kMaxSpanMs) {
    return Status::InvalidArgument(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  }
  BatchVerdict v;
  v.accepted_end = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    int64_t ts = events[i].timestamp;
    if (ts < now_ms - kMaxAgeMs) v.too_old_end = i;
    if (ts < retention_cutoff_ms) v.expired_end = i;
    if (ts > now_ms + kMaxFutureMs && !v.too_new_start) v.too_new_start = i;
  }
  if (v.too_old_end) v.accepted_begin = *v.too_old_end + 1;
  if (v.expired_end) v.accepted_begin = std::max(v.accepted_begin, *v.expired_end + 1);
  if (v.too_new_start) v.accepted_end = *v.too_new_start;
  if (v.accepted_end < v.accepted_begin) v.accepted_end = v.accepted_begin;
  return v;
}

std::string EncodeToken(const EventToken& token) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%c/%020llu%020llu%020llu", token.forward ? 'f' : 'b',
                static_cast<unsigned long long>(token.position.timestamp),
                static_cast<unsigned long long>(token.position.segment),
                static_cast<unsigned long long>(token.position.offset));
  return buf;
}

std::optional<EventToken> ParseEventToken(std::string_view text) {
  if (text.size() != 62 || (text[0] != 'f' && text[0] != 'b') || text[1] != '/') return std::nullopt;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto number = [&](size_t at, size_t len) { return std::strtoull(std::string(text.substr(at, len)).c_str(), nullptr, 10); };
  EventToken t;
  t.forward = text[0] == 'f';
  unsigned long long ts = number(2, 20);
  if (ts > static_cast<unsigned long long>(INT64_MAX)) return std::nullopt;
  t.position = Position{static_cast<int64_t>(ts), number(22, 20), number(42, 20)};
  return t;
}

Position Before(Position p) {
  if (p.offset > 0) return Position{p.timestamp, p.segment, p.offset - 1};
  if (p.segment > 0) return Position{p.timestamp, p.segment - 1, UINT64_MAX};
  return Position{p.timestamp - 1, UINT64_MAX, UINT64_MAX};
}

}  // namespace wharf::logs
