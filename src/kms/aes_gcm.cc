#include "kms/aes_gcm.h"

#include <openssl/evp.h>

#include <memory>

namespace wharf::kms {
namespace {

const EVP_CIPHER* Cipher() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Sets up `ctx` for `encrypt` with key and iv, and feeds the AAD.
bool Begin(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view key, std::string_view iv, std::string_view aad) {
  if (!Cipher() || key.size() != kKeyBytes || iv.size() != kIvBytes) return false;
  if (EVP_CipherInit_ex2(ctx, Cipher(), Bytes(key), Bytes(iv), encrypt ? 1 : 0, nullptr) != 1) return false;
  int len = 0;
  return aad.empty() || EVP_CipherUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

std::string RandomBytes(Random& random, size_t n) {
  std::string out;
  out.reserve(n + 8);
  while (out.size() < n) {
    uint64_t v = random.Next();
    for (int i = 0; i < 8 && out.size() < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  return out;
}

Result<std::string> Seal(std::string_view key, std::string_view iv, std::string_view plaintext,
                         std::string_view aad) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !Begin(ctx.get(), true, key, iv, aad)) return Status::Internal("AES-GCM: cannot start encryption");
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!plaintext.empty() &&
      EVP_CipherUpdate(ctx.get(), dst, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return Status::Internal("AES-GCM: encryption failed");
  }
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), dst + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + plaintext.size()) != 1) {
    return Status::Internal("AES-GCM: encryption failed");
  }
  return out;
}

Result<std::string> Open(std::string_view key, std::string_view iv, std::string_view sealed,
                         std::string_view aad) {
  if (sealed.size() < kTagBytes) return Status::InvalidArgument("ciphertext shorter than its tag");
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !Begin(ctx.get(), false, key, iv, aad)) return Status::Internal("AES-GCM: cannot start decryption");
  std::string_view body = sealed.substr(0, sealed.size() - kTagBytes);
  std::string tag(sealed.substr(body.size()));
  std::string out(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!body.empty() && EVP_CipherUpdate(ctx.get(), dst, &len, Bytes(body), static_cast<int>(body.size())) != 1) {
    return Status::InvalidArgument("ciphertext does not decrypt");
  }
  int tail = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), dst + len, &tail) != 1) {
    return Status::InvalidArgument("ciphertext does not verify");
  }
  return out;
}

struct AesGcmKey::Contexts {
  Ctx encrypt{EVP_CIPHER_CTX_new()};
  Ctx decrypt{EVP_CIPHER_CTX_new()};
  bool ready = false;
};

AesGcmKey::AesGcmKey(std::string_view key) : contexts_(std::make_unique<Contexts>()) {
  Contexts& c = *contexts_;
  c.ready = Cipher() && key.size() == kKeyBytes && c.encrypt && c.decrypt &&
            EVP_CipherInit_ex2(c.encrypt.get(), Cipher(), Bytes(key), nullptr, 1, nullptr) == 1 &&
            EVP_CipherInit_ex2(c.decrypt.get(), Cipher(), Bytes(key), nullptr, 0, nullptr) == 1;
}

AesGcmKey::~AesGcmKey() = default;
AesGcmKey::AesGcmKey(AesGcmKey&&) noexcept = default;
AesGcmKey& AesGcmKey::operator=(AesGcmKey&&) noexcept = default;

Result<std::string> AesGcmKey::Seal(std::string_view iv, std::string_view plaintext, std::string_view aad) {
  EVP_CIPHER_CTX* ctx = contexts_->encrypt.get();
  int len = 0;
  if (!contexts_->ready || iv.size() != kIvBytes ||
      EVP_CipherInit_ex2(ctx, nullptr, nullptr, Bytes(iv), 1, nullptr) != 1 ||
      (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1)) {
    return Status::Internal("AES-GCM: cannot start encryption");
  }
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (!plaintext.empty() &&
      EVP_CipherUpdate(ctx, dst, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return Status::Internal("AES-GCM: encryption failed");
  }
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx, dst + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + plaintext.size()) != 1) {
    return Status::Internal("AES-GCM: encryption failed");
  }
  return out;
}

Result<std::string> AesGcmKey::Open(std::string_view iv, std::string_view sealed, std::string_view aad) {
  if (sealed.size() < kTagBytes) return Status::InvalidArgument("ciphertext shorter than its tag");
  EVP_CIPHER_CTX* ctx = contexts_->decrypt.get();
  int len = 0;
  if (!contexts_->ready || iv.size() != kIvBytes ||
      EVP_CipherInit_ex2(ctx, nullptr, nullptr, Bytes(iv), 0, nullptr) != 1 ||
      (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1)) {
    return Status::Internal("AES-GCM: cannot start decryption");
  }
  std::string_view body = sealed.substr(0, sealed.size() - kTagBytes);
  std::string tag(sealed.substr(body.size()));
  std::string out(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (!body.empty() && EVP_CipherUpdate(ctx, dst, &len, Bytes(body), static_cast<int>(body.size())) != 1) {
    return Status::InvalidArgument("ciphertext does not decrypt");
  }
  int tail = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_CipherFinal_ex(ctx, dst + len, &tail) != 1) {
    return Status::InvalidArgument("ciphertext does not verify");
  }
  return out;
}

}  // namespace wharf::kms
