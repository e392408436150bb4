#include "api/logs/sealing.h"

#include <cstring>

#include "api/kms/kms.h"
#include "base/crypto.h"
#include "kms/aes_gcm.h"

namespace wharf::api::logs {
namespace json = boost::json;
namespace {

constexpr std::string_view kContextKey = "aws:logs:arn";

wharf::kms::EncryptionContext ContextFor(const LogsDeps& deps, std::string_view group) {
  return {{std::string(kContextKey), GroupArn(deps, group)}};
}

std::string Aad(std::string_view group) { return "log-group:" + std::string(group); }

// The data key `blob` (base64) holds for `group`, or KMS's refusal.
std::variant<std::string, AwsError> OpenDataKey(const LogsDeps& deps, std::string_view group, std::string_view blob) {
  auto bytes = Base64Decode(blob);
  if (!deps.kms || !bytes) return AwsError::Server("ServiceUnavailableException", "The log group's data key is unusable.");
  auto opened = kms::DecryptBlob(*deps.kms, *bytes, ContextFor(deps, group));
  if (std::holds_alternative<AwsError>(opened)) return KmsKeyRefused(deps, group);
  return std::move(std::get<kms::Opened>(opened).plaintext);
}

}  // namespace

AwsError KmsKeyRefused(const LogsDeps& deps, std::string_view group) {
  return AwsError::Client("AccessDeniedException", "The specified KMS key does not exist or is not allowed to be used "
                                                   "with Arn '" + GroupArn(deps, group) + "'");
}

std::optional<AwsError> AddDataKey(const LogsDeps& deps, std::string_view group, std::string_view key_ref,
                                   object& record) {
  if (!deps.kms) return AwsError::Server("ServiceUnavailableException", "KMS is not available in this region.");
  std::string plaintext = wharf::kms::RandomBytes(deps.kms->random, wharf::kms::kKeyBytes);
  auto sealed = kms::EncryptWith(*deps.kms, key_ref, plaintext, ContextFor(deps, group));
  if (std::holds_alternative<AwsError>(sealed)) return KmsKeyRefused(deps, group);
  if (!record["dataKeys"].is_array()) record["dataKeys"] = json::array();
  json::array& keys = record["dataKeys"].as_array();
  int64_t id = 0;
  for (const auto& k : keys) id = std::max(id, GetInt(k.as_object(), "id").value_or(0));
  ++id;
  keys.push_back(object{{"id", id}, {"blob", Base64Encode(std::get<kms::Sealed>(sealed).blob)}});
  record["dataKeyId"] = id;
  record["logGroup"].as_object()["kmsKeyId"] = std::string(key_ref);
  return std::nullopt;
}

void DropCurrentDataKey(object& record) {
  record.erase("dataKeyId");
  record["logGroup"].as_object().erase("kmsKeyId");
}

std::variant<EventSealer, AwsError> EventSealer::ForGroup(const LogsDeps& deps, std::string_view group,
                                                          const object& record) {
  EventSealer sealer;
  auto id = GetInt(record, "dataKeyId");
  if (!id) return sealer;
  for (const auto& k : GetArray(record, "dataKeys")) {
    if (GetInt(k.as_object(), "id") != id) continue;
    auto key = OpenDataKey(deps, group, GetString(k.as_object(), "blob"));
    if (auto* err = std::get_if<AwsError>(&key)) return *err;
    sealer.nonce_prefix_ = wharf::kms::RandomBytes(deps.kms->random, 8);
    sealer.aad_ = Aad(group);
    sealer.id_ = static_cast<uint32_t>(*id);
    sealer.key_ = std::make_unique<wharf::kms::AesGcmKey>(std::get<std::string>(key));
    return sealer;
  }
  return AwsError::Server("ServiceUnavailableException", "The log group's data key is missing.");
}

std::string EventSealer::Seal(std::string_view message) {
  std::string out(4, '\0');
  std::memcpy(out.data(), &id_, 4);  // little-endian, as the segment format
  std::string nonce = nonce_prefix_ + std::string(4, '\0');
  uint32_t n = counter_++;
  std::memcpy(nonce.data() + 8, &n, 4);
  out.append(nonce);
  auto sealed = key_->Seal(nonce, message, aad_);
  out.append(sealed.ok() ? *sealed : std::string());
  return out;
}

EventOpener::EventOpener(const LogsDeps& deps, std::string group, const object& record)
    : deps_(deps), group_(std::move(group)), aad_(Aad(group_)) {
  for (const auto& k : GetArray(record, "dataKeys")) {
    wrapped_[static_cast<uint32_t>(GetInt(k.as_object(), "id").value_or(0))] = GetString(k.as_object(), "blob");
  }
}

std::variant<std::string, AwsError> EventOpener::Plaintext(const wharf::logs::StoredEvent& event) {
  if (!event.sealed) return event.message;
  constexpr size_t kPrefix = 4 + wharf::kms::kIvBytes;
  if (event.message.size() < kPrefix + wharf::kms::kTagBytes) {
    return AwsError::Server("ServiceUnavailableException", "A stored log event is corrupt.");
  }
  uint32_t id = 0;
  std::memcpy(&id, event.message.data(), 4);
  auto opened = opened_.find(id);
  if (opened == opened_.end()) {
    auto wrapped = wrapped_.find(id);
    if (wrapped == wrapped_.end()) return AwsError::Server("ServiceUnavailableException", "A data key is missing.");
    auto key = OpenDataKey(deps_, group_, wrapped->second);
    if (auto* err = std::get_if<AwsError>(&key)) return *err;
    opened = opened_.emplace(id, wharf::kms::AesGcmKey(std::get<std::string>(key))).first;
  }
  std::string_view bytes(event.message);
  auto plain = opened->second.Open(bytes.substr(4, wharf::kms::kIvBytes), bytes.substr(kPrefix), aad_);
  if (!plain.ok()) return AwsError::Server("ServiceUnavailableException", "A stored log event does not decrypt.");
  return std::move(*plain);
}

std::optional<AwsError> EventOpener::Open(wharf::logs::StoredEvent& event) {
  if (!event.sealed) return std::nullopt;
  auto plain = Plaintext(event);
  if (auto* err = std::get_if<AwsError>(&plain)) return *err;
  event.message = std::move(std::get<std::string>(plain));
  event.sealed = false;
  return std::nullopt;
}

}  // namespace wharf::api::logs
