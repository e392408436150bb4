// AES-256-GCM, the one cipher KMS keys and their wrapping use (OpenSSL's EVP interface).
//
// The EVP cipher is fetched once, on first use: loading OpenSSL's default provider costs
// about 2 MiB of resident memory (docs/ARCHITECTURE.md, "Memory"), so a server that never
// encrypts never pays it. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/random.h"
#include "base/status.h"

namespace wharf::kms {

inline constexpr size_t kKeyBytes = 32;  // AES-256
inline constexpr size_t kIvBytes = 12;   // GCM's 96-bit nonce
inline constexpr size_t kTagBytes = 16;

// `n` bytes from `random` (use a SecureRandom for keys and nonces).
std::string RandomBytes(Random& random, size_t n);

// ciphertext || tag. `key` is kKeyBytes, `iv` kIvBytes (never reused with the same key:
// callers draw it at random). Internal when OpenSSL fails.
Result<std::string> Seal(std::string_view key, std::string_view iv, std::string_view plaintext,
                         std::string_view aad);
// The plaintext of Seal's output; InvalidArgument when the tag does not verify (wrong key,
// wrong AAD, changed bytes) or the input is shorter than a tag.
Result<std::string> Open(std::string_view key, std::string_view iv, std::string_view sealed,
                         std::string_view aad);

// One key for many messages (log events): the key schedule is computed once, each message
// sets only its nonce. Seal and Open above set the key up on every call, which costs more
// than the encryption itself for a 100-byte message. Same results and errors as they give.
// Not thread-safe: one per request.
class AesGcmKey {
 public:
  explicit AesGcmKey(std::string_view key);
  ~AesGcmKey();
  AesGcmKey(AesGcmKey&&) noexcept;
  AesGcmKey& operator=(AesGcmKey&&) noexcept;
  Result<std::string> Seal(std::string_view iv, std::string_view plaintext, std::string_view aad);
  Result<std::string> Open(std::string_view iv, std::string_view sealed, std::string_view aad);

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace wharf::kms
