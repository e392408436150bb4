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

// Sealed uploads: an upload in progress to a KMS repository, sealed piece by piece as the
// client sends it, so no plaintext of it is ever on disk (the pieces come in any size, which
// the fixed chunks above cannot take; the finished blob is re-chunked into them).
//
//   header (36 bytes): "WSU1" | 16-byte salt | 16-byte key check
//   record i:          u32 plaintext length (LE) | 12-byte nonce | ciphertext | 16-byte tag
//
// Each upload has its own key, HMAC-SHA256(data key, "wharf sealed upload" | salt), and the
// header's check (HMAC-SHA256(that key, "check"), 16 bytes) binds the upload to its
// repository's data key, so one appended to through another repository is refused; nonces are
// random (an upload is appended to by requests that cannot be trusted to be one at a time, so
// a counter could repeat); the AAD is the header, the record's index and its length, so
// records cannot be reordered, moved between uploads or resized.
inline constexpr size_t kSealedUploadHeaderBytes = 36;
inline constexpr size_t kSealedRecordOverhead = 4 + 12 + 16;  // length, nonce, tag
inline constexpr uint32_t kSealedRecordMaxBytes = 1u << 20;

std::string NewSealedUploadHeader(std::string_view data_key, Random& random);

class SealedUploadCipher {
 public:
  // InvalidArgument when `header` (untrusted: read from disk) is not a sealed upload's;
  // NotFound when it is one under another data key (another repository's upload).
  static Result<SealedUploadCipher> For(std::string_view data_key, std::string_view header);
  // Record `index` holding `plaintext` (at most kSealedRecordMaxBytes), with a fresh nonce.
  Result<std::string> SealRecord(uint64_t index, std::string_view plaintext, Random& random) const;
  // The plaintext length announced by a record's first 4 bytes; InvalidArgument beyond the max.
  static Result<uint32_t> RecordLength(std::string_view prefix);
  // The plaintext of a whole record; InvalidArgument when it does not verify.
  Result<std::string> OpenRecord(uint64_t index, std::string_view record) const;

 private:
  SealedUploadCipher(std::string header, std::string key) : header_(std::move(header)), key_(std::move(key)) {}
  std::string Aad(uint64_t index, uint32_t length) const;

  std::string header_;
  std::string key_;
};

}  // namespace wharf::kms
