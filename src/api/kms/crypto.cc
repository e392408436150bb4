// Encrypt, Decrypt, ReEncrypt, data keys and random bytes; and the in-process EncryptWith /
// DecryptBlob other services use. Blobs are kms/ciphertext_blob.h's format.
#include "api/kms/handlers.h"
#include "base/crypto.h"
#include "kms/aes_gcm.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

constexpr size_t kMaxPlaintext = 4096;

AwsError InvalidCiphertext() { return AwsError::Client("InvalidCiphertextException", ""); }

std::optional<AwsError> CheckAlgorithm(const object& in, std::string_view member) {
  std::string algorithm = GetString(in, member, "SYMMETRIC_DEFAULT");
  if (algorithm != "SYMMETRIC_DEFAULT") {
    return AwsError::Client("InvalidKeyUsageException",
                            "The operation failed because the encryption algorithm " + algorithm +
                                " is not compatible with the key spec SYMMETRIC_DEFAULT.");
  }
  return std::nullopt;
}

std::variant<Sealed, AwsError> SealWith(const KmsDeps& deps, const KmsKey& key, std::string_view plaintext,
                                        const EncryptionContext& context) {
  if (auto r = model::CheckUsable(key)) return Refused(*r);
  if (auto err = CheckKeyUsage(key, "ENCRYPT_DECRYPT")) return *err;
  uint32_t version = key.current_version();
  auto material = KeyMaterial(deps, key, version);
  if (auto* err = std::get_if<AwsError>(&material)) return *err;
  wharf::kms::CiphertextBlob blob{key.id(), version, wharf::kms::RandomBytes(deps.random, wharf::kms::kIvBytes), ""};
  auto sealed = wharf::kms::Seal(std::get<std::string>(material), blob.iv, plaintext,
                                 wharf::kms::BlobAad(blob.key_id, version, context));
  if (!sealed.ok()) return KmsError(sealed.status());
  blob.sealed = std::move(*sealed);
  return Sealed{wharf::kms::EncodeBlob(blob), key.arn()};
}

object SealedOutput(const Sealed& sealed) {
  return object{{"CiphertextBlob", Base64Encode(sealed.blob)},
                {"KeyId", sealed.key_arn},
                {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
}

// GenerateDataKey's size: KeySpec or NumberOfBytes, exactly one.
std::variant<size_t, AwsError> DataKeySize(const object& in) {
  bool spec = Has(in, "KeySpec"), bytes = Has(in, "NumberOfBytes");
  if (spec == bytes) return Validation("Please specify either number of bytes or key spec.");
  if (bytes) return static_cast<size_t>(GetInt(in, "NumberOfBytes").value_or(0));
  return GetString(in, "KeySpec") == "AES_128" ? size_t{16} : size_t{32};
}

std::variant<std::pair<std::string, Sealed>, AwsError> MakeDataKey(const KmsDeps& deps, object& in) {
  auto size = DataKeySize(in);
  if (auto* err = std::get_if<AwsError>(&size)) return *err;
  std::string plaintext = wharf::kms::RandomBytes(deps.random, std::get<size_t>(size));
  auto sealed = EncryptWith(deps, GetString(in, "KeyId"), plaintext, ContextOf(in, "EncryptionContext"));
  if (auto* err = std::get_if<AwsError>(&sealed)) return *err;
  return std::make_pair(std::move(plaintext), std::move(std::get<Sealed>(sealed)));
}

}  // namespace

std::variant<Sealed, AwsError> EncryptWith(const KmsDeps& deps, std::string_view key_ref, std::string_view plaintext,
                                           const EncryptionContext& context) {
  auto key = FindKey(deps, key_ref);
  if (auto* err = std::get_if<AwsError>(&key)) return *err;
  return SealWith(deps, std::get<KmsKey>(key), plaintext, context);
}

std::variant<Opened, AwsError> DecryptBlob(const KmsDeps& deps, std::string_view bytes, const EncryptionContext& context,
                                           std::string_view key_ref) {
  auto blob = wharf::kms::ParseBlob(bytes);
  if (!blob.ok()) return InvalidCiphertext();
  auto found = LoadKey(deps, blob->key_id);
  if (auto* err = std::get_if<AwsError>(&found)) {
    return err->code == "NotFoundException" ? InvalidCiphertext() : *err;
  }
  const KmsKey& key = std::get<KmsKey>(found);
  if (!key_ref.empty()) {
    auto named = ResolveKeyId(deps, key_ref);
    if (auto* err = std::get_if<AwsError>(&named)) return *err;
    if (std::get<std::string>(named) != key.id()) {
      return AwsError::Client("IncorrectKeyException",
                              "The key ID in the request does not identify a CMK that can perform this operation.");
    }
  }
  if (auto r = model::CheckUsable(key)) return Refused(*r);
  if (auto err = CheckKeyUsage(key, "ENCRYPT_DECRYPT")) return *err;
  auto material = KeyMaterial(deps, key, blob->material_version);
  if (auto* err = std::get_if<AwsError>(&material)) return *err;
  auto plaintext = wharf::kms::Open(std::get<std::string>(material), blob->iv, blob->sealed,
                                    wharf::kms::BlobAad(blob->key_id, blob->material_version, context));
  if (!plaintext.ok()) return InvalidCiphertext();
  return Opened{std::move(*plaintext), key.arn()};
}

std::variant<std::string, AwsError> KeyArnOf(const KmsDeps& deps, std::string_view key_ref) {
  auto key = FindKey(deps, key_ref);
  if (auto* err = std::get_if<AwsError>(&key)) return *err;
  return std::get<KmsKey>(key).arn();
}

Outcome Encrypt(const KmsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckAlgorithm(in, "EncryptionAlgorithm")) return *err;
  auto plaintext = BlobMember(in, "Plaintext");
  if (auto* err = std::get_if<AwsError>(&plaintext)) return *err;
  const std::string& bytes = std::get<std::string>(plaintext);
  if (bytes.empty() || bytes.size() > kMaxPlaintext) {
    return Validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must "
                      "have length " + std::string(bytes.empty() ? "greater than or equal to 1" : "less than or equal to 4096"));
  }
  auto sealed = EncryptWith(deps, GetString(in, "KeyId"), bytes, ContextOf(in, "EncryptionContext"));
  if (auto* err = std::get_if<AwsError>(&sealed)) return *err;
  return SealedOutput(std::get<Sealed>(sealed));
}

Outcome Decrypt(const KmsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckAlgorithm(in, "EncryptionAlgorithm")) return *err;
  auto blob = BlobMember(in, "CiphertextBlob");
  if (auto* err = std::get_if<AwsError>(&blob)) return *err;
  if (Has(in, "Recipient")) {
    return AwsError::Client("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported by wharf.");
  }
  auto opened = DecryptBlob(deps, std::get<std::string>(blob), ContextOf(in, "EncryptionContext"), GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&opened)) return *err;
  const Opened& o = std::get<Opened>(opened);
  return object{{"KeyId", o.key_arn}, {"Plaintext", Base64Encode(o.plaintext)}, {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
}

Outcome ReEncrypt(const KmsDeps& deps, const RequestContext&, object& in) {
  if (auto err = CheckAlgorithm(in, "SourceEncryptionAlgorithm")) return *err;
  if (auto err = CheckAlgorithm(in, "DestinationEncryptionAlgorithm")) return *err;
  auto blob = BlobMember(in, "CiphertextBlob");
  if (auto* err = std::get_if<AwsError>(&blob)) return *err;
  auto destination = FindKey(deps, GetString(in, "DestinationKeyId"));
  if (auto* err = std::get_if<AwsError>(&destination)) return *err;
  auto opened = DecryptBlob(deps, std::get<std::string>(blob), ContextOf(in, "SourceEncryptionContext"),
                            GetString(in, "SourceKeyId"));
  if (auto* err = std::get_if<AwsError>(&opened)) return *err;
  auto sealed = SealWith(deps, std::get<KmsKey>(destination), std::get<Opened>(opened).plaintext,
                         ContextOf(in, "DestinationEncryptionContext"));
  if (auto* err = std::get_if<AwsError>(&sealed)) return *err;
  const Sealed& s = std::get<Sealed>(sealed);
  return object{{"CiphertextBlob", Base64Encode(s.blob)},
                {"SourceKeyId", std::get<Opened>(opened).key_arn},
                {"KeyId", s.key_arn},
                {"SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT"},
                {"DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
}

Outcome GenerateDataKey(const KmsDeps& deps, const RequestContext&, object& in) {
  auto made = MakeDataKey(deps, in);
  if (auto* err = std::get_if<AwsError>(&made)) return *err;
  auto& [plaintext, sealed] = std::get<std::pair<std::string, Sealed>>(made);
  object out = SealedOutput(sealed);
  out.erase("EncryptionAlgorithm");
  out["Plaintext"] = Base64Encode(plaintext);
  return out;
}

Outcome GenerateDataKeyWithoutPlaintext(const KmsDeps& deps, const RequestContext&, object& in) {
  auto made = MakeDataKey(deps, in);
  if (auto* err = std::get_if<AwsError>(&made)) return *err;
  object out = SealedOutput(std::get<std::pair<std::string, Sealed>>(made).second);
  out.erase("EncryptionAlgorithm");
  return out;
}

Outcome GenerateRandom(const KmsDeps& deps, const RequestContext&, object& in) {
  if (Has(in, "CustomKeyStoreId")) {
    return AwsError::Client("UnsupportedOperationException", "Custom key stores are not supported by wharf.");
  }
  int64_t n = GetInt(in, "NumberOfBytes").value_or(0);
  if (n < 1 || n > 1024) {
    return Validation("1 validation error detected: Value '" + std::to_string(n) +
                      "' at 'numberOfBytes' failed to satisfy constraint: Member must have value " +
                      (n < 1 ? "greater than or equal to 1" : "less than or equal to 1024"));
  }
  return object{{"Plaintext", Base64Encode(wharf::kms::RandomBytes(deps.random, static_cast<size_t>(n)))}};
}

}  // namespace wharf::api::kms
