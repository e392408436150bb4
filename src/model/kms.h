// KMS keys as stored (docs/STATE.md, kms/keys/<key id>), and the key state machine.
//
// A key record is {"KeyMetadata": <DescribeKey's KeyMetadata>, "Material": [<wrapped
// material, base64>...] (index = material version), "Policy": text, "Tags": [{TagKey,
// TagValue}], "RotationEnabled": bool, "RotationPeriodInDays": n, "RotationEnabledDate":
// epoch seconds (when automatic rotation was last turned on), "Rotations": [{RotationDate,
// RotationType AUTOMATIC | ON_DEMAND, "MaterialVersion"}], "Grants": [<ListGrants'
// GrantListEntry> + "GrantToken"]}. KmsKey is its typed view: the fields the decisions read,
// and the record itself for what is only shown.
//
// States (KeyState in the model): Enabled <-> Disabled; either -> PendingDeletion
// (ScheduleKeyDeletion, 7-30 days) -> Disabled (CancelKeyDeletion); a key past its deletion
// date no longer exists. The functions below decide each transition and each use; they are
// pure and answer KmsRefusal, which src/api turns into KMS's error codes.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

enum class KeyState { kEnabled, kDisabled, kPendingDeletion };
std::string_view KeyStateName(KeyState state);

// Why KMS refuses: kDisabled -> DisabledException, kInvalidState -> KMSInvalidStateException,
// kNotFound -> NotFoundException, kInvalidArgument -> ValidationException, kUnsupported ->
// UnsupportedOperationException.
struct KmsRefusal {
  enum class Kind { kDisabled, kInvalidState, kNotFound, kInvalidArgument, kUnsupported };
  Kind kind;
  std::string message;
};

struct KmsKey {
  boost::json::object record;
  int64_t mod_revision = 0;

  static Result<KmsKey> FromRecord(boost::json::object record, int64_t mod_revision);
  boost::json::object& metadata();
  const boost::json::object& metadata() const;
  std::string id() const;
  std::string arn() const;
  KeyState state() const;
  bool aws_managed() const;  // KeyManager AWS: no policy, alias or state changes by users
  std::string key_spec() const;
  // Seconds since the epoch when a pending deletion completes; nullopt otherwise.
  std::optional<double> deletion_date() const;
  // Past its deletion date: the key is gone (reads answer NotFound).
  bool Deleted(double now) const;
  // The newest material version (the one Encrypt uses).
  uint32_t current_version() const;
  std::string wrapped_material(uint32_t version) const;  // base64; empty when there is none
  void SetState(KeyState state);
};

// Cryptographic use (Encrypt, Decrypt, GenerateDataKey, ReEncrypt): only an Enabled key.
std::optional<KmsRefusal> CheckUsable(const KmsKey& key);
// EnableKey / DisableKey: not while pending deletion (the state is left alone when it is
// already what was asked).
std::optional<KmsRefusal> CheckEnable(const KmsKey& key);
std::optional<KmsRefusal> CheckDisable(const KmsKey& key);
// ScheduleKeyDeletion: 7 to 30 days, not twice. On success the caller applies
// ScheduleDeletion.
std::optional<KmsRefusal> CheckScheduleDeletion(const KmsKey& key, int64_t pending_days);
void ScheduleDeletion(KmsKey& key, int64_t pending_days, double now);
// CancelKeyDeletion: only a key pending deletion; it becomes Disabled, as on AWS.
std::optional<KmsRefusal> CheckCancelDeletion(const KmsKey& key);
void CancelDeletion(KmsKey& key);
// Automatic rotation. A key with rotation enabled gets new material every
// RotationPeriodInDays, counted from when rotation was turned on (an AWS managed key: its
// creation) or from its last automatic rotation, whichever is later; on-demand rotations leave
// that schedule alone, as on AWS. Only an Enabled key rotates. The rotation dates due at
// `now`, oldest first (at most 100: a key idle for longer gets the newest material anyway).
std::optional<double> NextRotationDate(const KmsKey& key);
std::vector<double> DueRotations(const KmsKey& key, double now);
// Appends the rotation record for material `version` (RotationType AUTOMATIC or ON_DEMAND).
void RecordRotation(KmsKey& key, double date, std::string_view type, uint32_t version);
// RotateKeyOnDemand's limit per key.
inline constexpr size_t kMaxOnDemandRotations = 25;
size_t OnDemandRotations(const KmsKey& key);

// Changes by a user to an AWS managed key (policy, state, deletion, rotation, tags).
std::optional<KmsRefusal> CheckCustomerManaged(const KmsKey& key, std::string_view operation);

}  // namespace wharf::model
