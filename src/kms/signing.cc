#include "kms/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace wharf::kms {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

const EVP_MD* DigestOf(std::string_view algorithm) {
  if (algorithm.ends_with("SHA_224")) return EVP_sha224();
  if (algorithm.ends_with("SHA_256")) return EVP_sha256();
  if (algorithm.ends_with("SHA_384")) return EVP_sha384();
  if (algorithm.ends_with("SHA_512")) return EVP_sha512();
  return nullptr;
}

Result<std::string> PublicDer(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(key, &out);
  if (len <= 0) return Status::Internal("cannot encode the public key");
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return der;
}

}  // namespace

SpecKind KindOfSpec(std::string_view spec) {
  if (spec == "SYMMETRIC_DEFAULT") return SpecKind::kSymmetric;
  if (spec == "HMAC_224" || spec == "HMAC_256" || spec == "HMAC_384" || spec == "HMAC_512") return SpecKind::kHmac;
  if (spec == "RSA_2048" || spec == "RSA_3072" || spec == "RSA_4096") return SpecKind::kRsa;
  if (spec == "ECC_NIST_P256" || spec == "ECC_NIST_P384" || spec == "ECC_NIST_P521" || spec == "ECC_SECG_P256K1") {
    return SpecKind::kEcc;
  }
  return SpecKind::kUnknown;
}

std::string MacAlgorithmOf(std::string_view spec) { return "HMAC_SHA_" + std::string(spec.substr(5)); }

size_t HmacKeyBytes(std::string_view spec) {
  if (spec == "HMAC_224") return 28;
  if (spec == "HMAC_384") return 48;
  if (spec == "HMAC_512") return 64;
  return 32;
}

std::vector<std::string> SigningAlgorithmsOf(std::string_view spec) {
  switch (KindOfSpec(spec)) {
    case SpecKind::kRsa:
      return {"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
              "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"};
    case SpecKind::kEcc:
      if (spec == "ECC_NIST_P384") return {"ECDSA_SHA_384"};
      if (spec == "ECC_NIST_P521") return {"ECDSA_SHA_512"};
      return {"ECDSA_SHA_256"};
    default: return {};
  }
}

Result<std::string> Hmac(std::string_view mac_algorithm, std::string_view key, std::string_view message) {
  const EVP_MD* md = DigestOf(mac_algorithm);
  if (!md) return Status::InvalidArgument("unknown MAC algorithm " + std::string(mac_algorithm));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), Bytes(message), message.size(), out, &len)) {
    return Status::Internal("HMAC failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

Result<KeyPair> GenerateKeyPair(std::string_view spec) {
  Pkey key;
  if (KindOfSpec(spec) == SpecKind::kRsa) {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoi(std::string(spec.substr(4))))));
  } else if (KindOfSpec(spec) == SpecKind::kEcc) {
    const char* curve = spec == "ECC_NIST_P256"   ? "P-256"
                        : spec == "ECC_NIST_P384" ? "P-384"
                        : spec == "ECC_NIST_P521" ? "P-521"
                                                  : "secp256k1";
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  } else {
    return Status::InvalidArgument("not an asymmetric key spec: " + std::string(spec));
  }
  if (!key) return Status::Internal("key generation failed for " + std::string(spec));
  unsigned char* out = nullptr;
  int len = i2d_PrivateKey(key.get(), &out);
  if (len <= 0) return Status::Internal("cannot encode the private key");
  KeyPair pair;
  pair.private_der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_clear_free(out, static_cast<size_t>(len));
  ASSIGN_OR_RETURN(pair.public_der, PublicDer(key.get()));
  return pair;
}

size_t DigestBytes(std::string_view algorithm) {
  const EVP_MD* md = DigestOf(algorithm);
  return md ? static_cast<size_t>(EVP_MD_get_size(md)) : 0;
}

Result<std::string> DigestFor(std::string_view algorithm, std::string_view message) {
  const EVP_MD* md = DigestOf(algorithm);
  if (!md) return Status::InvalidArgument("unknown signing algorithm " + std::string(algorithm));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(message.data(), message.size(), out, &len, md, nullptr) != 1) return Status::Internal("digest failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

namespace {

// A sign or verify context for `key` set up for `algorithm`.
Result<PkeyCtx> SigningContext(EVP_PKEY* key, std::string_view algorithm, bool sign) {
  const EVP_MD* md = DigestOf(algorithm);
  if (!md) return Status::InvalidArgument("unknown signing algorithm " + std::string(algorithm));
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || (sign ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get())) != 1) {
    return Status::Internal("cannot start signing");
  }
  if (algorithm.starts_with("RSASSA_PSS")) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1) {
      return Status::InvalidArgument("the key does not do " + std::string(algorithm));
    }
  } else if (algorithm.starts_with("RSASSA_PKCS1")) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
      return Status::InvalidArgument("the key does not do " + std::string(algorithm));
    }
  }
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return Status::InvalidArgument("the key does not do " + std::string(algorithm));
  }
  return ctx;
}

}  // namespace

Result<std::string> SignDigest(std::string_view private_der, std::string_view algorithm, std::string_view digest) {
  const unsigned char* p = Bytes(private_der);
  Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(private_der.size())));
  if (!key) return Status::Internal("stored private key does not decode");
  ASSIGN_OR_RETURN(auto ctx, SigningContext(key.get(), algorithm, true));
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, Bytes(digest), digest.size()) != 1) {
    return Status::InvalidArgument("cannot sign with " + std::string(algorithm));
  }
  std::string sig(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(digest), digest.size()) != 1) {
    return Status::InvalidArgument("cannot sign with " + std::string(algorithm));
  }
  sig.resize(len);
  return sig;
}

Result<bool> VerifyDigest(std::string_view public_der, std::string_view algorithm, std::string_view digest,
                          std::string_view signature) {
  const unsigned char* p = Bytes(public_der);
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_der.size())));
  if (!key) return Status::Internal("stored public key does not decode");
  ASSIGN_OR_RETURN(auto ctx, SigningContext(key.get(), algorithm, false));
  return EVP_PKEY_verify(ctx.get(), Bytes(signature), signature.size(), Bytes(digest), digest.size()) == 1;
}

}  // namespace wharf::kms
