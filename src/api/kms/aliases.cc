// Aliases: kms/aliases/<name> records naming their target key.
#include <boost/json/array.hpp>
#include <cctype>

#include "api/kms/handlers.h"
#include "controlplane/records.h"
#include "store/update.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

std::optional<AwsError> CheckAliasName(const std::string& name) {
  if (!name.starts_with("alias/")) {
    return AwsError::Client("ValidationException", "Alias must start with the prefix \"alias/\". Please see "
                                                   "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  if (name.starts_with("alias/aws/")) {
    return AwsError::Client("NotAuthorizedException", "");
  }
  for (char c : name.substr(6)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-') {
      return AwsError::Client("ValidationException",
                              "1 validation error detected: Value '" + name +
                                  "' at 'aliasName' failed to satisfy constraint: Member must satisfy regular "
                                  "expression pattern: ^[a-zA-Z0-9:/_-]+$");
    }
  }
  if (name.size() == 6) return AwsError::Client("ValidationException", "Alias name must not be empty");
  return std::nullopt;
}

// The customer managed key an alias may point at.
std::variant<KmsKey, AwsError> AliasTargetKey(const KmsDeps& deps, const std::string& target_ref) {
  if (target_ref.starts_with("alias/") || target_ref.find(":alias/") != std::string::npos) {
    return AwsError::Client("ValidationException", "Aliases must refer to keys. Not aliases");
  }
  auto key = FindKey(deps, target_ref);
  if (auto* err = std::get_if<AwsError>(&key)) return *err;
  if (std::get<KmsKey>(key).aws_managed()) {
    return AwsError::Client("NotAuthorizedException", "");
  }
  return key;
}

// The key CreateAlias and UpdateAlias point the request's alias at: the alias name checked,
// the TargetKeyId a customer managed key that could be enabled.
std::variant<KmsKey, AwsError> RequestedTarget(const KmsDeps& deps, const object& in) {
  if (auto err = CheckAliasName(GetString(in, "AliasName"))) return *err;
  auto target = AliasTargetKey(deps, GetString(in, "TargetKeyId"));
  if (auto* key = std::get_if<KmsKey>(&target)) {
    if (auto r = model::CheckEnable(*key)) return Refused(*r);
  }
  return target;
}

}  // namespace

Outcome CreateAlias(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "AliasName");
  auto target = RequestedTarget(deps, in);
  if (auto* err = std::get_if<AwsError>(&target)) return *err;
  const KmsKey& key = std::get<KmsKey>(target);
  double now = Now(deps);
  object alias{{"AliasName", name},
               {"AliasArn", AliasArn(deps, name)},
               {"TargetKeyId", key.id()},
               {"CreationDate", now},
               {"LastUpdatedDate", now}};
  std::string k = model::keys::KmsAliasKey(name);
  ASSIGN_OR_FAIL(auto committed, deps.store.Commit({{{k, 0}}, {store::Op::Put(k, Serialize(alias))}}), KmsError);
  if (!committed.succeeded) {
    return AwsError::Client("AlreadyExistsException",
                            "An alias with the name " + AliasArn(deps, name) + " already exists");
  }
  return object{};
}

Outcome DeleteAlias(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "AliasName");
  if (auto err = CheckAliasName(name)) return *err;
  auto deleted = controlplane::UpdateRecord(deps.store, model::keys::KmsAliasKey(name),
                                            [&](std::optional<object>& record) -> store::Decision<Outcome> {
                                              if (!record) return AliasNotFound(deps, name);
                                              record.reset();
                                              return store::Commit(Outcome(object{}));
                                            });
  if (!deleted.ok()) return KmsError(deleted.status());
  if (!*deleted) return TooManyUpdates();
  return std::move(**deleted);
}

Outcome UpdateAlias(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "AliasName");
  auto target = RequestedTarget(deps, in);
  if (auto* err = std::get_if<AwsError>(&target)) return *err;
  const KmsKey& key = std::get<KmsKey>(target);
  double now = Now(deps);
  auto updated = controlplane::UpdateRecord(deps.store, model::keys::KmsAliasKey(name),
                                            [&](std::optional<object>& record) -> store::Decision<Outcome> {
                                              if (!record) return AliasNotFound(deps, name);
                                              (*record)["TargetKeyId"] = key.id();
                                              (*record)["LastUpdatedDate"] = now;
                                              return store::Commit(Outcome(object{}));
                                            });
  if (!updated.ok()) return KmsError(updated.status());
  if (!*updated) return TooManyUpdates();
  return std::move(**updated);
}

Outcome ListAliases(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string key_id;
  if (Has(in, "KeyId")) {
    auto key = FindKey(deps, GetString(in, "KeyId"));
    if (auto* err = std::get_if<AwsError>(&key)) return *err;
    key_id = std::get<KmsKey>(key).id();
  }
  int64_t limit = GetInt(in, "Limit").value_or(100);
  std::string marker = GetString(in, "Marker");
  ASSIGN_OR_FAIL(auto records, controlplane::ReadRecords(deps.store, model::keys::kKmsAliases), KmsError);
  json::array aliases;
  std::string last;
  bool truncated = false;
  for (auto& r : records) {
    std::string name = GetString(r.value, "AliasName");
    if (!key_id.empty() && GetString(r.value, "TargetKeyId") != key_id) continue;
    if (!marker.empty() && name <= marker) continue;
    if (static_cast<int64_t>(aliases.size()) == limit) {
      truncated = true;
      break;
    }
    last = name;
    aliases.push_back(std::move(r.value));
  }
  object out{{"Aliases", std::move(aliases)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = last;
  return out;
}

}  // namespace wharf::api::kms
