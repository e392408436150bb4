// Log streams: create, delete, describe (with what the stream's events say about it).
#include <algorithm>

#include "api/logs/handlers.h"

namespace wharf::api::logs {
namespace json = boost::json;

Outcome CreateLogStream(const LogsDeps& deps, const RequestContext&, object& in) {
  std::string group = GetString(in, "logGroupName");
  std::string stream = GetString(in, "logStreamName");
  if (stream.find_first_of(":*") != std::string::npos) {
    return InvalidParameter("1 validation error detected: Value '" + stream +
                            "' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [^:*]*");
  }
  auto loaded = LoadGroup(deps, group);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  object record{{"logStreamName", stream}, {"creationTime", NowMs(deps)}, {"arn", StreamArn(deps, group, stream)}};
  store::Txn txn;
  txn.compares.push_back({GroupKey(group), std::get<GroupRecord>(loaded).mod_revision});
  txn.compares.push_back({StreamKey(group, stream), 0});
  txn.ops.push_back(store::Op::Put(StreamKey(group, stream), Serialize(record)));
  auto committed = deps.store.Commit(txn);
  if (!committed.ok()) return LogsError(committed.status());
  if (!committed->succeeded) {
    auto exists = deps.store.Get(StreamKey(group, stream));
    if (exists.ok() && *exists) {
      return AwsError::Client("ResourceAlreadyExistsException", "The specified log stream already exists");
    }
    return AwsError::Server("OperationAbortedException", "Multiple concurrent requests to update the same resource.");
  }
  // A crash between a delete's store commit and its file removal may have left events.
  Status dropped = deps.events.DropStream({group, stream});
  if (!dropped.ok()) return LogsError(dropped);
  return object{};
}

Outcome DeleteLogStream(const LogsDeps& deps, const RequestContext&, object& in) {
  std::string group = GetString(in, "logGroupName");
  std::string stream = GetString(in, "logStreamName");
  auto loaded = LoadGroup(deps, group);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto kv = deps.store.Get(StreamKey(group, stream));
  if (!kv.ok()) return LogsError(kv.status());
  if (!*kv) return StreamNotFound();
  store::Txn txn;
  txn.compares.push_back({StreamKey(group, stream), (*kv)->mod_revision});
  txn.ops.push_back(store::Op::Delete(StreamKey(group, stream)));
  auto committed = deps.store.Commit(txn);
  if (!committed.ok()) return LogsError(committed.status());
  if (!committed->succeeded) return StreamNotFound();
  Status dropped = deps.events.DropStream({group, stream});
  if (!dropped.ok()) return LogsError(dropped);
  return object{};
}

Outcome DescribeLogStreams(const LogsDeps& deps, const RequestContext&, object& in) {
  auto requested = RequestedGroup(deps, in);
  if (auto* err = std::get_if<AwsError>(&requested)) return *err;
  const std::string& group = std::get<std::string>(requested);
  auto loaded = LoadGroup(deps, group);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string prefix = GetString(in, "logStreamNamePrefix");
  bool by_time = GetString(in, "orderBy", "LogStreamName") == "LastEventTime";
  if (by_time && !prefix.empty()) {
    return InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  bool descending = GetBool(in, "descending").value_or(false);
  size_t limit = static_cast<size_t>(GetInt(in, "limit").value_or(50));
  size_t skip = 0;
  if (Has(in, "nextToken")) {
    auto token = DecodeToken(GetString(in, "nextToken"));
    if (!token || token->substr(0, 2) != "i:") return InvalidParameter("The specified nextToken is invalid.");
    skip = std::strtoull(token->c_str() + 2, nullptr, 10);
  }
  auto items = deps.store.List(StreamsPrefix(group) + prefix, "", 0);
  if (!items.ok()) return LogsError(items.status());
  int64_t cutoff = RetentionCutoff(deps, std::get<GroupRecord>(loaded));
  struct Row {
    object shape;
    int64_t last_event = 0;
  };
  std::vector<Row> rows;
  for (const auto& kv : items->items) {
    auto record = ParseObject(kv.value);
    if (!record.ok()) return LogsError(record.status());
    Row row{std::move(record).value(), 0};
    auto stats = deps.events.Stats({group, GetString(row.shape, "logStreamName")});
    if (!stats.ok()) return LogsError(stats.status());
    if (stats->first_event_time && *stats->last_event_time >= cutoff) {
      row.shape["firstEventTimestamp"] = std::max(*stats->first_event_time, cutoff);
      row.shape["lastEventTimestamp"] = *stats->last_event_time;
      row.shape["lastIngestionTime"] = *stats->last_ingestion_time;
      row.last_event = *stats->last_event_time;
    }
    row.shape["storedBytes"] = 0;  // AWS reports 0 for streams since 2019
    rows.push_back(std::move(row));
  }
  if (by_time) {
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.last_event < b.last_event; });
  }
  if (descending) std::reverse(rows.begin(), rows.end());
  json::array streams;
  for (size_t i = skip; i < rows.size() && streams.size() < limit; ++i) streams.push_back(std::move(rows[i].shape));
  object out{{"logStreams", std::move(streams)}};
  if (skip + limit < rows.size()) out["nextToken"] = EncodeToken("i:" + std::to_string(skip + limit));
  return out;
}

}  // namespace wharf::api::logs
