// OpenSSL 3 marks the SHA256_* functions deprecated in favour of EVP; they are used on
// purpose (crypto.h says why), in this file only.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace wharf {
namespace {

std::string Digest(SHA256_CTX& ctx) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, &ctx);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

std::string Sha256(std::string_view data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  return Digest(ctx);
}

// RFC 2104 over SHA-256's 64-byte block.
std::string HmacSha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = SHA256_CBLOCK;
  unsigned char pad[kBlock] = {};
  std::string long_key;
  if (key.size() > kBlock) key = long_key = Sha256(key);
  std::memcpy(pad, key.data(), key.size());
  for (unsigned char& c : pad) c ^= 0x36;
  SHA256_CTX inner;
  SHA256_Init(&inner);
  SHA256_Update(&inner, pad, kBlock);
  SHA256_Update(&inner, data.data(), data.size());
  std::string inner_digest = Digest(inner);
  for (unsigned char& c : pad) c ^= 0x36 ^ 0x5c;
  SHA256_CTX outer;
  SHA256_Init(&outer);
  SHA256_Update(&outer, pad, kBlock);
  SHA256_Update(&outer, inner_digest.data(), inner_digest.size());
  OPENSSL_cleanse(pad, sizeof pad);
  return Digest(outer);
}

Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<SHA256_CTX>()) { SHA256_Init(ctx_.get()); }
Sha256Hasher::~Sha256Hasher() = default;
void Sha256Hasher::Update(std::string_view bytes) { SHA256_Update(ctx_.get(), bytes.data(), bytes.size()); }
std::string Sha256Hasher::Finish() { return Digest(*ctx_); }

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wharf

namespace wharf {

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 3; --i) ++padding;
  if (padding > 2 || padding > len) return std::nullopt;  // "====" and the like
  out.resize(len - padding);
  return out;
}

}  // namespace wharf
