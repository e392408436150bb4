#include "api/ecs/common.h"

#include <cstdio>

#include "base/crypto.h"

namespace wharf::api::ecs {

std::string ClusterKey(std::string_view name) { return "ecs/clusters/" + std::string(name); }

std::string TaskDefinitionKey(std::string_view family, int64_t revision) {
  char rev[16];
  std::snprintf(rev, sizeof rev, "%010lld", static_cast<long long>(revision));
  return TaskDefinitionPrefix(family) + rev;
}

std::string TaskDefinitionPrefix(std::string_view family) {
  return family.empty() ? "ecs/task-definitions/" : "ecs/task-definitions/" + std::string(family) + "/";
}

std::string FamilyKey(std::string_view family) {
  return "ecs/task-definition-families/" + std::string(family);
}

std::string AccountSettingKey(std::string_view principal_arn, std::string_view name) {
  return "ecs/account-settings/" + std::string(principal_arn) + "/" + std::string(name);
}

std::string ServicesPrefix(std::string_view cluster) { return "ecs/services/" + std::string(cluster) + "/"; }
std::string ContainerInstancesPrefix(std::string_view cluster) {
  return "ecs/container-instances/" + std::string(cluster) + "/";
}
std::string TasksPrefix(std::string_view cluster) { return "ecs/tasks/" + std::string(cluster) + "/"; }

std::string ContainerInstanceKey(std::string_view cluster, std::string_view id) {
  return ContainerInstancesPrefix(cluster) + std::string(id);
}
std::string TaskKey(std::string_view cluster, std::string_view id) {
  return TasksPrefix(cluster) + std::string(id);
}

std::string ShortId(std::string_view arn_or_id) {
  size_t slash = arn_or_id.rfind('/');
  return std::string(slash == std::string_view::npos ? arn_or_id : arn_or_id.substr(slash + 1));
}

std::string Arn(const EcsDeps& deps, std::string_view resource) {
  return "arn:aws:ecs:" + deps.region + ":" + deps.account_id + ":" + std::string(resource);
}

std::string ClusterName(std::string_view name_or_arn) {
  if (name_or_arn.empty()) return "default";
  if (name_or_arn.substr(0, 8) == "arn:aws:") {
    size_t slash = name_or_arn.find(":cluster/");
    if (slash != std::string_view::npos) return std::string(name_or_arn.substr(slash + 9));
  }
  return std::string(name_or_arn);
}

AwsError EcsError(const Status& status) {
  if (status.IsUnavailable() || status.IsInternal()) {
    return AwsError::Server("ServerException", "Server error: " + status.message());
  }
  return AwsError::Client("ClientException", status.message());
}

AwsError ClientError(std::string message) { return AwsError::Client("ClientException", std::move(message)); }
AwsError InvalidParameter(std::string message) {
  return AwsError::Client("InvalidParameterException", std::move(message));
}
AwsError ClusterNotFound() { return AwsError::Client("ClusterNotFoundException", "Cluster not found."); }

std::string MakeNextToken(std::string_view last_key) { return Base64Encode(last_key); }

std::optional<std::string> ReadNextToken(std::string_view token) { return Base64Decode(token); }

std::optional<AwsError> PageSize(const boost::json::object& input, int64_t limit, size_t& size) {
  auto max = GetInt(input, "maxResults");
  if (max && (*max < 1 || *max > limit)) {
    return InvalidParameter("maxResults must be between 1 and " + std::to_string(limit) + ".");
  }
  size = static_cast<size_t>(max.value_or(limit));
  return std::nullopt;
}

double NowSeconds(const EcsDeps& deps) { return EpochSeconds(deps.clock.Now()); }

Result<std::optional<std::pair<boost::json::object, int64_t>>> ReadRecord(store::Store& store,
                                                                           const std::string& key) {
  using Found = std::optional<std::pair<boost::json::object, int64_t>>;
  ASSIGN_OR_RETURN(auto kv, store.Get(key));
  if (!kv) return Found();
  ASSIGN_OR_RETURN(boost::json::object obj, ParseObject(kv->value));
  return Found(std::make_pair(std::move(obj), kv->mod_revision));
}

}  // namespace wharf::api::ecs
