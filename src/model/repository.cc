#include "model/repository.h"

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

const json::object& RepositoryRecord::shape() const { return GetObject(record_, "repository"); }
std::string RepositoryRecord::name() const { return GetString(shape(), "repositoryName"); }
std::string RepositoryRecord::arn() const { return GetString(shape(), "repositoryArn"); }
std::string RepositoryRecord::uri() const { return GetString(shape(), "repositoryUri"); }
std::string RepositoryRecord::tag_mutability() const { return GetString(shape(), "imageTagMutability", "MUTABLE"); }

std::vector<std::string> RepositoryRecord::tag_mutability_exclusions() const {
  std::vector<std::string> out;
  for (const auto& f : GetArray(shape(), "imageTagMutabilityExclusionFilters")) {
    if (f.is_object()) out.push_back(GetString(f.get_object(), "filter"));
  }
  return out;
}

std::string RepositoryRecord::policy_text() const { return GetString(record_, "policyText"); }
std::string RepositoryRecord::lifecycle_policy_text() const { return GetString(record_, "lifecyclePolicyText"); }

std::string RepositoryRecord::encryption_type() const {
  return GetString(GetObject(shape(), "encryptionConfiguration"), "encryptionType", "AES256");
}
std::string RepositoryRecord::kms_key() const { return GetString(GetObject(shape(), "encryptionConfiguration"), "kmsKey"); }
std::string RepositoryRecord::wrapped_data_key() const { return GetString(record_, "dataKey"); }
std::string RepositoryRecord::blob_namespace() const { return GetString(record_, "blobNamespace"); }

}  // namespace wharf::model
