#include "kms/sealed_blob.h"

#include <algorithm>
#include <cstring>

#include "base/crypto.h"
#include "kms/aes_gcm.h"

namespace wharf::kms {
namespace {

constexpr std::string_view kMagic = "WSB1";
constexpr size_t kSaltBytes = 16;
// Chunks between 4 KiB and 16 MiB: anything else on disk is corruption.
constexpr uint32_t kMinChunk = 4096, kMaxChunk = 16u << 20;

template <typename T>
void PutLe(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
template <typename T>
T GetLe(std::string_view in) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

}  // namespace

uint64_t SealedBlobHeader::chunk_count() const { return (plaintext_size + chunk_size - 1) / chunk_size; }

uint64_t SealedBlobHeader::ChunkOffset(uint64_t index) const {
  uint64_t full = std::min(index, chunk_count());
  uint64_t plain = std::min<uint64_t>(full * chunk_size, plaintext_size);
  return kSealedHeaderBytes + plain + full * kTagBytes;
}

size_t SealedBlobHeader::ChunkPlainSize(uint64_t index) const {
  if (index >= chunk_count()) return 0;
  return static_cast<size_t>(std::min<uint64_t>(chunk_size, plaintext_size - index * chunk_size));
}

std::string EncodeSealedBlobHeader(const SealedBlobHeader& h) {
  std::string out(kMagic);
  PutLe<uint32_t>(out, h.chunk_size);
  PutLe<uint64_t>(out, h.plaintext_size);
  out.append(h.salt);
  return out;
}

Result<SealedBlobHeader> ParseSealedBlobHeader(std::string_view bytes) {
  if (bytes.size() < kSealedHeaderBytes || bytes.substr(0, 4) != kMagic) {
    return Status::InvalidArgument("not a sealed blob");
  }
  SealedBlobHeader h;
  h.chunk_size = GetLe<uint32_t>(bytes.substr(4));
  h.plaintext_size = GetLe<uint64_t>(bytes.substr(8));
  h.salt = std::string(bytes.substr(16, kSaltBytes));
  if (h.chunk_size < kMinChunk || h.chunk_size > kMaxChunk) return Status::InvalidArgument("bad sealed blob chunk size");
  if (h.plaintext_size > (uint64_t{1} << 50)) return Status::InvalidArgument("bad sealed blob size");
  return h;
}

SealedBlobHeader NewSealedBlobHeader(uint64_t plaintext_size, Random& random) {
  return SealedBlobHeader{kSealedChunkBytes, plaintext_size, RandomBytes(random, kSaltBytes)};
}

SealedBlobCipher::SealedBlobCipher(std::string_view data_key, const SealedBlobHeader& header)
    : header_(header),
      encoded_header_(EncodeSealedBlobHeader(header)),
      file_key_(HmacSha256(data_key, "wharf sealed blob" + header.salt)) {}

std::string SealedBlobCipher::Nonce(uint64_t index) const {
  std::string nonce(4, '\0');
  for (int i = 7; i >= 0; --i) nonce.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
  return nonce;
}

std::string SealedBlobCipher::Aad(uint64_t index) const {
  return encoded_header_ + (index + 1 == header_.chunk_count() ? '\x01' : '\x00');
}

Result<std::string> SealedBlobCipher::SealChunk(uint64_t index, std::string_view plaintext) const {
  if (plaintext.size() != header_.ChunkPlainSize(index)) return Status::Internal("sealed blob chunk of the wrong size");
  return Seal(file_key_, Nonce(index), plaintext, Aad(index));
}

Result<std::string> SealedBlobCipher::OpenChunk(uint64_t index, std::string_view sealed) const {
  if (index >= header_.chunk_count() || sealed.size() != header_.ChunkPlainSize(index) + kTagBytes) {
    return Status::InvalidArgument("sealed blob chunk of the wrong size");
  }
  return Open(file_key_, Nonce(index), sealed, Aad(index));
}

namespace {
constexpr std::string_view kUploadMagic = "WSU1";
}  // namespace

namespace {
std::string UploadKey(std::string_view data_key, std::string_view salt) {
  return HmacSha256(data_key, "wharf sealed upload" + std::string(salt));
}
std::string KeyCheck(std::string_view upload_key) { return HmacSha256(upload_key, "check").substr(0, 16); }
}  // namespace

std::string NewSealedUploadHeader(std::string_view data_key, Random& random) {
  std::string salt = RandomBytes(random, kSaltBytes);
  return std::string(kUploadMagic) + salt + KeyCheck(UploadKey(data_key, salt));
}

Result<SealedUploadCipher> SealedUploadCipher::For(std::string_view data_key, std::string_view header) {
  if (header.size() < kSealedUploadHeaderBytes || header.substr(0, 4) != kUploadMagic) {
    return Status::InvalidArgument("not a sealed upload");
  }
  std::string h(header.substr(0, kSealedUploadHeaderBytes));
  std::string key = UploadKey(data_key, h.substr(4, kSaltBytes));
  if (!ConstantTimeEquals(KeyCheck(key), h.substr(4 + kSaltBytes))) {
    return Status::NotFound("an upload sealed under another key");
  }
  return SealedUploadCipher(std::move(h), std::move(key));
}

std::string SealedUploadCipher::Aad(uint64_t index, uint32_t length) const {
  std::string aad = header_;
  PutLe<uint64_t>(aad, index);
  PutLe<uint32_t>(aad, length);
  return aad;
}

Result<std::string> SealedUploadCipher::SealRecord(uint64_t index, std::string_view plaintext, Random& random) const {
  if (plaintext.size() > kSealedRecordMaxBytes) return Status::Internal("sealed upload record too large");
  uint32_t length = static_cast<uint32_t>(plaintext.size());
  std::string nonce = RandomBytes(random, kIvBytes);
  ASSIGN_OR_RETURN(std::string sealed, Seal(key_, nonce, plaintext, Aad(index, length)));
  std::string out;
  out.reserve(kSealedRecordOverhead + plaintext.size());
  PutLe<uint32_t>(out, length);
  out.append(nonce);
  out.append(sealed);
  return out;
}

Result<uint32_t> SealedUploadCipher::RecordLength(std::string_view prefix) {
  if (prefix.size() < 4) return Status::InvalidArgument("torn sealed upload record");
  uint32_t length = GetLe<uint32_t>(prefix);
  if (length > kSealedRecordMaxBytes) return Status::InvalidArgument("bad sealed upload record length");
  return length;
}

Result<std::string> SealedUploadCipher::OpenRecord(uint64_t index, std::string_view record) const {
  ASSIGN_OR_RETURN(uint32_t length, RecordLength(record));
  if (record.size() != kSealedRecordOverhead + length) return Status::InvalidArgument("torn sealed upload record");
  return Open(key_, record.substr(4, kIvBytes), record.substr(4 + kIvBytes), Aad(index, length));
}

}  // namespace wharf::kms
