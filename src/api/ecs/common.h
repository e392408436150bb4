// Shared pieces of the ECS handlers: errors, ARNs, keys, pagination.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/ecs/ecs.h"
#include "api/json_util.h"
#include "model/keys.h"
#include "model/arn.h"
#include "controlplane/records.h"

namespace wharf::api::ecs {

// Store keys (model/keys.h, docs/STATE.md).
using controlplane::GetRecord;
using controlplane::PutRecord;
using controlplane::ReadRecord;
using controlplane::StoredRecord;
using controlplane::UpdateRecord;
using model::keys::AccountSettingKey;
using model::keys::ClusterKey;
using model::keys::ContainerInstanceKey;
using model::keys::ContainerInstancesPrefix;
using model::keys::FamilyKey;
using model::keys::ServiceKey;
using model::keys::ServicesPrefix;
using model::keys::TaskDefinitionKey;
using model::keys::TaskDefinitionPrefix;
using model::keys::TaskKey;
using model::keys::TasksPrefix;

using model::ClusterName;
using model::ShortId;

std::string Arn(const EcsDeps& deps, std::string_view resource);  // arn:aws:ecs:<r>:<a>:<resource>


// A Status from the store or a rule -> the ECS error: InvalidArgument and the like are
// the client's (ClientException); Unavailable and Internal are ServerException.
AwsError EcsError(const Status& status);
AwsError ClientError(std::string message);
AwsError InvalidParameter(std::string message);
AwsError ClusterNotFound();

// Opaque pagination tokens carrying the last key returned.
std::string MakeNextToken(std::string_view last_key);
std::optional<std::string> ReadNextToken(std::string_view token);
// Tokens carrying a position in a list made per request (service deployments, attributes).
std::string MakeIndexToken(size_t next);
std::optional<size_t> ReadIndexToken(std::string_view token);
// maxResults within [1, limit], defaulting to `limit`.
std::optional<AwsError> PageSize(const boost::json::object& input, int64_t limit, size_t& size);

double NowSeconds(const EcsDeps& deps);


}  // namespace wharf::api::ecs
