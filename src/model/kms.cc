#include "model/kms.h"

#include <boost/json/array.hpp>
#include <algorithm>

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

std::optional<double> NextRotationDate(const KmsKey& key) {
  if (!GetBool(key.record, "RotationEnabled").value_or(false)) return std::nullopt;
  double days = static_cast<double>(GetInt(key.record, "RotationPeriodInDays").value_or(365));
  double from = 0;
  if (const auto* v = key.record.if_contains("RotationEnabledDate"); v && v->is_number()) {
    from = v->to_number<double>();
  } else if (const auto* c = key.metadata().if_contains("CreationDate"); c && c->is_number()) {
    from = c->to_number<double>();
  }
  for (const auto& r : GetArray(key.record, "Rotations")) {
    if (!r.is_object() || GetString(r.as_object(), "RotationType") != "AUTOMATIC") continue;
    if (const auto* d = r.as_object().if_contains("RotationDate"); d && d->is_number()) {
      from = std::max(from, d->to_number<double>());
    }
  }
  return from + days * 86400.0;
}

std::vector<double> DueRotations(const KmsKey& key, double now) {
  std::vector<double> due;
  if (key.state() != KeyState::kEnabled) return due;
  auto next = NextRotationDate(key);
  if (!next) return due;
  double period = static_cast<double>(GetInt(key.record, "RotationPeriodInDays").value_or(365)) * 86400.0;
  if (period <= 0) return due;  // not a period EnableKeyRotation takes: a damaged record
  for (double at = *next; at <= now; at += period) due.push_back(at);
  if (due.size() > 100) due.erase(due.begin(), due.end() - 100);
  return due;
}

void RecordRotation(KmsKey& key, double date, std::string_view type, uint32_t version) {
  if (!key.record["Rotations"].is_array()) key.record["Rotations"] = json::array();
  key.record["Rotations"].as_array().push_back(json::object{{"KeyId", key.id()},
                                                            {"RotationDate", date},
                                                            {"RotationType", type},
                                                            {"MaterialVersion", version}});
}

size_t OnDemandRotations(const KmsKey& key) {
  size_t n = 0;
  for (const auto& r : GetArray(key.record, "Rotations")) {
    if (r.is_object() && GetString(r.as_object(), "RotationType") == "ON_DEMAND") ++n;
  }
  return n;
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
