// Sign, Verify, GetPublicKey (RSA and ECC SIGN_VERIFY keys) and GenerateMac, VerifyMac (HMAC
// keys), over kms/signing.h.
#include <boost/json/array.hpp>
#include <algorithm>

#include "api/kms/handlers.h"
#include "base/crypto.h"
#include "kms/signing.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

constexpr size_t kMaxMessage = 4096;

// The usable key `in`'s KeyId names, with usage `usage`.
std::variant<KmsKey, AwsError> UsableKey(const KmsDeps& deps, const object& in, std::string_view usage) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const KmsKey& key = std::get<KmsKey>(found);
  if (auto r = model::CheckUsable(key)) return Refused(*r);
  if (auto err = CheckKeyUsage(key, usage)) return *err;
  return found;
}

// The algorithm `member` names, if the key supports it (listed in `list` of its metadata).
std::optional<AwsError> CheckAlgorithm(const KmsKey& key, const std::string& algorithm, std::string_view list) {
  const json::array& supported = GetArray(key.metadata(), list);
  if (std::find(supported.begin(), supported.end(), json::value(algorithm)) != supported.end()) return std::nullopt;
  return AwsError::Client("InvalidKeyUsageException", "Algorithm " + algorithm + " is incompatible with key spec " +
                                                          key.key_spec() + ".");
}

// The message as a digest of the algorithm's hash: hashed when RAW, checked when DIGEST.
std::variant<std::string, AwsError> MessageDigest(const object& in, const std::string& algorithm) {
  auto message = BlobMember(in, "Message");
  if (auto* err = std::get_if<AwsError>(&message)) return *err;
  const std::string& bytes = std::get<std::string>(message);
  if (bytes.empty() || bytes.size() > kMaxMessage) {
    return Validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must "
                      "have length less than or equal to 4096");
  }
  if (GetString(in, "MessageType", "RAW") == "DIGEST") {
    if (bytes.size() != wharf::kms::DigestBytes(algorithm)) {
      return Validation("Digest is invalid length for algorithm " + algorithm + ".");
    }
    return bytes;
  }
  auto digest = wharf::kms::DigestFor(algorithm, bytes);
  if (!digest.ok()) return KmsError(digest.status());
  return std::move(*digest);
}

// What Sign and Verify both read of a request: the SIGN_VERIFY key, an algorithm it
// supports and the message's digest.
struct SigningRequest {
  KmsKey key;
  std::string algorithm;
  std::string digest;
};
std::variant<SigningRequest, AwsError> ReadSigningRequest(const KmsDeps& deps, const object& in) {
  auto found = UsableKey(deps, in, "SIGN_VERIFY");
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  KmsKey& key = std::get<KmsKey>(found);
  std::string algorithm = GetString(in, "SigningAlgorithm");
  if (auto err = CheckAlgorithm(key, algorithm, "SigningAlgorithms")) return *err;
  auto digest = MessageDigest(in, algorithm);
  if (auto* err = std::get_if<AwsError>(&digest)) return *err;
  return SigningRequest{std::move(key), std::move(algorithm), std::move(std::get<std::string>(digest))};
}

std::variant<std::string, AwsError> SecretOf(const KmsDeps& deps, const KmsKey& key) {
  return KeyMaterial(deps, key, key.current_version());
}

}  // namespace

Outcome Sign(const KmsDeps& deps, const RequestContext&, object& in) {
  auto request = ReadSigningRequest(deps, in);
  if (auto* err = std::get_if<AwsError>(&request)) return *err;
  const auto& [key, algorithm, digest] = std::get<SigningRequest>(request);
  auto secret = SecretOf(deps, key);
  if (auto* err = std::get_if<AwsError>(&secret)) return *err;
  ASSIGN_OR_FAIL(auto signature, wharf::kms::SignDigest(std::get<std::string>(secret), algorithm, digest), KmsError);
  return object{{"KeyId", key.arn()}, {"Signature", Base64Encode(signature)}, {"SigningAlgorithm", algorithm}};
}

Outcome Verify(const KmsDeps& deps, const RequestContext&, object& in) {
  auto request = ReadSigningRequest(deps, in);
  if (auto* err = std::get_if<AwsError>(&request)) return *err;
  const auto& [key, algorithm, digest] = std::get<SigningRequest>(request);
  auto signature = BlobMember(in, "Signature");
  if (auto* err = std::get_if<AwsError>(&signature)) return *err;
  auto public_der = Base64Decode(GetString(key.record, "PublicKey"));
  if (!public_der) return AwsError::Server("KMSInternalException", "The key has no public key.");
  ASSIGN_OR_FAIL(bool valid,
                 wharf::kms::VerifyDigest(*public_der, algorithm, digest, std::get<std::string>(signature)), KmsError);
  if (!valid) return AwsError::Client("KMSInvalidSignatureException", "");
  return object{{"KeyId", key.arn()}, {"SignatureValid", true}, {"SigningAlgorithm", algorithm}};
}

Outcome GetPublicKey(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const KmsKey& key = std::get<KmsKey>(found);
  if (auto r = model::CheckEnable(key)) return Refused(*r);
  if (key.state() == model::KeyState::kDisabled) return Refused({model::KmsRefusal::Kind::kDisabled, key.arn() + " is disabled."});
  if (!Has(key.record, "PublicKey")) {
    return AwsError::Client("UnsupportedOperationException",
                            key.arn() + " key usage is " + GetString(key.metadata(), "KeyUsage") +
                                " which is not valid for GetPublicKey.");
  }
  object out{{"KeyId", key.arn()},
             {"PublicKey", GetString(key.record, "PublicKey")},
             {"CustomerMasterKeySpec", key.key_spec()},
             {"KeySpec", key.key_spec()},
             {"KeyUsage", GetString(key.metadata(), "KeyUsage")}};
  if (Has(key.metadata(), "SigningAlgorithms")) out["SigningAlgorithms"] = GetArray(key.metadata(), "SigningAlgorithms");
  return out;
}

namespace {

// The HMAC of the request's Message under its key, as GenerateMac and VerifyMac compute it.
struct Mac {
  std::string key_arn, algorithm, value;
};

std::variant<Mac, AwsError> ComputeMac(const KmsDeps& deps, object& in) {
  auto found = UsableKey(deps, in, "GENERATE_VERIFY_MAC");
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const KmsKey& key = std::get<KmsKey>(found);
  std::string algorithm = GetString(in, "MacAlgorithm");
  if (auto err = CheckAlgorithm(key, algorithm, "MacAlgorithms")) return *err;
  auto message = BlobMember(in, "Message");
  if (auto* err = std::get_if<AwsError>(&message)) return *err;
  auto secret = SecretOf(deps, key);
  if (auto* err = std::get_if<AwsError>(&secret)) return *err;
  auto mac = wharf::kms::Hmac(algorithm, std::get<std::string>(secret), std::get<std::string>(message));
  if (!mac.ok()) return KmsError(mac.status());
  return Mac{key.arn(), algorithm, std::move(mac).value()};
}

}  // namespace

Outcome GenerateMac(const KmsDeps& deps, const RequestContext&, object& in) {
  auto mac = ComputeMac(deps, in);
  if (auto* err = std::get_if<AwsError>(&mac)) return *err;
  const Mac& m = std::get<Mac>(mac);
  return object{{"Mac", Base64Encode(m.value)}, {"MacAlgorithm", m.algorithm}, {"KeyId", m.key_arn}};
}

Outcome VerifyMac(const KmsDeps& deps, const RequestContext&, object& in) {
  auto mac = ComputeMac(deps, in);
  if (auto* err = std::get_if<AwsError>(&mac)) return *err;
  const Mac& m = std::get<Mac>(mac);
  auto given = BlobMember(in, "Mac");
  if (auto* err = std::get_if<AwsError>(&given)) return *err;
  if (!ConstantTimeEquals(m.value, std::get<std::string>(given))) {
    return AwsError::Client("KMSInvalidMacException", "");
  }
  return object{{"KeyId", m.key_arn}, {"MacValid", true}, {"MacAlgorithm", m.algorithm}};
}

}  // namespace wharf::api::kms
