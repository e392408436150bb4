// HMAC and asymmetric signing keys for KMS (OpenSSL's EVP): what GenerateMac/VerifyMac,
// Sign/Verify and GetPublicKey need, for the KeySpecs AWS offers:
//   HMAC_224/256/384/512         MacAlgorithms HMAC_SHA_224/256/384/512 (the spec's own)
//   RSA_2048/3072/4096           RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512
//   ECC_NIST_P256/P384/P521      ECDSA_SHA_256/384/512 (the curve's own)
//   ECC_SECG_P256K1              ECDSA_SHA_256
// Signatures are what AWS returns: DER-encoded ECDSA, PSS with a salt as long as the digest.
// Private keys are kept as DER (PKCS#8 via i2d_PrivateKey/d2i_AutoPrivateKey), public keys as
// DER SubjectPublicKeyInfo (GetPublicKey's form). Thread-safe; pure but for randomness.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::kms {

enum class SpecKind { kSymmetric, kHmac, kRsa, kEcc, kUnknown };
SpecKind KindOfSpec(std::string_view key_spec);

// The MAC algorithm of an HMAC spec, its key length in bytes.
std::string MacAlgorithmOf(std::string_view key_spec);
size_t HmacKeyBytes(std::string_view key_spec);
// The signing algorithms a signing spec supports, in AWS's order.
std::vector<std::string> SigningAlgorithmsOf(std::string_view key_spec);

// HMAC of `message` with `key` under `mac_algorithm` (HMAC_SHA_256 ...).
Result<std::string> Hmac(std::string_view mac_algorithm, std::string_view key, std::string_view message);

struct KeyPair {
  std::string private_der;
  std::string public_der;
};
Result<KeyPair> GenerateKeyPair(std::string_view key_spec);

// The digest `signing_algorithm` uses (SHA-256/384/512) of `message`; its size in bytes.
Result<std::string> DigestFor(std::string_view signing_algorithm, std::string_view message);
size_t DigestBytes(std::string_view signing_algorithm);
// Signs / verifies a digest (already hashed with the algorithm's hash).
Result<std::string> SignDigest(std::string_view private_der, std::string_view signing_algorithm,
                               std::string_view digest);
// false when the signature does not verify; errors only for unusable keys or algorithms.
Result<bool> VerifyDigest(std::string_view public_der, std::string_view signing_algorithm, std::string_view digest,
                          std::string_view signature);

}  // namespace wharf::kms
