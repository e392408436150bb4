#include "model/kms.h"

#include <boost/json/array.hpp>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kEnabled: return "Enabled";
    case KeyState::kDisabled: return "Disabled";
    case KeyState::kPendingDeletion: return "PendingDeletion";
  }
  return "Enabled";
}

Result<KmsKey> KmsKey::FromRecord(json::object record, int64_t mod_revision) {
  if (!record.contains("KeyMetadata") || !record.at("KeyMetadata").is_object()) {
    return Status::Internal("KMS key record without KeyMetadata");
  }
  return KmsKey{std::move(record), mod_revision};
}

json::object& KmsKey::metadata() { return record.at("KeyMetadata").as_object(); }
const json::object& KmsKey::metadata() const { return record.at("KeyMetadata").as_object(); }
std::string KmsKey::id() const { return GetString(metadata(), "KeyId"); }
std::string KmsKey::arn() const { return GetString(metadata(), "Arn"); }

KeyState KmsKey::state() const {
  std::string s = GetString(metadata(), "KeyState");
  if (s == "Disabled") return KeyState::kDisabled;
  if (s == "PendingDeletion") return KeyState::kPendingDeletion;
  return KeyState::kEnabled;
}

bool KmsKey::aws_managed() const { return GetString(metadata(), "KeyManager") == "AWS"; }
std::string KmsKey::key_spec() const { return GetString(metadata(), "KeySpec", "SYMMETRIC_DEFAULT"); }

std::optional<double> KmsKey::deletion_date() const {
  if (state() != KeyState::kPendingDeletion) return std::nullopt;
  const auto* v = metadata().if_contains("DeletionDate");
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

bool KmsKey::Deleted(double now) const {
  auto date = deletion_date();
  return date && now >= *date;
}

uint32_t KmsKey::current_version() const {
  const auto& m = GetArray(record, "Material");
  return m.empty() ? 0 : static_cast<uint32_t>(m.size() - 1);
}

std::string KmsKey::wrapped_material(uint32_t version) const {
  const auto& m = GetArray(record, "Material");
  if (version >= m.size() || !m[version].is_string()) return "";
  return std::string(m[version].as_string());
}

void KmsKey::SetState(KeyState state) {
  json::object& m = metadata();
  m["KeyState"] = KeyStateName(state);
  m["Enabled"] = state == KeyState::kEnabled;
  if (state != KeyState::kPendingDeletion) {
    m.erase("DeletionDate");
    m.erase("PendingDeletionWindowInDays");
  }
}

namespace {

KmsRefusal PendingDeletion(const KmsKey& key) {
  return {KmsRefusal::Kind::kInvalidState, key.arn() + " is pending deletion."};
}

}  // namespace

std::optional<KmsRefusal> CheckUsable(const KmsKey& key) {
  switch (key.state()) {
    case KeyState::kEnabled: return std::nullopt;
    case KeyState::kDisabled: return KmsRefusal{KmsRefusal::Kind::kDisabled, key.arn() + " is disabled."};
    case KeyState::kPendingDeletion: return PendingDeletion(key);
  }
  return std::nullopt;
}

std::optional<KmsRefusal> CheckEnable(const KmsKey& key) {
  if (key.state() == KeyState::kPendingDeletion) return PendingDeletion(key);
  return std::nullopt;
}

std::optional<KmsRefusal> CheckDisable(const KmsKey& key) { return CheckEnable(key); }

std::optional<KmsRefusal> CheckScheduleDeletion(const KmsKey& key, int64_t pending_days) {
  if (pending_days < 7 || pending_days > 30) {
    return KmsRefusal{KmsRefusal::Kind::kInvalidArgument,
                      "1 validation error detected: Value '" + std::to_string(pending_days) +
                          "' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value " +
                          (pending_days < 7 ? "greater than or equal to 7" : "less than or equal to 30")};
  }
  if (key.state() == KeyState::kPendingDeletion) return PendingDeletion(key);
  return std::nullopt;
}

void ScheduleDeletion(KmsKey& key, int64_t pending_days, double now) {
  key.SetState(KeyState::kPendingDeletion);
  json::object& m = key.metadata();
  m["DeletionDate"] = now + static_cast<double>(pending_days) * 86400.0;
  m["PendingDeletionWindowInDays"] = pending_days;
}

std::optional<KmsRefusal> CheckCancelDeletion(const KmsKey& key) {
  if (key.state() != KeyState::kPendingDeletion) {
    return KmsRefusal{KmsRefusal::Kind::kInvalidState, key.arn() + " is not pending deletion."};
  }
  return std::nullopt;
}

void CancelDeletion(KmsKey& key) { key.SetState(KeyState::kDisabled); }

std::optional<KmsRefusal> CheckCustomerManaged(const KmsKey& key, std::string_view operation) {
  if (!key.aws_managed()) return std::nullopt;
  return KmsRefusal{KmsRefusal::Kind::kUnsupported,
                    std::string(operation) + " is not supported on the AWS managed key " + key.arn() + "."};
}

}  // namespace wharf::model
