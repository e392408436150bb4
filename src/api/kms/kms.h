// The KMS API (JSON 1.1, TrentService), one region's: symmetric keys (AES-256-GCM, their
// material wrapped by the root key, kms/root_key.h), aliases, the AWS managed keys made on
// first use (alias/aws/secretsmanager, aws/ssm, aws/ecr, aws/logs), encryption with
// encryption context, data keys, random bytes, key states and deletion, rotation status,
// key policies (stored, checked by the policy language; not yet evaluated), grants, tags.
// HMAC keys (GenerateMac/VerifyMac) and RSA/ECC signing keys (Sign/Verify/GetPublicKey) through
// kms/signing.h; RSA encryption and key agreement keys are refused (UnsupportedOperationException).
//
// Other services of the region (Secrets Manager) encrypt through EncryptWith / DecryptBlob,
// in process: the same keys, states and errors as the API's Encrypt and Decrypt.
//
// Thread-safety: everything here may be called from any thread; every change is a
// revision-checked write of one key record (store/update.h).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "kms/ciphertext_blob.h"
#include "kms/root_key.h"
#include "store/store.h"

namespace wharf::api::kms {

struct KmsDeps {
  store::Store& store;
  Clock& clock;
  Random& random;  // keys and nonces: a SecureRandom
  std::string region;
  std::string account_id;
  wharf::kms::RootKey& root_key;  // wraps every key's material
  // The callers' IAM policies, for CreateKey's and PutKeyPolicy's lockout safety check; null:
  // no IAM (every key may do everything), so no check.
  controlplane::Authorizer* authorizer = nullptr;
};

Result<ServiceEndpoint> MakeKmsEndpoint(const KmsDeps& deps);

using wharf::kms::EncryptionContext;

struct Sealed {
  std::string blob;     // the ciphertext blob (raw bytes)
  std::string key_arn;  // the key that sealed it
};
struct Opened {
  std::string plaintext;
  std::string key_arn;
};

// Encrypt under `key_ref` (a key id, key ARN, alias name or alias ARN; alias/aws/<service>
// makes the AWS managed key on first use). Errors are KMS's (NotFoundException,
// DisabledException, KMSInvalidStateException ...).
std::variant<Sealed, AwsError> EncryptWith(const KmsDeps& deps, std::string_view key_ref, std::string_view plaintext,
                                           const EncryptionContext& context);
// Decrypt a blob; `key_ref`, when not empty, must name the key the blob names
// (IncorrectKeyException). InvalidCiphertextException when it does not open.
std::variant<Opened, AwsError> DecryptBlob(const KmsDeps& deps, std::string_view blob, const EncryptionContext& context,
                                           std::string_view key_ref = "");
// The ARN of the key `key_ref` names (making an AWS managed key on first use).
std::variant<std::string, AwsError> KeyArnOf(const KmsDeps& deps, std::string_view key_ref);

}  // namespace wharf::api::kms
