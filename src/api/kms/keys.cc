// Keys: create, describe, list, states, deletion, rotation status, policies, tags.
#include <boost/json/array.hpp>
#include <algorithm>

#include "api/kms/handlers.h"
#include "base/crypto.h"
#include "controlplane/records.h"
#include "kms/aes_gcm.h"
#include "kms/root_key.h"
#include "kms/signing.h"
#include "store/update.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

object Empty(const KmsKey&) { return object{}; }

// What CreateKey makes: its KeySpec and KeyUsage (AWS's defaults SYMMETRIC_DEFAULT and
// ENCRYPT_DECRYPT), or why not. Symmetric, HMAC and signing keys are made; RSA encryption and
// key agreement keys are not.
std::variant<std::pair<std::string, std::string>, AwsError> KeySpecAndUsage(const object& in) {
  std::string spec = GetString(in, "KeySpec", GetString(in, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"));
  std::string usage = GetString(in, "KeyUsage", "ENCRYPT_DECRYPT");
  using wharf::kms::SpecKind;
  SpecKind kind = wharf::kms::KindOfSpec(spec);
  auto incompatible = [&] {
    return Validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
  };
  switch (kind) {
    case SpecKind::kSymmetric:
      if (usage != "ENCRYPT_DECRYPT") return incompatible();
      break;
    case SpecKind::kHmac:
      if (usage != "GENERATE_VERIFY_MAC") return incompatible();
      break;
    case SpecKind::kRsa:
      if (usage == "ENCRYPT_DECRYPT") {
        return AwsError::Client("UnsupportedOperationException",
                                "RSA keys for ENCRYPT_DECRYPT are not supported by wharf: use KeyUsage SIGN_VERIFY, "
                                "or a SYMMETRIC_DEFAULT key to encrypt.");
      }
      if (usage != "SIGN_VERIFY") return incompatible();
      break;
    case SpecKind::kEcc:
      if (usage == "KEY_AGREEMENT") {
        return AwsError::Client("UnsupportedOperationException", "KEY_AGREEMENT keys are not supported by wharf.");
      }
      if (usage != "SIGN_VERIFY") return incompatible();
      break;
    case SpecKind::kUnknown:
      return AwsError::Client("UnsupportedOperationException", "KeySpec " + spec + " is not supported by wharf.");
  }
  std::string origin = GetString(in, "Origin", "AWS_KMS");
  if (origin != "AWS_KMS") {
    return AwsError::Client("UnsupportedOperationException",
                            "Origin " + origin + " is not supported by wharf: only AWS_KMS keys are made.");
  }
  if (Has(in, "CustomKeyStoreId")) {
    return AwsError::Client("UnsupportedOperationException", "Custom key stores are not supported by wharf.");
  }
  if (GetBool(in, "MultiRegion").value_or(false)) {
    return AwsError::Client("UnsupportedOperationException", "Multi-Region keys are not supported by wharf.");
  }
  return std::make_pair(spec, usage);
}

// New key material for `spec`: the secret part (to be wrapped) and, for a key pair, the
// public key.
Result<std::pair<std::string, std::string>> NewMaterial(const KmsDeps& deps, const std::string& spec) {
  switch (wharf::kms::KindOfSpec(spec)) {
    case wharf::kms::SpecKind::kHmac:
      return std::make_pair(wharf::kms::RandomBytes(deps.random, wharf::kms::HmacKeyBytes(spec)), std::string());
    case wharf::kms::SpecKind::kRsa:
    case wharf::kms::SpecKind::kEcc: {
      ASSIGN_OR_RETURN(auto pair, wharf::kms::GenerateKeyPair(spec));
      return std::make_pair(std::move(pair.private_der), std::move(pair.public_der));
    }
    default: return std::make_pair(wharf::kms::RandomBytes(deps.random, wharf::kms::kKeyBytes), std::string());
  }
}

Outcome SetEnabled(const KmsDeps& deps, object& in, bool enable) {
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, enable ? "EnableKey" : "DisableKey")) return Refused(*r);
    auto refusal = enable ? model::CheckEnable(key) : model::CheckDisable(key);
    if (refusal) return Refused(*refusal);
    key.SetState(enable ? model::KeyState::kEnabled : model::KeyState::kDisabled);
    return std::nullopt;
  }, Empty);
}

Outcome SetRotation(const KmsDeps& deps, object& in, bool enable) {
  double now = Now(deps);
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, enable ? "EnableKeyRotation" : "DisableKeyRotation")) {
      return Refused(*r);
    }
    if (key.key_spec() != "SYMMETRIC_DEFAULT") {
      return AwsError::Client("UnsupportedOperationException",
                              "Automatic key rotation is supported only on symmetric encryption KMS keys.");
    }
    if (key.state() == model::KeyState::kDisabled) return Refused({model::KmsRefusal::Kind::kDisabled, key.arn() + " is disabled."});
    if (auto r = model::CheckEnable(key)) return Refused(*r);
    if (!enable && Has(in, "RotationPeriodInDays")) {
      return Validation("RotationPeriodInDays is taken only by EnableKeyRotation.");
    }
    bool was = GetBool(key.record, "RotationEnabled").value_or(false);
    key.record["RotationEnabled"] = enable;
    if (enable) {
      int64_t days = GetInt(in, "RotationPeriodInDays").value_or(365);
      if (days < 90 || days > 2560) {
        return Validation("RotationPeriodInDays must be between 90 and 2560 days.");
      }
      key.record["RotationPeriodInDays"] = days;
      // The schedule starts when rotation is turned on (again); a new period on a key that
      // rotates already counts from the same start or last rotation.
      if (!was) key.record["RotationEnabledDate"] = now;
    }
    return std::nullopt;
  }, Empty);
}

std::optional<AwsError> CheckPolicyName(const object& in) {
  std::string name = GetString(in, "PolicyName", "default");
  if (name != "default") return AwsError::Client("NotFoundException", "No such policy exists");
  return std::nullopt;
}

}  // namespace

Outcome CreateKey(const KmsDeps& deps, const RequestContext& ctx, object& in) {
  auto decided = KeySpecAndUsage(in);
  if (auto* err = std::get_if<AwsError>(&decided)) return *err;
  const auto& [spec, usage] = std::get<std::pair<std::string, std::string>>(decided);
  std::string policy = GetString(in, "Policy");
  if (policy.empty()) {
    policy = DefaultKeyPolicy(deps);
  } else if (auto err = CheckKeyPolicy(policy)) {
    return *err;
  }
  json::array tags;
  if (const auto* t = in.if_contains("Tags")) {
    if (auto err = MergeTags(tags, *t)) return *err;
  }
  std::string key_id = RandomUuid(deps.random);
  // The default policy names the account, which defers to IAM: only a given one is checked.
  if (Has(in, "Policy")) {
    if (auto err = CheckPolicyLockout(deps, ctx, in, policy, KeyArn(deps, key_id))) return *err;
  }
  ASSIGN_OR_FAIL(auto material, NewMaterial(deps, spec), KmsError);
  ASSIGN_OR_FAIL(auto root, deps.root_key.Get(), KmsError);
  ASSIGN_OR_FAIL(auto wrapped, wharf::kms::WrapMaterial(root, key_id, 0, material.first, deps.random),
                 KmsError);
  object metadata{{"AWSAccountId", deps.account_id},
                  {"KeyId", key_id},
                  {"Arn", KeyArn(deps, key_id)},
                  {"CreationDate", Now(deps)},
                  {"Enabled", true},
                  {"Description", GetString(in, "Description")},
                  {"KeyUsage", usage},
                  {"KeyState", "Enabled"},
                  {"Origin", "AWS_KMS"},
                  {"KeyManager", "CUSTOMER"},
                  {"CustomerMasterKeySpec", spec},
                  {"KeySpec", spec},
                  {"MultiRegion", false}};
  switch (wharf::kms::KindOfSpec(spec)) {
    case wharf::kms::SpecKind::kHmac:
      metadata["MacAlgorithms"] = json::array{json::string(wharf::kms::MacAlgorithmOf(spec))};
      break;
    case wharf::kms::SpecKind::kRsa:
    case wharf::kms::SpecKind::kEcc: {
      json::array algorithms;
      for (const auto& a : wharf::kms::SigningAlgorithmsOf(spec)) algorithms.emplace_back(a);
      metadata["SigningAlgorithms"] = std::move(algorithms);
      break;
    }
    default: metadata["EncryptionAlgorithms"] = json::array{"SYMMETRIC_DEFAULT"};
  }
  object record{{"KeyMetadata", metadata},
                {"Material", json::array{json::string(Base64Encode(wrapped))}},
                {"Policy", policy},
                {"Tags", std::move(tags)},
                {"RotationEnabled", false},
                {"Grants", json::array{}}};
  if (!material.second.empty()) record["PublicKey"] = Base64Encode(material.second);
  std::string key = model::keys::KmsKeyKey(key_id);
  ASSIGN_OR_FAIL(auto committed, deps.store.Commit({{{key, 0}}, {store::Op::Put(key, Serialize(record))}}), KmsError);
  if (!committed.succeeded) return TooManyUpdates();
  return object{{"KeyMetadata", std::move(metadata)}};
}

Outcome DescribeKey(const KmsDeps& deps, const RequestContext&, object& in) {
  auto key = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&key)) return *err;
  const KmsKey& k = std::get<KmsKey>(key);
  object metadata = k.metadata();
  if (k.key_spec() == "SYMMETRIC_DEFAULT") metadata["CurrentKeyMaterialId"] = KeyMaterialId(k, k.current_version());
  return object{{"KeyMetadata", std::move(metadata)}};
}

Outcome ListKeys(const KmsDeps& deps, const RequestContext&, object& in) {
  int64_t limit = GetInt(in, "Limit").value_or(100);
  std::string marker = GetString(in, "Marker");
  ASSIGN_OR_FAIL(auto records, controlplane::ReadRecords(deps.store, model::keys::kKmsKeys), KmsError);
  double now = Now(deps);
  json::array keys;
  std::string last;
  bool truncated = false;
  for (auto& r : records) {
    auto key = KmsKey::FromRecord(std::move(r.value), r.mod_revision);
    if (!key.ok() || key->Deleted(now)) continue;
    if (!marker.empty() && key->id() <= marker) continue;
    if (static_cast<int64_t>(keys.size()) == limit) {
      truncated = true;
      break;
    }
    last = key->id();
    keys.push_back(object{{"KeyId", key->id()}, {"KeyArn", key->arn()}});
  }
  object out{{"Keys", std::move(keys)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = last;
  return out;
}

Outcome UpdateKeyDescription(const KmsDeps& deps, const RequestContext&, object& in) {
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, "UpdateKeyDescription")) return Refused(*r);
    key.metadata()["Description"] = GetString(in, "Description");
    return std::nullopt;
  }, Empty);
}

Outcome EnableKey(const KmsDeps& deps, const RequestContext&, object& in) { return SetEnabled(deps, in, true); }
Outcome DisableKey(const KmsDeps& deps, const RequestContext&, object& in) { return SetEnabled(deps, in, false); }

Outcome ScheduleKeyDeletion(const KmsDeps& deps, const RequestContext&, object& in) {
  int64_t days = GetInt(in, "PendingWindowInDays").value_or(30);
  double now = Now(deps);
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, "ScheduleKeyDeletion")) return Refused(*r);
    if (auto r = model::CheckScheduleDeletion(key, days)) return Refused(*r);
    model::ScheduleDeletion(key, days, now);
    return std::nullopt;
  }, [&](const KmsKey& key) {
    return object{{"KeyId", key.arn()},
                  {"DeletionDate", *key.deletion_date()},
                  {"KeyState", "PendingDeletion"},
                  {"PendingWindowInDays", days}};
  });
}

Outcome CancelKeyDeletion(const KmsDeps& deps, const RequestContext&, object& in) {
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCancelDeletion(key)) return Refused(*r);
    model::CancelDeletion(key);
    return std::nullopt;
  }, [](const KmsKey& key) { return object{{"KeyId", key.arn()}}; });
}

Outcome EnableKeyRotation(const KmsDeps& deps, const RequestContext&, object& in) { return SetRotation(deps, in, true); }
Outcome DisableKeyRotation(const KmsDeps& deps, const RequestContext&, object& in) {
  return SetRotation(deps, in, false);
}

Outcome GetKeyRotationStatus(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const KmsKey& key = std::get<KmsKey>(found);
  if (auto r = model::CheckEnable(key)) return Refused(*r);
  bool enabled = GetBool(key.record, "RotationEnabled").value_or(false);
  object out{{"KeyRotationEnabled", enabled}, {"KeyId", key.id()}};
  if (enabled) {
    out["RotationPeriodInDays"] = GetInt(key.record, "RotationPeriodInDays").value_or(365);
    if (auto next = model::NextRotationDate(key)) out["NextRotationDate"] = *next;
  }
  return out;
}

Outcome GetKeyPolicy(const KmsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckPolicyName(in)) return *err;
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  return object{{"Policy", GetString(std::get<KmsKey>(found).record, "Policy")}, {"PolicyName", "default"}};
}

Outcome PutKeyPolicy(const KmsDeps& deps, const RequestContext& ctx, object& in) {
  if (auto err = CheckPolicyName(in)) return *err;
  std::string policy = GetString(in, "Policy");
  if (auto err = CheckKeyPolicy(policy)) return *err;
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, "PutKeyPolicy")) return Refused(*r);
    if (auto err = CheckPolicyLockout(deps, ctx, in, policy, key.arn())) return err;
    key.record["Policy"] = policy;
    return std::nullopt;
  }, Empty);
}

Outcome ListKeyPolicies(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  return object{{"PolicyNames", json::array{"default"}}, {"Truncated", false}};
}

Outcome TagResource(const KmsDeps& deps, const RequestContext&, object& in) {
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, "TagResource")) return Refused(*r);
    if (auto r = model::CheckEnable(key)) return Refused(*r);
    json::array tags = GetArray(key.record, "Tags");
    if (auto err = MergeTags(tags, in["Tags"])) return err;
    key.record["Tags"] = std::move(tags);
    return std::nullopt;
  }, Empty);
}

Outcome UntagResource(const KmsDeps& deps, const RequestContext&, object& in) {
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckCustomerManaged(key, "UntagResource")) return Refused(*r);
    if (auto r = model::CheckEnable(key)) return Refused(*r);
    json::array kept;
    const json::array& remove = GetArray(in, "TagKeys");
    for (const auto& t : GetArray(key.record, "Tags")) {
      if (!t.is_object()) continue;
      json::string k(GetString(t.as_object(), "TagKey"));
      if (std::find(remove.begin(), remove.end(), json::value(k)) == remove.end()) kept.push_back(t);
    }
    key.record["Tags"] = std::move(kept);
    return std::nullopt;
  }, Empty);
}

Outcome ListResourceTags(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  return object{{"Tags", GetArray(std::get<KmsKey>(found).record, "Tags")}, {"Truncated", false}};
}

}  // namespace wharf::api::kms

namespace wharf::api::kms {

// New material becomes the current version; blobs name the version that sealed them, so older
// ciphertexts still decrypt.
Outcome RotateKeyOnDemand(const KmsDeps& deps, const RequestContext&, object& in) {
  auto root = deps.root_key.Get();
  if (!root.ok()) return KmsError(root.status());
  double now = Now(deps);
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (key.key_spec() != "SYMMETRIC_DEFAULT") {
      return AwsError::Client("UnsupportedOperationException",
                              "On-demand rotation is supported only on symmetric encryption KMS keys.");
    }
    if (auto r = model::CheckCustomerManaged(key, "RotateKeyOnDemand")) return Refused(*r);
    if (key.state() == model::KeyState::kDisabled) {
      return Refused({model::KmsRefusal::Kind::kDisabled, key.arn() + " is disabled."});
    }
    if (auto r = model::CheckEnable(key)) return Refused(*r);
    if (model::OnDemandRotations(key) >= model::kMaxOnDemandRotations) {
      return AwsError::Client("LimitExceededException",
                              "You have exceeded the maximum number of on-demand rotations (" +
                                  std::to_string(model::kMaxOnDemandRotations) + ") for " + key.arn() + ".");
    }
    if (auto err = AddMaterial(deps, key, *root)) return err;
    model::RecordRotation(key, now, "ON_DEMAND", key.current_version());
    return std::nullopt;
  }, [](const KmsKey& key) { return object{{"KeyId", key.id()}}; });
}

namespace {

object RotationEntry(const KmsKey& key, uint32_t version) {
  return object{{"KeyId", key.id()},
                {"KeyMaterialId", KeyMaterialId(key, version)},
                {"KeyMaterialState", version == key.current_version() ? "CURRENT" : "NON_CURRENT"}};
}

}  // namespace

Outcome ListKeyRotations(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const KmsKey& key = std::get<KmsKey>(found);
  if (key.key_spec() != "SYMMETRIC_DEFAULT") {
    return AwsError::Client("UnsupportedOperationException",
                            "Key rotations are listed only for symmetric encryption KMS keys.");
  }
  size_t limit = static_cast<size_t>(GetInt(in, "Limit").value_or(100));
  size_t start = 0;
  if (Has(in, "Marker")) {
    std::string marker = GetString(in, "Marker");
    if (marker.empty() || marker.find_first_not_of("0123456789") != std::string::npos) {
      return AwsError::Client("InvalidMarkerException", "Invalid marker.");
    }
    start = std::stoul(marker);
  }
  std::string include = GetString(in, "IncludeKeyMaterial", "ROTATIONS_ONLY");
  if (include != "ROTATIONS_ONLY" && include != "ALL_KEY_MATERIAL") {
    return Validation("IncludeKeyMaterial must be ALL_KEY_MATERIAL or ROTATIONS_ONLY.");
  }
  // Each rotation with the material it made; ALL_KEY_MATERIAL puts the first material first.
  json::array all;
  if (include == "ALL_KEY_MATERIAL") all.push_back(RotationEntry(key, 0));
  const json::array& recorded = GetArray(key.record, "Rotations");
  for (size_t n = 0; n < recorded.size(); ++n) {
    if (!recorded[n].is_object()) continue;
    const object& r = recorded[n].as_object();
    // Records older than "MaterialVersion" were on-demand rotations made one per version.
    uint32_t version = static_cast<uint32_t>(GetInt(r, "MaterialVersion").value_or(static_cast<int64_t>(n) + 1));
    object entry = RotationEntry(key, version);
    entry["RotationDate"] = r.at("RotationDate");
    entry["RotationType"] = GetString(r, "RotationType");
    all.push_back(std::move(entry));
  }
  json::array rotations;
  size_t i = start;
  for (; i < all.size() && rotations.size() < limit; ++i) rotations.push_back(all[i]);
  object out{{"Rotations", std::move(rotations)}, {"Truncated", i < all.size()}};
  if (i < all.size()) out["NextMarker"] = std::to_string(i);
  return out;
}

}  // namespace wharf::api::kms
