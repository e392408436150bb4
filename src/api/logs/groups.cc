// Log groups: create, delete, describe, retention, tags (both the log-group and the
// resource-ARN forms).
#include <algorithm>
#include <cctype>
#include <set>

#include "api/logs/handlers.h"
#include "api/logs/sealing.h"

namespace wharf::api::logs {
namespace json = boost::json;
namespace {

constexpr int kMaxTags = 50;
constexpr int64_t kRetentionDays[] = {1,   3,   5,   7,   14,  30,   60,   90,   120,  150,  180,
                                      365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

// Runs `change` on the group record and writes it back, retrying on conflicts.
Outcome UpdateGroup(const LogsDeps& deps, const std::string& name,
                    const std::function<std::optional<AwsError>(object& record)>& change,
                    const std::function<object(const object& record)>& answer) {
  auto updated = UpdateRecord(deps.store, GroupKey(name), [&](std::optional<object>& record) -> store::Decision<Outcome> {
    if (!record) return GroupNotFound();
    if (auto err = change(*record)) return *err;
    return store::Commit(answer(*record));
  });
  if (!updated.ok()) return LogsError(updated.status());
  return updated->value_or(
      AwsError::Server("OperationAbortedException", "Multiple concurrent requests to update the same resource."));
}

object Empty(const object&) { return object{}; }

std::optional<AwsError> CheckTagCount(const object& tags) {
  if (tags.size() > kMaxTags) return AwsError::Client("TooManyTagsException", "A resource can have no more than 50 tags.");
  return std::nullopt;
}

// The group a tagging ARN names: arn:aws:logs:<region>:<account>:log-group:<name>[:*].
std::variant<std::string, AwsError> GroupFromArn(const LogsDeps& deps, const std::string& arn) {
  std::string prefix = GroupArn(deps, "");
  if (!arn.starts_with(prefix) || arn.size() == prefix.size()) {
    return InvalidParameter("The specified resource ARN is not a log group ARN of this account and region.");
  }
  std::string name = arn.substr(prefix.size());
  if (name.ends_with(":*")) name.resize(name.size() - 2);
  return name;
}

Outcome Tag(const LogsDeps& deps, const std::string& name, const object& tags) {
  return UpdateGroup(deps, name, [&](object& record) -> std::optional<AwsError> {
    object& current = record["tags"].is_object() ? record["tags"].as_object() : (record["tags"] = object()).as_object();
    for (const auto& [k, v] : tags) current[k] = v;
    return CheckTagCount(current);
  }, Empty);
}

Outcome Untag(const LogsDeps& deps, const std::string& name, const json::array& keys) {
  return UpdateGroup(deps, name, [&](object& record) -> std::optional<AwsError> {
    if (!record["tags"].is_object()) return std::nullopt;
    for (const auto& k : keys) {
      if (k.is_string()) record["tags"].as_object().erase(k.as_string());
    }
    return std::nullopt;
  }, Empty);
}

Outcome ListTags(const LogsDeps& deps, const std::string& name) {
  auto loaded = LoadGroup(deps, name);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  return object{{"tags", GetObject(std::get<GroupRecord>(loaded).record, "tags")}};
}

}  // namespace

Outcome CreateLogGroup(const LogsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "logGroupName");
  bool valid = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
  });
  if (!valid) {
    return InvalidParameter("1 validation error detected: Value '" + name +
                            "' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [\\.\\-_/#A-Za-z0-9]+");
  }
  std::string log_class = GetString(in, "logGroupClass", "STANDARD");
  if (log_class != "STANDARD") {
    return InvalidParameter("logGroupClass " + log_class + " is not supported: wharf has STANDARD log groups only.");
  }
  if (GetBool(in, "deletionProtectionEnabled").value_or(false)) {
    return InvalidParameter("deletionProtectionEnabled is not supported.");
  }
  object tags = GetObject(in, "tags");
  if (auto err = CheckTagCount(tags)) return *err;
  object group{{"logGroupName", name},
               {"creationTime", NowMs(deps)},
               {"metricFilterCount", 0},
               {"arn", GroupArn(deps, name) + ":*"},
               {"logGroupClass", "STANDARD"},
               {"logGroupArn", GroupArn(deps, name)}};
  object record{{"logGroup", group}, {"tags", tags}};
  if (Has(in, "kmsKeyId")) {  // the group's events are sealed under a data key of this KMS key
    if (auto err = AddDataKey(deps, name, GetString(in, "kmsKeyId"), record)) return *err;
  }
  store::Txn txn;
  txn.compares.push_back({GroupKey(name), 0});
  txn.ops.push_back(store::Op::Put(GroupKey(name), Serialize(record)));
  auto committed = deps.store.Commit(txn);
  if (!committed.ok()) return LogsError(committed.status());
  if (!committed->succeeded) {
    return AwsError::Client("ResourceAlreadyExistsException", "The specified log group already exists");
  }
  // Events a crash left behind for an earlier group of this name are not this group's.
  Status dropped = deps.events.DropGroup(name);
  if (!dropped.ok()) return LogsError(dropped);
  return object{};
}

Outcome DeleteLogGroup(const LogsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "logGroupName");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto loaded = LoadGroup(deps, name);
    if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
    auto streams = deps.store.List(StreamsPrefix(name), "", 0);
    if (!streams.ok()) return LogsError(streams.status());
    auto filters = deps.store.List(model::keys::LogMetricFiltersPrefix(name), "", 0);  // go with the group
    if (!filters.ok()) return LogsError(filters.status());
    store::Txn txn;
    txn.compares.push_back({GroupKey(name), std::get<GroupRecord>(loaded).mod_revision});
    txn.ops.push_back(store::Op::Delete(GroupKey(name)));
    for (const auto* page : {&*streams, &*filters}) {
      for (const auto& kv : page->items) {
        txn.compares.push_back({kv.key, kv.mod_revision});
        txn.ops.push_back(store::Op::Delete(kv.key));
      }
    }
    auto committed = deps.store.Commit(txn);
    if (!committed.ok()) return LogsError(committed.status());
    if (!committed->succeeded) return store::kConflict;
    Status dropped = deps.events.DropGroup(name);
    if (!dropped.ok()) return LogsError(dropped);
    return object{};
  }).value_or(AwsError::Server("OperationAbortedException", "Multiple concurrent requests to update the same resource."));
}

Outcome DescribeLogGroups(const LogsDeps& deps, const RequestContext&, object& in) {
  std::string prefix = GetString(in, "logGroupNamePrefix");
  std::string pattern = GetString(in, "logGroupNamePattern");
  if (!prefix.empty() && !pattern.empty()) {
    return InvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
  }
  if (Has(in, "accountIdentifiers") || GetBool(in, "includeLinkedAccounts").value_or(false)) {
    return InvalidParameter("Cross-account observability is not supported.");
  }
  std::string log_class = GetString(in, "logGroupClass");
  std::set<std::string> identifiers;
  for (const auto& id : GetArray(in, "logGroupIdentifiers")) {
    object one{{"logGroupIdentifier", id}};
    auto name = RequestedGroup(deps, one);
    if (auto* err = std::get_if<AwsError>(&name)) return *err;
    identifiers.insert(std::get<std::string>(name));
  }
  size_t limit = static_cast<size_t>(GetInt(in, "limit").value_or(50));
  std::string start_after;
  if (Has(in, "nextToken")) {
    auto token = DecodeToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("The specified nextToken is invalid.");
    start_after = std::string(kGroupsPrefix) + *token;
  }
  json::array groups;
  std::string last;
  bool more = false;
  while (groups.size() < limit) {
    auto page = deps.store.List(std::string(kGroupsPrefix) + prefix, start_after, 200);
    if (!page.ok()) return LogsError(page.status());
    for (const auto& kv : page->items) {
      start_after = kv.key;
      if (groups.size() == limit) {
        more = true;
        break;
      }
      auto record = ParseObject(kv.value);
      if (!record.ok()) return LogsError(record.status());
      object group = GetObject(*record, "logGroup");
      std::string name = GetString(group, "logGroupName");
      if (!pattern.empty() && name.find(pattern) == std::string::npos) continue;
      if (!identifiers.empty() && !identifiers.count(name)) continue;
      if (!log_class.empty() && GetString(group, "logGroupClass") != log_class) continue;
      // storedBytes: what the group's streams hold now.
      int64_t bytes = 0;
      auto streams = deps.store.List(StreamsPrefix(name), "", 0);
      if (!streams.ok()) return LogsError(streams.status());
      for (const auto& s : streams->items) {
        auto stats = deps.events.Stats({name, s.key.substr(StreamsPrefix(name).size())});
        if (stats.ok()) bytes += static_cast<int64_t>(stats->stored_bytes);
      }
      group["storedBytes"] = bytes;
      auto filters = deps.store.List(model::keys::LogMetricFiltersPrefix(name), "", 0);
      if (!filters.ok()) return LogsError(filters.status());
      group["metricFilterCount"] = static_cast<int64_t>(filters->items.size());
      groups.push_back(std::move(group));
      last = name;
    }
    if (more || !page->more) break;
  }
  object out{{"logGroups", std::move(groups)}};
  if (more) out["nextToken"] = EncodeToken(last);
  return out;
}

Outcome PutRetentionPolicy(const LogsDeps& deps, const RequestContext&, object& in) {
  int64_t days = GetInt(in, "retentionInDays").value_or(0);
  if (std::find(std::begin(kRetentionDays), std::end(kRetentionDays), days) == std::end(kRetentionDays)) {
    return InvalidParameter("1 validation error detected: Value '" + std::to_string(days) +
                            "' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
                            "1827, 2192, 2557, 2922, 3288, 3653]");
  }
  Outcome out = UpdateGroup(deps, GetString(in, "logGroupName"), [&](object& record) -> std::optional<AwsError> {
    record["logGroup"].as_object()["retentionInDays"] = days;
    return std::nullopt;
  }, Empty);
  if (out.ok() && deps.retention_changed) deps.retention_changed();
  return out;
}

Outcome DeleteRetentionPolicy(const LogsDeps& deps, const RequestContext&, object& in) {
  return UpdateGroup(deps, GetString(in, "logGroupName"), [&](object& record) -> std::optional<AwsError> {
    record["logGroup"].as_object().erase("retentionInDays");
    return std::nullopt;
  }, Empty);
}

Outcome TagLogGroup(const LogsDeps& deps, const RequestContext&, object& in) {
  return Tag(deps, GetString(in, "logGroupName"), GetObject(in, "tags"));
}
Outcome UntagLogGroup(const LogsDeps& deps, const RequestContext&, object& in) {
  return Untag(deps, GetString(in, "logGroupName"), GetArray(in, "tags"));
}
Outcome ListTagsLogGroup(const LogsDeps& deps, const RequestContext&, object& in) {
  return ListTags(deps, GetString(in, "logGroupName"));
}
Outcome TagResource(const LogsDeps& deps, const RequestContext&, object& in) {
  auto name = GroupFromArn(deps, GetString(in, "resourceArn"));
  if (auto* err = std::get_if<AwsError>(&name)) return *err;
  return Tag(deps, std::get<std::string>(name), GetObject(in, "tags"));
}
Outcome UntagResource(const LogsDeps& deps, const RequestContext&, object& in) {
  auto name = GroupFromArn(deps, GetString(in, "resourceArn"));
  if (auto* err = std::get_if<AwsError>(&name)) return *err;
  return Untag(deps, std::get<std::string>(name), GetArray(in, "tagKeys"));
}
Outcome ListTagsForResource(const LogsDeps& deps, const RequestContext&, object& in) {
  auto name = GroupFromArn(deps, GetString(in, "resourceArn"));
  if (auto* err = std::get_if<AwsError>(&name)) return *err;
  return ListTags(deps, std::get<std::string>(name));
}

namespace {

// AssociateKmsKey / DisassociateKmsKey name a group by logGroupName or resourceIdentifier
// (its ARN); the account's query-result resource is refused (wharf has no Logs Insights).
std::variant<std::string, AwsError> KmsTarget(const LogsDeps& deps, const object& in) {
  bool by_name = Has(in, "logGroupName"), by_arn = Has(in, "resourceIdentifier");
  if (by_name == by_arn) {
    return InvalidParameter("Specify exactly one of logGroupName and resourceIdentifier.");
  }
  if (by_name) return GetString(in, "logGroupName");
  std::string arn = GetString(in, "resourceIdentifier");
  if (arn.find(":query-result:") != std::string::npos) {
    return InvalidParameter("Query results are not supported: wharf has no CloudWatch Logs Insights.");
  }
  return GroupFromArn(deps, arn);
}

}  // namespace

Outcome AssociateKmsKey(const LogsDeps& deps, const RequestContext&, object& in) {
  auto name = KmsTarget(deps, in);
  if (auto* err = std::get_if<AwsError>(&name)) return *err;
  const std::string& group = std::get<std::string>(name);
  // A missing group is ResourceNotFoundException before the key is tried, as on AWS (the key's
  // refusal is AccessDeniedException, which would otherwise hide the group's absence).
  if (auto found = LoadGroup(deps, group); std::holds_alternative<AwsError>(found)) {
    return std::get<AwsError>(found);
  }
  // The data key is made once, before the write: a retried write keeps the same one.
  object made{{"logGroup", object{}}};
  if (auto err = AddDataKey(deps, group, GetString(in, "kmsKeyId"), made)) return *err;
  return UpdateGroup(deps, group, [&](object& record) -> std::optional<AwsError> {
    if (!record["dataKeys"].is_array()) record["dataKeys"] = json::array();
    json::array& keys = record["dataKeys"].as_array();
    int64_t id = 0;
    for (const auto& k : keys) id = std::max(id, GetInt(k.as_object(), "id").value_or(0));
    object entry = made["dataKeys"].as_array()[0].as_object();
    entry["id"] = ++id;
    keys.push_back(std::move(entry));
    record["dataKeyId"] = id;
    record["logGroup"].as_object()["kmsKeyId"] = GetString(in, "kmsKeyId");
    return std::nullopt;
  }, Empty);
}

Outcome DisassociateKmsKey(const LogsDeps& deps, const RequestContext&, object& in) {
  auto name = KmsTarget(deps, in);
  if (auto* err = std::get_if<AwsError>(&name)) return *err;
  return UpdateGroup(deps, std::get<std::string>(name), [&](object& record) -> std::optional<AwsError> {
    DropCurrentDataKey(record);
    return std::nullopt;
  }, Empty);
}

}  // namespace wharf::api::logs
