// PutLogEvents, GetLogEvents, FilterLogEvents.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <set>

#include "api/logs/handlers.h"
#include "api/logs/metric_filters.h"
#include "api/logs/sealing.h"
#include "logs/filter_pattern.h"
#include "logs/put_rules.h"

namespace wharf::api::logs {
namespace json = boost::json;
using wharf::logs::Position;
using wharf::logs::StoredEvent;

namespace {

constexpr size_t kMaxResponseBytes = 1048576;
// FilterLogEvents answers after scanning this much (with a nextToken), so one call never
// holds a loop for long however little matches.
constexpr uint64_t kFilterScanBudget = 64ull << 20;

std::string SequenceToken() {
  static std::atomic<uint64_t> counter{1};
  char buf[64];
  std::snprintf(buf, sizeof buf, "4963%052llu", static_cast<unsigned long long>(counter++));
  return buf;
}

// The stream a request names, after checking that its group and it exist.
std::variant<std::pair<std::string, GroupRecord>, AwsError> LoadStream(const LogsDeps& deps, const object& in) {
  auto requested = RequestedGroup(deps, in);
  if (auto* err = std::get_if<AwsError>(&requested)) return *err;
  std::string group = std::get<std::string>(requested);
  auto loaded = LoadGroup(deps, group);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto kv = deps.store.Get(StreamKey(group, GetString(in, "logStreamName")));
  if (!kv.ok()) return LogsError(kv.status());
  if (!*kv) return StreamNotFound();
  return std::make_pair(group, std::move(std::get<GroupRecord>(loaded)));
}

size_t EventBytes(const StoredEvent& e) { return e.message.size() + wharf::logs::kEventOverhead; }

}  // namespace

void PutLogEvents(const LogsDeps& deps, const RequestContext&, object& in, std::function<void(Outcome)> done) {
  if (Has(in, "entity")) return done(InvalidParameter("entity is not supported."));
  auto loaded = LoadStream(deps, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return done(*err);
  auto& [group, record] = std::get<0>(loaded);
  std::vector<wharf::logs::InputEvent> events;
  for (const auto& e : GetArray(in, "logEvents")) {
    const object& o = e.as_object();
    events.push_back({GetInt(o, "timestamp").value_or(0), o.at("message").as_string()});
  }
  int64_t now = NowMs(deps);
  auto verdict = wharf::logs::CheckBatch(events, now, RetentionCutoff(deps, record));
  if (!verdict.ok()) return done(LogsError(verdict.status()));
  object out{{"nextSequenceToken", SequenceToken()}};
  object rejected;
  if (verdict->too_new_start) rejected["tooNewLogEventStartIndex"] = *verdict->too_new_start;
  if (verdict->too_old_end) rejected["tooOldLogEventEndIndex"] = *verdict->too_old_end;
  if (verdict->expired_end) rejected["expiredLogEventEndIndex"] = *verdict->expired_end;
  if (!rejected.empty()) out["rejectedLogEventsInfo"] = std::move(rejected);
  if (verdict->accepted_begin == verdict->accepted_end) return done(std::move(out));
  auto sealer = EventSealer::ForGroup(deps, group, record.record);
  if (auto* err = std::get_if<AwsError>(&sealer)) return done(*err);
  EventSealer& seal = std::get<EventSealer>(sealer);
  wharf::logs::Batch batch;
  batch.ingestion_time = now;
  batch.records.reserve(verdict->accepted_end - verdict->accepted_begin);
  for (size_t i = verdict->accepted_begin; i < verdict->accepted_end; ++i) {
    if (seal.active()) {
      batch.Add(events[i].timestamp, seal.Seal(events[i].message), true);
    } else {
      batch.Add(events[i].timestamp, events[i].message);
    }
  }
  // The metric filters' data, from the plaintext; put once the events are on disk.
  auto data = MetricFilterData(deps, group, events, verdict->accepted_begin, verdict->accepted_end);
  if (!data.ok()) return done(LogsError(data.status()));
  deps.events.Append({group, GetString(in, "logStreamName")}, std::move(batch),
                     [done = std::move(done), out = std::move(out), data = std::move(data).value(),
                      metrics = deps.metrics](Status s) mutable {
                       if (s.IsNotFound()) return done(StreamNotFound());
                       if (s.ok() && !data.empty()) s = metrics->Put(data);
                       done(s.ok() ? Outcome(std::move(out)) : Outcome(LogsError(s)));
                     });
}

Outcome GetLogEvents(const LogsDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadStream(deps, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto& [group, record] = std::get<0>(loaded);
  wharf::logs::StreamQuery q;
  q.limit = static_cast<size_t>(GetInt(in, "limit").value_or(10000));
  q.min_time = std::max(GetInt(in, "startTime").value_or(INT64_MIN), RetentionCutoff(deps, record));
  if (auto end = GetInt(in, "endTime")) q.max_time = *end - 1;
  std::optional<wharf::logs::EventToken> token;
  if (Has(in, "nextToken")) {
    token = wharf::logs::ParseEventToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("The specified nextToken is invalid.");
    q.forward = token->forward;
    (q.forward ? q.after : q.before) = token->position;
  } else {
    q.forward = GetBool(in, "startFromHead").value_or(false);
  }
  auto read = deps.events.Read({group, GetString(in, "logStreamName")}, q);
  if (!read.ok()) return LogsError(read.status());
  std::vector<StoredEvent>& events = read->events;
  EventOpener opener(deps, group, record.record);
  for (auto& e : events) {
    if (auto err = opener.Open(e)) return *err;
  }
  // At most 1 MB of events: the first ones going forward, the last ones going back.
  size_t bytes = 0, keep = 0;
  if (q.forward) {
    while (keep < events.size() && bytes + EventBytes(events[keep]) <= kMaxResponseBytes) bytes += EventBytes(events[keep++]);
    events.resize(keep);
  } else {
    while (keep < events.size() && bytes + EventBytes(events[events.size() - 1 - keep]) <= kMaxResponseBytes) {
      bytes += EventBytes(events[events.size() - 1 - keep++]);
    }
    events.erase(events.begin(), events.end() - static_cast<ptrdiff_t>(keep));
  }
  json::array out_events;
  for (const auto& e : events) {
    out_events.push_back(object{{"timestamp", e.position.timestamp}, {"message", e.message}, {"ingestionTime", e.ingestion_time}});
  }
  std::string forward, backward;
  if (!events.empty()) {
    forward = wharf::logs::EncodeToken({true, events.back().position});
    backward = wharf::logs::EncodeToken({false, events.front().position});
  } else if (token && token->forward) {
    // Nothing new: the same token again, as AWS does.
    forward = GetString(in, "nextToken");
    Position p = token->position;
    backward = wharf::logs::EncodeToken({false, Position{p.timestamp, p.segment, p.offset + 1}});
  } else if (token) {
    backward = GetString(in, "nextToken");
    forward = wharf::logs::EncodeToken({true, wharf::logs::Before(token->position)});
  } else {
    forward = wharf::logs::EncodeToken({true, Position{}});
    backward = wharf::logs::EncodeToken({false, Position{}});
  }
  return object{{"events", std::move(out_events)}, {"nextForwardToken", forward}, {"nextBackwardToken", backward}};
}

Outcome FilterLogEvents(const LogsDeps& deps, const RequestContext&, object& in) {
  auto requested = RequestedGroup(deps, in);
  if (auto* err = std::get_if<AwsError>(&requested)) return *err;
  std::string group = std::get<std::string>(requested);
  auto loaded = LoadGroup(deps, group);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  if (Has(in, "logStreamNames") && Has(in, "logStreamNamePrefix")) {
    return InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
  }
  auto pattern = wharf::logs::FilterPattern::Parse(GetString(in, "filterPattern"));
  if (!pattern.ok()) return LogsError(pattern.status());
  // The streams to search, by name.
  std::vector<std::string> streams;
  auto items = deps.store.List(StreamsPrefix(group) + GetString(in, "logStreamNamePrefix"), "", 0);
  if (!items.ok()) return LogsError(items.status());
  std::set<std::string> named;
  for (const auto& n : GetArray(in, "logStreamNames")) named.insert(std::string(n.as_string()));
  for (const auto& kv : items->items) {
    std::string name = kv.key.substr(StreamsPrefix(group).size());
    if (named.empty() || named.count(name)) streams.push_back(std::move(name));
  }
  // Results are ordered by (timestamp, stream, segment, offset); the token is the last one
  // examined or returned.
  struct Key {
    int64_t timestamp = 0;
    std::string stream;
    uint64_t segment = 0, offset = 0;
    auto operator<=>(const Key&) const = default;
  };
  std::optional<Key> after;
  if (Has(in, "nextToken")) {
    auto text = DecodeToken(GetString(in, "nextToken"));
    Key k;
    char* rest = nullptr;
    if (text) {
      k.timestamp = std::strtoll(text->c_str(), &rest, 10);
      if (*rest == '|') k.segment = std::strtoull(rest + 1, &rest, 10);
      if (*rest == '|') k.offset = std::strtoull(rest + 1, &rest, 10);
    }
    if (!text || *rest != '|') return InvalidParameter("The specified nextToken is invalid.");
    k.stream = std::string(rest + 1);
    after = std::move(k);
  }
  size_t limit = static_cast<size_t>(GetInt(in, "limit").value_or(10000));
  int64_t min_time = std::max(GetInt(in, "startTime").value_or(INT64_MIN), RetentionCutoff(deps, std::get<GroupRecord>(loaded)));
  int64_t max_time = GetInt(in, "endTime").value_or(INT64_MAX);
  const wharf::logs::FilterPattern& filter = *pattern;
  EventOpener opener(deps, group, std::get<GroupRecord>(loaded).record);
  std::optional<AwsError> refused;  // a sealed event that could not be opened

  std::vector<std::pair<Key, std::pair<std::string*, StoredEvent>>> found;
  std::optional<Key> frontier;
  uint64_t budget = kFilterScanBudget;
  json::array searched;
  for (auto& stream : streams) {
    wharf::logs::StreamQuery q;
    q.min_time = min_time;
    q.max_time = max_time;
    q.limit = limit + 1;  // one more than answered: whether a nextToken is due
    q.scan_budget = budget;
    if (!filter.MatchesAll()) {
      q.match = [&filter, &opener, &refused](const StoredEvent& e) {
        if (!e.sealed) return filter.Matches(e.message);
        auto plain = opener.Plaintext(e);
        if (auto* err = std::get_if<AwsError>(&plain)) {
          refused = *err;
          return false;
        }
        return filter.Matches(std::get<std::string>(plain));
      };
    }
    if (after) {
      if (stream < after->stream) q.after = Position{after->timestamp, UINT64_MAX, UINT64_MAX};
      else if (stream == after->stream) q.after = Position{after->timestamp, after->segment, after->offset};
      else q.after = Position{after->timestamp, 0, 0};
    }
    auto read = deps.events.Read({group, stream}, q);
    if (!read.ok()) return LogsError(read.status());
    if (refused) return *refused;
    for (auto& e : read->events) {
      if (auto err = opener.Open(e)) return *err;
    }
    budget -= std::min(budget, read->scanned_bytes);
    if (read->frontier) {
      Key f{read->frontier->timestamp, stream, 0, 0};
      if (!frontier || f < *frontier) frontier = f;
    }
    searched.push_back(object{{"logStreamName", stream}, {"searchedCompletely", !read->frontier}});
    for (auto& e : read->events) {
      Key k{e.position.timestamp, stream, e.position.segment, e.position.offset};
      found.emplace_back(std::move(k), std::make_pair(&stream, std::move(e)));
    }
  }
  if (frontier) std::erase_if(found, [&](const auto& f) { return !(f.first < *frontier); });
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array events;
  size_t bytes = 0;
  std::optional<Key> last;
  bool truncated = false;
  for (auto& [key, item] : found) {
    StoredEvent& e = item.second;
    if (events.size() == limit || bytes + EventBytes(e) > kMaxResponseBytes) {
      truncated = true;
      break;
    }
    bytes += EventBytes(e);
    char id[80];
    std::snprintf(id, sizeof id, "%020lld%010llu%016llu%010llu", static_cast<long long>(key.timestamp),
                  static_cast<unsigned long long>(std::hash<std::string>()(key.stream) % 10000000000ull),
                  static_cast<unsigned long long>(key.segment), static_cast<unsigned long long>(key.offset));
    events.push_back(object{{"logStreamName", *item.first},
                            {"timestamp", e.position.timestamp},
                            {"message", std::move(e.message)},
                            {"ingestionTime", e.ingestion_time},
                            {"eventId", id}});
    last = key;
  }
  object out{{"events", std::move(events)}, {"searchedLogStreams", std::move(searched)}};
  std::optional<Key> next = truncated ? last : frontier;
  if (next) {
    out["nextToken"] = EncodeToken(std::to_string(next->timestamp) + "|" + std::to_string(next->segment) + "|" +
                                   std::to_string(next->offset) + "|" + next->stream);
  }
  return out;
}

}  // namespace wharf::api::logs
