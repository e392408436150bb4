#include "api/ecr/common.h"

#include "api/ecr/kms_data_keys.h"

#include <boost/json/serialize.hpp>

namespace wharf::api::ecr {
namespace json = boost::json;

AwsError EcrError(const Status& status) {
  if (status.IsInvalidArgument()) return InvalidParameter(status.message());
  // The registry's FailedPrecondition is KMS refusing a repository's key (registry::DataKeys).
  if (status.IsFailedPrecondition()) return KmsException(status);
  return AwsError::Server("ServerException", status.message());
}

AwsError InvalidParameter(std::string message) {
  return AwsError::Client("InvalidParameterException", std::move(message));
}

AwsError RepositoryNotFound(const Registry& r, const std::string& name) {
  return AwsError::Client("RepositoryNotFoundException",
                          "The repository with name '" + name +
                              "' does not exist in the registry with id '" + r.options().account_id + "'");
}

std::string RepositoryName(const object& in) { return GetString(in, "repositoryName"); }

std::string RegistryId(const Registry& r, const object& in) {
  return GetString(in, "registryId", r.options().account_id);
}

std::variant<RepositoryRecord, AwsError> LoadRepository(Registry& r, const object& in) {
  std::string name = RepositoryName(in);
  if (RegistryId(r, in) != r.options().account_id) return RepositoryNotFound(r, name);
  auto found = r.Repository(name);
  if (!found.ok()) return EcrError(found.status());
  if (!*found) return RepositoryNotFound(r, name);
  return RepositoryRecord{std::move((*found)->first), (*found)->second};
}

Result<bool> SaveRepository(Registry& r, const std::string& name, const RepositoryRecord& rec) {
  std::string key = Registry::RepositoryKey(name);
  ASSIGN_OR_RETURN(auto result, r.store().Commit(store::Txn{{{key, rec.mod_revision}},
                                                            {store::Op::Put(key, json::serialize(rec.record))}}));
  return result.succeeded;
}

Outcome UpdateRepository(Registry& r, const object& in,
                         const std::function<std::optional<AwsError>(object& record)>& change,
                         const std::function<object(const object& record)>& answer) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto loaded = LoadRepository(r, in);
    if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
    RepositoryRecord& rec = std::get<RepositoryRecord>(loaded);
    if (auto err = change(rec.record)) return *err;
    ASSIGN_OR_FAIL(bool saved, SaveRepository(r, RepositoryName(in), rec), EcrError);
    if (!saved) return store::kConflict;
    return answer(rec.record);
  }).value_or(AwsError::Server("ServerException", "Too many concurrent updates; retry."));
}

object ImageId(const registry::ImageRecord& image, const std::string& tag) {
  object id{{"imageDigest", image.digest}};
  if (!tag.empty()) id["imageTag"] = tag;
  return id;
}

}  // namespace wharf::api::ecr
