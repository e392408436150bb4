// Hashes and MACs (OpenSSL's SHA-256), and hex encoding.
//
// SHA-256 and HMAC-SHA256 call OpenSSL's SHA-256 functions directly, not its EVP interface:
// the first EVP digest loads the default provider and its algorithm tables (about 2 MiB of
// resident memory, measured: docs/ARCHITECTURE.md, "Memory"), and every one-shot EVP or
// HMAC() call fetches the algorithm again. The block function is the same assembly either way.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct SHA256state_st;  // OpenSSL's SHA256_CTX

namespace wharf {

std::string Sha256(std::string_view data);                          // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// Incremental SHA-256, for what is hashed as it streams (blobs, layers).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view bytes);
  std::string Finish();  // raw 32 bytes; once

 private:
  std::unique_ptr<SHA256state_st> ctx_;
};

std::string HexEncode(std::string_view bytes);                      // lowercase
// Constant-time comparison, for secrets and signatures.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wharf

namespace wharf {
std::string Base64Encode(std::string_view bytes);
// Empty optional on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);
}  // namespace wharf
