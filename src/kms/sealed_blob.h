// Sealed blobs: a large byte stream (an ECR layer) encrypted at rest under a data key, in
// chunks, so it can be decrypted as it streams and from any offset (HTTP ranges).
//
//   header (32 bytes): "WSB1" | u32 chunk size | u64 plaintext size | 16-byte salt  (LE)
//   chunk i:           AES-256-GCM(ciphertext of plaintext[i*chunk, (i+1)*chunk)) | 16-byte tag
//
// Each file has its own key, HMAC-SHA256(data key, "wharf sealed blob" | salt), so chunk
// nonces can be the chunk index (4 zero bytes | u64 big-endian index) without ever repeating
// under one key. Every chunk's AAD is the whole header and whether it is the last chunk, so
// chunks cannot be moved between files, reordered, dropped from the end or the size changed.
// Pure; thread-safe (a SealedBlobCipher is immutable).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/random.h"
#include "base/status.h"

namespace wharf::kms {

inline constexpr size_t kSealedHeaderBytes = 32;
inline constexpr uint32_t kSealedChunkBytes = 64 * 1024;

struct SealedBlobHeader {
  uint32_t chunk_size = kSealedChunkBytes;
  uint64_t plaintext_size = 0;
  std::string salt;  // 16 bytes

  uint64_t chunk_count() const;  // 0 for an empty blob
  // Where chunk `index` starts in the file, and the file's whole size.
  uint64_t ChunkOffset(uint64_t index) const;
  uint64_t FileSize() const { return ChunkOffset(chunk_count()); }
  // Plaintext bytes in chunk `index`.
  size_t ChunkPlainSize(uint64_t index) const;
};

std::string EncodeSealedBlobHeader(const SealedBlobHeader& header);
// InvalidArgument for anything but a well-formed header (untrusted: what is on disk).
Result<SealedBlobHeader> ParseSealedBlobHeader(std::string_view bytes);
// A new header for `plaintext_size` bytes with a fresh salt from `random` (a SecureRandom).
SealedBlobHeader NewSealedBlobHeader(uint64_t plaintext_size, Random& random);

class SealedBlobCipher {
 public:
  // `data_key` is 32 bytes.
  SealedBlobCipher(std::string_view data_key, const SealedBlobHeader& header);
  const SealedBlobHeader& header() const { return header_; }
  Result<std::string> SealChunk(uint64_t index, std::string_view plaintext) const;
  // InvalidArgument when the chunk does not verify (wrong key, changed bytes).
  Result<std::string> OpenChunk(uint64_t index, std::string_view sealed) const;

 private:
  std::string Nonce(uint64_t index) const;
  std::string Aad(uint64_t index) const;

  SealedBlobHeader header_;
  std::string encoded_header_;
  std::string file_key_;
};

}  // namespace wharf::kms
