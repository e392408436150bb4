// Shared pieces of the ECS handlers: errors, ARNs, keys, pagination.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/ecs/ecs.h"
#include "api/json_util.h"
#include "api/stored_record.h"

namespace wharf::api::ecs {

// Store keys (docs/STATE.md).
std::string ClusterKey(std::string_view name);
std::string TaskDefinitionKey(std::string_view family, int64_t revision);
std::string TaskDefinitionPrefix(std::string_view family);  // "" for all families
std::string FamilyKey(std::string_view family);
std::string AccountSettingKey(std::string_view principal_arn, std::string_view name);
// Prefixes owned by later capabilities that a cluster's counts and deletion look at.
std::string ServicesPrefix(std::string_view cluster);
std::string ContainerInstancesPrefix(std::string_view cluster);
std::string TasksPrefix(std::string_view cluster);
std::string ContainerInstanceKey(std::string_view cluster, std::string_view id);
std::string TaskKey(std::string_view cluster, std::string_view id);

// The last path segment of an ARN ("arn:...:task/cluster/abc" -> "abc"), or the text itself.
std::string ShortId(std::string_view arn_or_id);

std::string Arn(const EcsDeps& deps, std::string_view resource);  // arn:aws:ecs:<r>:<a>:<resource>

// "name" or "arn:aws:ecs:...:cluster/name" -> "name"; empty input -> "default".
std::string ClusterName(std::string_view name_or_arn);

// A Status from the store or a rule -> the ECS error: InvalidArgument and the like are
// the client's (ClientException); Unavailable and Internal are ServerException.
AwsError EcsError(const Status& status);
AwsError ClientError(std::string message);
AwsError InvalidParameter(std::string message);
AwsError ClusterNotFound();

// Opaque pagination tokens carrying the last key returned.
std::string MakeNextToken(std::string_view last_key);
std::optional<std::string> ReadNextToken(std::string_view token);
// maxResults within [1, limit], defaulting to `limit`.
std::optional<AwsError> PageSize(const boost::json::object& input, int64_t limit, size_t& size);

double NowSeconds(const EcsDeps& deps);

// Reads and parses a stored JSON record; empty when absent.
Result<std::optional<std::pair<boost::json::object, int64_t>>> ReadRecord(store::Store& store,
                                                                           const std::string& key);

}  // namespace wharf::api::ecs
