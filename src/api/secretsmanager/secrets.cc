// Secrets: create, describe, list, update, delete with a recovery window, restore.
#include <boost/json/array.hpp>
#include <algorithm>
#include <cctype>

#include "api/secretsmanager/handlers.h"
#include "base/crypto.h"
#include "controlplane/records.h"
#include "store/update.h"

namespace wharf::api::secretsmanager {
namespace json = boost::json;
namespace {

std::string ArnSuffix(Random& random) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 6; ++i) out.push_back(kChars[random.Next() % kChars.size()]);
  return out;
}

std::optional<AwsError> CheckName(const std::string& name) {
  bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/_+=.@-").find(c) != std::string_view::npos;
  });
  if (!valid) {
    return InvalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
                            "following: -/_+=.@!");
  }
  return std::nullopt;
}

std::optional<AwsError> CheckOneValue(const object& in) {
  if (Has(in, "SecretString") && Has(in, "SecretBinary")) {
    return InvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (Has(in, "SecretBinary") && !Base64Decode(GetString(in, "SecretBinary"))) {
    return InvalidParameter("SecretBinary is not valid base64.");
  }
  return std::nullopt;
}

// The version id a request gives (ClientRequestToken) or a new one.
std::string VersionIdOf(const SecretsDeps& deps, const object& in) {
  std::string token = GetString(in, "ClientRequestToken");
  return token.empty() ? RandomUuid(deps.random) : token;
}

std::optional<AwsError> MergeTags(json::array& into, const json::array& tags) {
  for (const auto& t : tags) {
    if (!t.is_object()) continue;
    std::string k = GetString(t.as_object(), "Key");
    if (k.starts_with("aws:")) return InvalidParameter("Invalid tag key: tags beginning with aws: are reserved.");
    auto same = std::find_if(into.begin(), into.end(),
                             [&](const json::value& e) { return e.is_object() && GetString(e.as_object(), "Key") == k; });
    if (same != into.end()) {
      *same = t;
    } else {
      into.push_back(t);
    }
  }
  if (into.size() > 50) return InvalidParameter("Number of tags exceeds Secrets Manager's limit of 50 tags.");
  return std::nullopt;
}

object VersionsToStages(const Secret& s) {
  object out;
  for (const auto& v : s.versions) {
    if (v.stages.empty()) continue;
    json::array stages;
    for (const auto& st : v.stages) stages.emplace_back(st);
    out[v.id] = std::move(stages);
  }
  return out;
}

// What DescribeSecret and ListSecrets show of a secret.
object Describe(const Secret& s, bool list_entry) {
  object out{{"ARN", s.arn}, {"Name", s.name}};
  if (!s.description.empty()) out["Description"] = s.description;
  if (!s.kms_key_id.empty()) out["KmsKeyId"] = s.kms_key_id;
  out["RotationEnabled"] = false;
  out["LastChangedDate"] = s.last_changed;
  if (s.last_accessed) out["LastAccessedDate"] = *s.last_accessed;
  if (s.deleted) out["DeletedDate"] = *s.deleted;
  if (!s.tags.empty()) out["Tags"] = s.tags;
  out[list_entry ? "SecretVersionsToStages" : "VersionIdsToStages"] = VersionsToStages(s);
  out["CreatedDate"] = s.created;
  return out;
}

}  // namespace

Outcome CreateSecret(const SecretsDeps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "Name");
  if (auto err = CheckName(name)) return *err;
  if (auto err = CheckOneValue(in)) return *err;
  if (Has(in, "AddReplicaRegions")) {
    return InvalidRequest("wharf does not replicate secrets to other Regions: AddReplicaRegions is not supported.");
  }
  double now = Now(deps);
  Secret secret;
  secret.name = name;
  secret.arn = "arn:aws:secretsmanager:" + deps.region + ":" + deps.account_id + ":secret:" + name + "-" +
               ArnSuffix(deps.random);
  secret.description = GetString(in, "Description");
  secret.kms_key_id = GetString(in, "KmsKeyId");
  secret.created = secret.last_changed = now;
  if (auto err = MergeTags(secret.tags, GetArray(in, "Tags"))) return *err;
  if (!secret.kms_key_id.empty()) {
    auto arn = kms::KeyArnOf(deps.kms, secret.kms_key_id);
    if (auto* err = std::get_if<AwsError>(&arn)) return InvalidParameter(err->message);
  }
  std::string version_id;
  if (RequestValue(in)) {
    version_id = VersionIdOf(deps, in);
    auto version = SealVersion(deps, secret, version_id, in);
    if (auto* err = std::get_if<AwsError>(&version)) return *err;
    model::AddVersion(secret, std::move(std::get<SecretVersion>(version)), {});
  }
  auto created = controlplane::UpdateRecord(
      deps.store, model::keys::SecretKey(name), [&](std::optional<object>& record) -> store::Decision<Outcome> {
        if (record) {
          auto existing = Secret::FromJson(*record);
          if (!existing.ok()) return SecretsError(existing.status());
          if (!existing->Gone(now)) {
            if (existing->pending_deletion()) {
              return InvalidRequest("You can't create this secret because a secret with this name is already "
                                    "scheduled for deletion.");
            }
            return AwsError::Client("ResourceExistsException",
                                    "The operation failed because the secret " + name + " already exists.");
          }
        }
        record = secret.ToJson();
        object out{{"ARN", secret.arn}, {"Name", secret.name}};
        if (!version_id.empty()) out["VersionId"] = version_id;
        return store::Commit(Outcome(std::move(out)));
      });
  if (!created.ok()) return SecretsError(created.status());
  if (!*created) return TooManyUpdates();
  return std::move(**created);
}

Outcome DescribeSecret(const SecretsDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  return Describe(std::get<StoredSecret>(loaded).secret, false);
}

Outcome ListSecrets(const SecretsDeps& deps, const RequestContext&, object& in) {
  int64_t max = GetInt(in, "MaxResults").value_or(100);
  bool include_deleted = GetBool(in, "IncludePlannedDeletion").value_or(false);
  const json::array& filters = GetArray(in, "Filters");
  ASSIGN_OR_FAIL(auto records, controlplane::ReadRecords(deps.store, model::keys::kSecrets), SecretsError);
  double now = Now(deps);
  std::vector<Secret> secrets;
  for (const auto& r : records) {
    auto s = Secret::FromJson(r.value);
    if (!s.ok() || s->Gone(now) || (s->pending_deletion() && !include_deleted)) continue;
    if (!MatchesFilters(*s, filters)) continue;
    secrets.push_back(std::move(*s));
  }
  bool desc = GetString(in, "SortOrder") == "desc";
  std::stable_sort(secrets.begin(), secrets.end(), [desc](const Secret& a, const Secret& b) {
    return desc ? a.created > b.created : a.created < b.created;
  });
  auto page_start = PageStart(in);
  if (auto* err = std::get_if<AwsError>(&page_start)) return *err;
  size_t start = std::get<size_t>(page_start);
  json::array list;
  for (size_t i = start; i < secrets.size() && static_cast<int64_t>(list.size()) < max; ++i) {
    list.push_back(Describe(secrets[i], true));
  }
  object out{{"SecretList", std::move(list)}};
  if (start + static_cast<size_t>(max) < secrets.size()) out["NextToken"] = PageToken(start + static_cast<size_t>(max));
  return out;
}

Outcome UpdateSecret(const SecretsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckOneValue(in)) return *err;
  std::string kms_key = GetString(in, "KmsKeyId");
  if (!kms_key.empty()) {
    auto arn = kms::KeyArnOf(deps.kms, kms_key);
    if (auto* err = std::get_if<AwsError>(&arn)) return InvalidParameter(err->message);
  }
  std::string version_id = RequestValue(in) ? VersionIdOf(deps, in) : "";
  double now = Now(deps);
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    if (Has(in, "Description")) s.description = GetString(in, "Description");
    if (Has(in, "KmsKeyId")) s.kms_key_id = kms_key;
    if (!version_id.empty()) {
      if (s.FindVersion(version_id)) {
        return AwsError::Client("ResourceExistsException",
                                "You can't modify an existing version, you can only create a new version.");
      }
      auto version = SealVersion(deps, s, version_id, in);
      if (auto* err = std::get_if<AwsError>(&version)) return *err;
      model::AddVersion(s, std::move(std::get<SecretVersion>(version)), {});
    }
    s.last_changed = now;
    return std::nullopt;
  }, [&](const Secret& s) {
    object out{{"ARN", s.arn}, {"Name", s.name}};
    if (!version_id.empty()) out["VersionId"] = version_id;
    return out;
  });
}

Outcome DeleteSecret(const SecretsDeps& deps, const RequestContext&, object& in) {
  bool force = GetBool(in, "ForceDeleteWithoutRecovery").value_or(false);
  if (force && Has(in, "RecoveryWindowInDays")) {
    return InvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  int64_t days = GetInt(in, "RecoveryWindowInDays").value_or(30);
  if (!force && (days < 7 || days > 30)) {
    return InvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const StoredSecret& stored = std::get<StoredSecret>(loaded);
  double now = Now(deps);
  if (force) {
    ASSIGN_OR_FAIL(auto committed,
                   deps.store.Commit({{{stored.key, stored.mod_revision}}, {store::Op::Delete(stored.key)}}),
                   SecretsError);
    if (!committed.succeeded) return TooManyUpdates();
    return object{{"ARN", stored.secret.arn}, {"Name", stored.secret.name}, {"DeletionDate", now}};
  }
  double deletion_date = now + static_cast<double>(days) * 86400.0;
  return ChangeSecret(deps, stored.secret.arn, [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    s.deleted = now;
    s.deletion_date = deletion_date;
    return std::nullopt;
  }, [&](const Secret& s) {
    return object{{"ARN", s.arn}, {"Name", s.name}, {"DeletionDate", *s.deletion_date}};
  });
}

Outcome RestoreSecret(const SecretsDeps& deps, const RequestContext&, object& in) {
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    s.deleted.reset();
    s.deletion_date.reset();
    return std::nullopt;
  }, [](const Secret& s) { return object{{"ARN", s.arn}, {"Name", s.name}}; });
}

}  // namespace wharf::api::secretsmanager
