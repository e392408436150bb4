#include "api/logs/common.h"

#include "base/crypto.h"

namespace wharf::api::logs {

AwsError LogsError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return AwsError::Client("ResourceNotFoundException", status.message());
    case Status::Code::kAlreadyExists: return AwsError::Client("ResourceAlreadyExistsException", status.message());
    case Status::Code::kInvalidArgument:
    case Status::Code::kFailedPrecondition: return InvalidParameter(status.message());
    default: return AwsError::Server("ServiceUnavailableException", status.message());
  }
}

AwsError InvalidParameter(std::string message) {
  return AwsError::Client("InvalidParameterException", std::move(message));
}
AwsError GroupNotFound() {
  return AwsError::Client("ResourceNotFoundException", "The specified log group does not exist.");
}
AwsError StreamNotFound() {
  return AwsError::Client("ResourceNotFoundException", "The specified log stream does not exist.");
}

std::string GroupArn(const LogsDeps& deps, std::string_view group) {
  return "arn:aws:logs:" + deps.region + ":" + deps.account_id + ":log-group:" + std::string(group);
}
std::string StreamArn(const LogsDeps& deps, std::string_view group, std::string_view stream) {
  return GroupArn(deps, group) + ":log-stream:" + std::string(stream);
}

int64_t NowMs(const LogsDeps& deps) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deps.clock.Now().time_since_epoch()).count();
}

std::variant<GroupRecord, AwsError> LoadGroup(const LogsDeps& deps, const std::string& name) {
  auto kv = deps.store.Get(GroupKey(name));
  if (!kv.ok()) return LogsError(kv.status());
  if (!*kv) return GroupNotFound();
  auto record = ParseObject((*kv)->value);
  if (!record.ok()) return LogsError(record.status());
  return GroupRecord{std::move(record).value(), (*kv)->mod_revision};
}

std::variant<std::string, AwsError> RequestedGroup(const LogsDeps& deps, const object& in, bool required) {
  std::string name = GetString(in, "logGroupName");
  std::string identifier = GetString(in, "logGroupIdentifier");
  if (!name.empty() && !identifier.empty()) {
    return InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  }
  if (!identifier.empty()) {
    std::string prefix = GroupArn(deps, "");
    if (identifier.starts_with("arn:")) {
      if (!identifier.starts_with(prefix)) return InvalidParameter("The specified log group identifier is invalid.");
      name = identifier.substr(prefix.size());
      if (name.ends_with(":*")) name.resize(name.size() - 2);
    } else {
      name = identifier;
    }
  }
  if (name.empty() && required) {
    return InvalidParameter("Either logGroupName or logGroupIdentifier is required.");
  }
  return name;
}

int64_t RetentionCutoff(const LogsDeps& deps, const GroupRecord& group) {
  auto days = group.retention_days();
  if (!days) return INT64_MIN;
  return NowMs(deps) - *days * 86400000LL;
}

std::string EncodeToken(std::string_view text) { return Base64Encode(text); }
std::optional<std::string> DecodeToken(std::string_view token) { return Base64Decode(token); }

}  // namespace wharf::api::logs
