#include "api/ecs/common.h"

#include <algorithm>

#include <cstdio>

#include "base/crypto.h"
#include "controlplane/records.h"
#include "model/arn.h"

namespace wharf::api::ecs {

std::string Arn(const EcsDeps& deps, std::string_view resource) {
  return model::EcsArn({deps.region, deps.account_id}, resource);
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

std::string MakeIndexToken(size_t next) { return MakeNextToken(std::to_string(next)); }

std::optional<size_t> ReadIndexToken(std::string_view token) {
  auto text = ReadNextToken(token);
  if (!text || text->empty() || text->size() > 9 || !std::all_of(text->begin(), text->end(), ::isdigit)) return std::nullopt;
  return std::stoul(*text);
}

std::optional<AwsError> PageSize(const boost::json::object& input, int64_t limit, size_t& size) {
  auto max = GetInt(input, "maxResults");
  if (max && (*max < 1 || *max > limit)) {
    return InvalidParameter("maxResults must be between 1 and " + std::to_string(limit) + ".");
  }
  size = static_cast<size_t>(max.value_or(limit));
  return std::nullopt;
}

double NowSeconds(const EcsDeps& deps) { return EpochSeconds(deps.clock.Now()); }


}  // namespace wharf::api::ecs
