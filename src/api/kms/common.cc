#include "api/kms/common.h"

#include <boost/json/array.hpp>
#include <algorithm>
#include <set>

#include "base/crypto.h"
#include "controlplane/records.h"
#include "iam/evaluate.h"
#include "iam/policy.h"
#include "kms/aes_gcm.h"
#include "kms/root_key.h"
#include "store/update.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

// The services whose AWS managed key is made on first use, with the description AWS gives it.
struct ManagedKey {
  std::string_view service;
  std::string_view description;
};
constexpr ManagedKey kManagedKeys[] = {
    {"secretsmanager", "Default key that protects my Secrets Manager data when no other key is defined"},
    {"ssm", "Default key that protects my SSM parameters when no other key is defined"},
    {"ecr", "Default key that protects my ECR data when no other key is defined"},
    {"logs", "Default key that protects my CloudWatch Logs data when no other key is defined"},
    {"ebs", "Default key that protects my EBS volumes when no other key is defined"},
    {"s3", "Default key that protects my S3 objects when no other key is defined"},
};

const ManagedKey* ManagedKeyOf(std::string_view alias_name) {
  for (const auto& m : kManagedKeys) {
    if (alias_name == "alias/aws/" + std::string(m.service)) return &m;
  }
  return nullptr;
}

// Makes the AWS managed key behind `alias_name` and its alias in one write; answers the key
// id (another request's, if it made it first).
std::variant<std::string, AwsError> MakeManagedKey(const KmsDeps& deps, const std::string& alias_name,
                                                   const ManagedKey& managed) {
  std::string key_id = RandomUuid(deps.random);
  std::string material = wharf::kms::RandomBytes(deps.random, wharf::kms::kKeyBytes);
  auto root = deps.root_key.Get();
  if (!root.ok()) return KmsError(root.status());
  auto wrapped = wharf::kms::WrapMaterial(*root, key_id, 0, material, deps.random);
  if (!wrapped.ok()) return KmsError(wrapped.status());
  double now = Now(deps);
  json::object metadata{{"AWSAccountId", deps.account_id},
                        {"KeyId", key_id},
                        {"Arn", KeyArn(deps, key_id)},
                        {"CreationDate", now},
                        {"Enabled", true},
                        {"Description", managed.description},
                        {"KeyUsage", "ENCRYPT_DECRYPT"},
                        {"KeyState", "Enabled"},
                        {"Origin", "AWS_KMS"},
                        {"KeyManager", "AWS"},
                        {"CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"},
                        {"KeySpec", "SYMMETRIC_DEFAULT"},
                        {"EncryptionAlgorithms", json::array{"SYMMETRIC_DEFAULT"}},
                        {"MultiRegion", false}};
  json::object record{{"KeyMetadata", std::move(metadata)},
                      {"Material", json::array{json::string(Base64Encode(*wrapped))}},
                      {"Policy", DefaultKeyPolicy(deps)},
                      {"RotationEnabled", true},
                      {"RotationPeriodInDays", 365}};
  json::object alias{{"AliasName", alias_name},
                     {"AliasArn", AliasArn(deps, alias_name)},
                     {"TargetKeyId", key_id},
                     {"CreationDate", now},
                     {"LastUpdatedDate", now}};
  std::string alias_key = model::keys::KmsAliasKey(alias_name);
  auto made = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<std::string>> {
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, alias_key));
    if (existing) return store::Decision<std::string>(GetString(*existing, "TargetKeyId"));
    controlplane::PutRecord(draft, model::keys::KmsKeyKey(key_id), record);
    controlplane::PutRecord(draft, alias_key, alias);
    return store::Decision<std::string>(store::Commit(key_id));
  });
  if (!made.ok()) return KmsError(made.status());
  if (!*made) return TooManyUpdates();
  return **made;
}

std::variant<std::string, AwsError> AliasTarget(const KmsDeps& deps, const std::string& alias_name) {
  auto record = controlplane::ReadRecord(deps.store, model::keys::KmsAliasKey(alias_name));
  if (!record.ok()) return KmsError(record.status());
  if (*record) return GetString((*record)->value, "TargetKeyId");
  if (const ManagedKey* managed = ManagedKeyOf(alias_name)) return MakeManagedKey(deps, alias_name, *managed);
  return AliasNotFound(deps, alias_name);
}

}  // namespace

AwsError KmsError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return AwsError::Client("NotFoundException", status.message());
    case Status::Code::kInvalidArgument: return Validation(status.message());
    case Status::Code::kAlreadyExists: return AwsError::Client("AlreadyExistsException", status.message());
    default: return AwsError::Server("KMSInternalException", status.message());
  }
}

AwsError Refused(const model::KmsRefusal& refusal) {
  using Kind = model::KmsRefusal::Kind;
  switch (refusal.kind) {
    case Kind::kDisabled: return AwsError::Client("DisabledException", refusal.message);
    case Kind::kInvalidState: return AwsError::Client("KMSInvalidStateException", refusal.message);
    case Kind::kNotFound: return AwsError::Client("NotFoundException", refusal.message);
    case Kind::kInvalidArgument: return Validation(refusal.message);
    case Kind::kUnsupported: return AwsError::Client("UnsupportedOperationException", refusal.message);
  }
  return Validation(refusal.message);
}

AwsError Validation(std::string message) { return AwsError::Client("ValidationException", std::move(message)); }

AwsError KeyNotFound(const KmsDeps& deps, std::string_view key_id) {
  return AwsError::Client("NotFoundException", "Key '" + KeyArn(deps, key_id) + "' does not exist");
}

AwsError AliasNotFound(const KmsDeps& deps, std::string_view alias_name) {
  return AwsError::Client("NotFoundException", "Alias " + AliasArn(deps, alias_name) + " is not found.");
}

AwsError TooManyUpdates() {
  return AwsError::Server("KMSInternalException", "Too many concurrent updates to the same key; retry.");
}

double Now(const KmsDeps& deps) { return EpochSeconds(deps.clock.Now()); }

std::string KeyArn(const KmsDeps& deps, std::string_view key_id) {
  return "arn:aws:kms:" + deps.region + ":" + deps.account_id + ":key/" + std::string(key_id);
}

std::string AliasArn(const KmsDeps& deps, std::string_view alias_name) {
  return "arn:aws:kms:" + deps.region + ":" + deps.account_id + ":" + std::string(alias_name);
}

std::variant<std::string, AwsError> ResolveKeyId(const KmsDeps& deps, std::string_view key_ref) {
  std::string ref(key_ref);
  if (ref.starts_with("arn:")) {
    std::string prefix = "arn:aws:kms:" + deps.region + ":" + deps.account_id + ":";
    if (!ref.starts_with(prefix)) return AwsError::Client("NotFoundException", "Invalid arn " + ref);
    ref = ref.substr(prefix.size());
    if (ref.starts_with("key/")) return ref.substr(4);
    if (!ref.starts_with("alias/")) return AwsError::Client("NotFoundException", "Invalid arn " + std::string(key_ref));
  }
  if (ref.starts_with("alias/")) return AliasTarget(deps, ref);
  if (ref.empty() || ref.size() > wharf::kms::kMaxKeyIdBytes || ref.find('/') != std::string::npos) {
    return AwsError::Client("NotFoundException", "Invalid keyId '" + ref + "'");
  }
  return ref;
}

std::string KeyMaterialId(const KmsKey& key, uint32_t version) {
  return HexEncode(Sha256("wharf kms key material:" + key.id() + ":" + std::to_string(version)));
}

std::optional<AwsError> AddMaterial(const KmsDeps& deps, KmsKey& key, std::string_view root_key) {
  uint32_t version = key.current_version() + 1;
  std::string material = wharf::kms::RandomBytes(deps.random, wharf::kms::kKeyBytes);
  auto wrapped = wharf::kms::WrapMaterial(root_key, key.id(), version, material, deps.random);
  if (!wrapped.ok()) return KmsError(wrapped.status());
  json::array materials = GetArray(key.record, "Material");
  materials.emplace_back(Base64Encode(*wrapped));
  key.record["Material"] = std::move(materials);
  return std::nullopt;
}

namespace {

std::variant<KmsKey, AwsError> ReadKey(const KmsDeps& deps, std::string_view key_id) {
  auto record = controlplane::ReadRecord(deps.store, model::keys::KmsKeyKey(key_id));
  if (!record.ok()) return KmsError(record.status());
  if (!*record) return KeyNotFound(deps, key_id);
  auto key = KmsKey::FromRecord(std::move((*record)->value), (*record)->mod_revision);
  if (!key.ok()) return KmsError(key.status());
  if (key->Deleted(Now(deps))) return KeyNotFound(deps, key_id);
  return std::move(*key);
}

}  // namespace

std::variant<KmsKey, AwsError> LoadKey(const KmsDeps& deps, std::string_view key_id) {
  auto key = ReadKey(deps, key_id);
  double now = Now(deps);
  auto* loaded = std::get_if<KmsKey>(&key);
  if (!loaded || model::DueRotations(*loaded, now).empty()) return key;
  auto root = deps.root_key.Get();
  if (!root.ok()) return KmsError(root.status());
  // Decided again on the record as it is at the write: a concurrent use may have rotated it.
  Outcome rotated = UpdateKey(deps, key_id, [&](KmsKey& k) -> std::optional<AwsError> {
    for (double date : model::DueRotations(k, now)) {
      if (auto err = AddMaterial(deps, k, *root)) return err;
      model::RecordRotation(k, date, "AUTOMATIC", k.current_version());
    }
    return std::nullopt;
  }, [](const KmsKey&) { return object{}; });
  if (!rotated.ok()) return rotated.error();
  return ReadKey(deps, key_id);
}

std::variant<KmsKey, AwsError> FindKey(const KmsDeps& deps, std::string_view key_ref) {
  auto id = ResolveKeyId(deps, key_ref);
  if (auto* err = std::get_if<AwsError>(&id)) return *err;
  return LoadKey(deps, std::get<std::string>(id));
}

Outcome UpdateKey(const KmsDeps& deps, std::string_view key_ref,
                  const std::function<std::optional<AwsError>(KmsKey& key)>& change,
                  const std::function<object(const KmsKey& key)>& answer) {
  auto id = ResolveKeyId(deps, key_ref);
  if (auto* err = std::get_if<AwsError>(&id)) return *err;
  const std::string& key_id = std::get<std::string>(id);
  double now = Now(deps);
  auto updated = controlplane::UpdateRecord(
      deps.store, model::keys::KmsKeyKey(key_id), [&](std::optional<object>& record) -> store::Decision<Outcome> {
        if (!record) return KeyNotFound(deps, key_id);
        auto key = KmsKey::FromRecord(std::move(*record), 0);
        if (!key.ok()) return KmsError(key.status());
        if (key->Deleted(now)) return KeyNotFound(deps, key_id);
        std::optional<AwsError> err = change(*key);
        record = std::move(key->record);
        if (err) return *err;
        KmsKey changed{*record, 0};
        return store::Commit(Outcome(answer(changed)));
      });
  if (!updated.ok()) return KmsError(updated.status());
  if (!*updated) return TooManyUpdates();
  return std::move(**updated);
}

std::optional<AwsError> CheckKeyUsage(const KmsKey& key, std::string_view usage) {
  std::string actual = GetString(key.metadata(), "KeyUsage", "ENCRYPT_DECRYPT");
  if (actual == usage) return std::nullopt;
  return AwsError::Client("InvalidKeyUsageException", "The operation failed because the KeyUsage value of the KMS key "
                                                      "is " + actual + ". To perform this operation, the KeyUsage "
                                                      "value must be " + std::string(usage) + ".");
}

std::variant<std::string, AwsError> KeyMaterial(const KmsDeps& deps, const KmsKey& key, uint32_t version) {
  std::string wrapped = key.wrapped_material(version);
  auto bytes = Base64Decode(wrapped);
  if (wrapped.empty() || !bytes) return AwsError::Client("InvalidCiphertextException", "");
  auto root = deps.root_key.Get();
  if (!root.ok()) return KmsError(root.status());
  auto material = wharf::kms::UnwrapMaterial(*root, key.id(), version, *bytes);
  if (!material.ok()) {
    return AwsError::Server("KMSInternalException",
                            "The key material of " + key.arn() + " does not unwrap with this server's root key.");
  }
  return std::move(*material);
}

EncryptionContext ContextOf(const object& in, std::string_view member) {
  EncryptionContext context;
  for (const auto& [k, v] : GetObject(in, member)) {
    if (v.is_string()) context[std::string(k)] = std::string(v.as_string());
  }
  return context;
}

std::variant<std::string, AwsError> BlobMember(const object& in, std::string_view member) {
  auto bytes = Base64Decode(GetString(in, member));
  if (!bytes) return AwsError::Client("SerializationException", "Could not base64-decode " + std::string(member));
  return std::move(*bytes);
}

std::string DefaultKeyPolicy(const KmsDeps& deps) {
  json::object statement{{"Sid", "Enable IAM User Permissions"},
                         {"Effect", "Allow"},
                         {"Principal", json::object{{"AWS", "arn:aws:iam::" + deps.account_id + ":root"}}},
                         {"Action", "kms:*"},
                         {"Resource", "*"}};
  return Serialize(json::object{{"Version", "2012-10-17"},
                                {"Id", "key-default-1"},
                                {"Statement", json::array{std::move(statement)}}});
}

std::optional<AwsError> CheckKeyPolicy(std::string_view policy) {
  auto parsed = wharf::iam::ParsePolicy(policy, {wharf::iam::PolicyKind::kResource});
  if (!parsed.ok()) return AwsError::Client("MalformedPolicyDocumentException", parsed.status().message());
  return std::nullopt;
}

std::optional<AwsError> MergeTags(json::array& into, const json::value& tags) {
  if (!tags.is_array()) return std::nullopt;
  for (const auto& t : tags.as_array()) {
    if (!t.is_object()) continue;
    std::string k = GetString(t.as_object(), "TagKey");
    if (k.starts_with("aws:")) {
      return AwsError::Client("TagException", "Tags beginning with aws: are reserved");
    }
    auto same = std::find_if(into.begin(), into.end(), [&](const json::value& e) {
      return e.is_object() && GetString(e.as_object(), "TagKey") == k;
    });
    if (same != into.end()) {
      *same = t;
    } else {
      into.push_back(t);
    }
  }
  if (into.size() > 50) return AwsError::Client("TagException", "Too many tags: a key can have at most 50.");
  return std::nullopt;
}

}  // namespace wharf::api::kms
