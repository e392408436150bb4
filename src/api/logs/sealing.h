// Log groups with a KMS key (CreateLogGroup kmsKeyId, AssociateKmsKey): their events are
// sealed before they reach the LogStore and opened as they are read.
//
// The group record keeps every data key the group ever used, wrapped by its KMS key with the
// encryption context {"aws:logs:arn": <group ARN>}:
//   {"logGroup": {..., "kmsKeyId"}, "dataKeys": [{"id": n, "blob": <base64>}], "dataKeyId": n}
// `dataKeyId` is the one new events use (absent after DisassociateKmsKey); older events keep
// the key they were sealed with, so, as on AWS, reading them still needs that KMS key.
// A sealed message: u32 data key id (LE) | 12-byte nonce | AES-256-GCM(message) | tag, the
// AAD being the group's name; the record carries segment.h's kSealedFlag.
//
// Every seal and open asks KMS to unwrap the data key (cached for one request only), so
// disabling the key refuses the next PutLogEvents, GetLogEvents or FilterLogEvents with
// AccessDeniedException, as AWS does.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "api/logs/common.h"
#include "kms/aes_gcm.h"
#include "logs/segment.h"

namespace wharf::api::logs {

// AWS's answer when a group's KMS key cannot be used.
AwsError KmsKeyRefused(const LogsDeps& deps, std::string_view group);

// Makes a new data key under `key_ref` for `group` and records it in `record` as the one
// new events use (kmsKeyId shown as given).
std::optional<AwsError> AddDataKey(const LogsDeps& deps, std::string_view group, std::string_view key_ref,
                                   object& record);
// DisassociateKmsKey: new events are stored as they come.
void DropCurrentDataKey(object& record);

// Seals the messages of one PutLogEvents.
class EventSealer {
 public:
  // Opens the group's current data key, if it has one.
  static std::variant<EventSealer, AwsError> ForGroup(const LogsDeps& deps, std::string_view group,
                                                      const object& record);
  bool active() const { return id_ != 0; }
  std::string Seal(std::string_view message);

 private:
  std::string aad_;  // the group's name, bound to every event
  uint32_t id_ = 0;
  std::unique_ptr<wharf::kms::AesGcmKey> key_;
  // Nonces: 8 random bytes drawn once per request and a counter, so a batch of thousands of
  // events costs one getrandom, not one per event (a repeat needs two requests drawing the
  // same 64 bits).
  std::string nonce_prefix_;
  uint32_t counter_ = 0;
};

// Opens sealed events of one group for one request.
class EventOpener {
 public:
  EventOpener(const LogsDeps& deps, std::string group, const object& record);
  // Replaces a sealed event's message by its plaintext.
  std::optional<AwsError> Open(wharf::logs::StoredEvent& event);
  std::variant<std::string, AwsError> Plaintext(const wharf::logs::StoredEvent& event);

 private:
  const LogsDeps& deps_;
  std::string group_;
  std::string aad_;
  std::map<uint32_t, std::string> wrapped_;  // data key id -> its blob (base64)
  std::map<uint32_t, wharf::kms::AesGcmKey> opened_;  // data key id -> its key, set up
};

}  // namespace wharf::api::logs
