// The ciphertext blob wharf's KMS hands out (Encrypt, GenerateDataKey, ReEncrypt) and takes
// back (Decrypt): like AWS's, it names the key that made it, so Decrypt needs no KeyId.
//
// Format, version 1 (all integers big-endian):
//
//   offset  size  field
//   0       4     magic "WKM" then 0x01 (the format version)
//   4       1     L, the length of the key id (1..64)
//   5       L     the key id (a UUID in text)
//   5+L     4     the key material version the data was sealed with (0 first; rotation adds)
//   9+L     12    the AES-GCM nonce
//   21+L    n     the AES-256-GCM ciphertext, n = plaintext length
//   21+L+n  16    the GCM tag
//
// The AAD is the header (bytes 0 .. 9+L) followed by the encryption context in canonical
// form (EncodeContext), so changing the key id, the version or the context makes the tag
// fail. Parsing is the untrusted side (any bytes a client sends): ParseBlob checks every
// length and never reads past the input; fuzz/blob_fuzzer.cc runs it.
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::kms {

using EncryptionContext = std::map<std::string, std::string>;  // sorted: the canonical order

struct CiphertextBlob {
  std::string key_id;
  uint32_t material_version = 0;
  std::string iv;      // kIvBytes
  std::string sealed;  // ciphertext || tag
};

inline constexpr size_t kMaxKeyIdBytes = 64;

// Header bytes (the AAD's first part) for a key id and material version.
std::string BlobHeader(std::string_view key_id, uint32_t material_version);
std::string EncodeBlob(const CiphertextBlob& blob);
// InvalidArgument for anything that is not a version 1 blob with a tag.
Result<CiphertextBlob> ParseBlob(std::string_view bytes);

// The context as bytes: count, then each pair in key order as length-prefixed key and value.
std::string EncodeContext(const EncryptionContext& context);
// The AAD of a blob: header || context.
std::string BlobAad(std::string_view key_id, uint32_t material_version, const EncryptionContext& context);

}  // namespace wharf::kms
