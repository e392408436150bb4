// Shared pieces of the CloudWatch Logs handlers: errors, keys, records, ARNs, tokens.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/aws_error.h"
#include "api/json_util.h"
#include "model/keys.h"
#include "api/logs/logs.h"
#include "controlplane/records.h"

namespace wharf::api::logs {

using boost::json::object;
using controlplane::UpdateRecord;

// Store keys (model/keys.h, docs/STATE.md).
inline std::string GroupKey(std::string_view group) { return model::keys::LogGroupKey(group); }
inline std::string StreamKey(std::string_view group, std::string_view stream) {
  return model::keys::LogStreamKey(group, stream);
}
inline std::string StreamsPrefix(std::string_view group) { return model::keys::LogStreamsPrefix(group); }
inline constexpr std::string_view kGroupsPrefix = model::keys::kLogGroups;

AwsError LogsError(const Status& status);
AwsError InvalidParameter(std::string message);
AwsError GroupNotFound();
AwsError StreamNotFound();

std::string GroupArn(const LogsDeps& deps, std::string_view group);  // without ":*"
std::string StreamArn(const LogsDeps& deps, std::string_view group, std::string_view stream);
int64_t NowMs(const LogsDeps& deps);

struct GroupRecord {
  object record;  // {logGroup: <LogGroup shape>, tags: {k: v}}
  int64_t mod_revision = 0;
  const object& shape() const { return record.at("logGroup").as_object(); }
  std::optional<int64_t> retention_days() const { return GetInt(shape(), "retentionInDays"); }
};
std::variant<GroupRecord, AwsError> LoadGroup(const LogsDeps& deps, const std::string& name);

// The group a request names: logGroupName, or logGroupIdentifier (a name or an ARN).
std::variant<std::string, AwsError> RequestedGroup(const LogsDeps& deps, const object& in, bool required = true);

// The oldest event time a group still shows (its retention), or INT64_MIN.
int64_t RetentionCutoff(const LogsDeps& deps, const GroupRecord& group);

// Opaque pagination tokens.
std::string EncodeToken(std::string_view text);
std::optional<std::string> DecodeToken(std::string_view token);

}  // namespace wharf::api::logs
