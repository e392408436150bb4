// Shared pieces of the ECR handlers.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "api/aws_error.h"
#include "api/front_door.h"
#include "api/json_util.h"
#include "registry/registry.h"
#include "store/update.h"

namespace wharf::api::ecr {

using boost::json::object;
using registry::Registry;

AwsError EcrError(const Status& status);
AwsError InvalidParameter(std::string message);
AwsError RepositoryNotFound(const Registry& r, const std::string& name);

// The repository record (or the error to answer with).
struct RepositoryRecord {
  object record;  // {repository, tags, policyText, lifecyclePolicyText, ...}
  int64_t mod_revision = 0;
  const object& shape() const { return record.at("repository").as_object(); }
};
std::variant<RepositoryRecord, AwsError> LoadRepository(Registry& r, const object& in);
// Writes the record back if it did not change meanwhile; false on a conflict.
Result<bool> SaveRepository(Registry& r, const std::string& name, const RepositoryRecord& rec);

// Runs `change` on the repository record and saves it, retrying on conflicts.
Outcome UpdateRepository(Registry& r, const object& in,
                         const std::function<std::optional<AwsError>(object& record)>& change,
                         const std::function<object(const object& record)>& answer);

std::string RepositoryName(const object& in);
std::string RegistryId(const Registry& r, const object& in);

// ECR's imageId and image description shapes from a stored image.
object ImageId(const registry::ImageRecord& image, const std::string& tag);

}  // namespace wharf::api::ecr
