#include "kms/ciphertext_blob.h"

#include "kms/aes_gcm.h"

namespace wharf::kms {
namespace {

constexpr std::string_view kMagic("WKM\x01", 4);

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

std::string BlobHeader(std::string_view key_id, uint32_t material_version) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(key_id.size()));
  out.append(key_id);
  PutU32(out, material_version);
  return out;
}

std::string EncodeBlob(const CiphertextBlob& blob) {
  std::string out = BlobHeader(blob.key_id, blob.material_version);
  out += blob.iv;
  out += blob.sealed;
  return out;
}

Result<CiphertextBlob> ParseBlob(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 1 || bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::InvalidArgument("not a wharf ciphertext blob");
  }
  size_t id_len = static_cast<unsigned char>(bytes[kMagic.size()]);
  if (id_len == 0 || id_len > kMaxKeyIdBytes) return Status::InvalidArgument("bad key id length");
  size_t pos = kMagic.size() + 1;
  if (bytes.size() < pos + id_len + 4 + kIvBytes + kTagBytes) return Status::InvalidArgument("blob too short");
  CiphertextBlob blob;
  blob.key_id = std::string(bytes.substr(pos, id_len));
  pos += id_len;
  blob.material_version = GetU32(bytes.substr(pos, 4));
  pos += 4;
  blob.iv = std::string(bytes.substr(pos, kIvBytes));
  pos += kIvBytes;
  blob.sealed = std::string(bytes.substr(pos));
  return blob;
}

std::string EncodeContext(const EncryptionContext& context) {
  std::string out;
  PutU32(out, static_cast<uint32_t>(context.size()));
  for (const auto& [k, v] : context) {
    PutU32(out, static_cast<uint32_t>(k.size()));
    out += k;
    PutU32(out, static_cast<uint32_t>(v.size()));
    out += v;
  }
  return out;
}

std::string BlobAad(std::string_view key_id, uint32_t material_version, const EncryptionContext& context) {
  return BlobHeader(key_id, material_version) + EncodeContext(context);
}

}  // namespace wharf::kms
