// libFuzzer target: arbitrary bytes as a sealed blob file (kms/sealed_blob.h), what the
// registry reads back from disk for a repository encrypted with KMS. Checks: no crash, no
// sanitizer report; a header that parses encodes back to its bytes and gives chunk offsets
// inside its file size; no chunk made up by the fuzzer opens under a fixed key. The same bytes
// are also read as a sealed upload (kms/sealed_blob.h's records). Build and run
// with `fuzz/run.sh sealed`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kms/aes_gcm.h"
#include "kms/sealed_blob.h"

namespace {

// A fixed "random" source: the fuzzer needs a header whose key check passes.
struct Fixed final : wharf::Random {
  uint64_t Next() override { return 0x0123456789abcdefULL; }
};

// The same bytes as a sealed upload (an upload in progress to a KMS repository): its header
// and records, walked as BlobStore walks them; nothing made up by the fuzzer opens. Tried as
// they are (a made-up header: refused unless the key check passes) and behind a genuine header
// for the key, so the record parsing is reached.
void SealedUploadRecords(std::string_view bytes) {
  static const std::string key(wharf::kms::kKeyBytes, 'k');
  auto cipher = wharf::kms::SealedUploadCipher::For(key, bytes);
  if (!cipher.ok()) return;
  std::string_view rest = bytes.substr(wharf::kms::kSealedUploadHeaderBytes);
  for (uint64_t index = 0; !rest.empty() && index < 8; ++index) {
    auto length = wharf::kms::SealedUploadCipher::RecordLength(rest);
    if (!length.ok()) return;
    if (*length > wharf::kms::kSealedRecordMaxBytes) std::abort();
    size_t whole = wharf::kms::kSealedRecordOverhead + *length;
    if (rest.size() < whole) return;
    if (cipher->OpenRecord(index, rest.substr(0, whole)).ok()) std::abort();
    rest.remove_prefix(whole);
  }
}

void SealedUpload(std::string_view bytes) {
  static const std::string header = [] {
    Fixed fixed;
    return wharf::kms::NewSealedUploadHeader(std::string(wharf::kms::kKeyBytes, 'k'), fixed);
  }();
  SealedUploadRecords(bytes);
  SealedUploadRecords(header + std::string(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  SealedUpload(bytes);
  auto header = wharf::kms::ParseSealedBlobHeader(bytes);
  if (!header.ok()) return 0;
  if (wharf::kms::EncodeSealedBlobHeader(*header) != bytes.substr(0, wharf::kms::kSealedHeaderBytes)) std::abort();
  uint64_t chunks = header->chunk_count();
  if (header->ChunkOffset(chunks) != header->FileSize()) std::abort();
  if (chunks > 0 && header->ChunkOffset(chunks - 1) + header->ChunkPlainSize(chunks - 1) + wharf::kms::kTagBytes !=
                        header->FileSize()) {
    std::abort();
  }
  static const std::string key(wharf::kms::kKeyBytes, 'k');
  wharf::kms::SealedBlobCipher cipher(key, *header);
  std::string_view rest = bytes.substr(wharf::kms::kSealedHeaderBytes);
  for (uint64_t i = 0; i < std::min<uint64_t>(chunks, 4); ++i) {
    size_t want = header->ChunkPlainSize(i) + wharf::kms::kTagBytes;
    if (rest.size() < want) break;
    if (cipher.OpenChunk(i, rest.substr(0, want)).ok()) std::abort();
    rest.remove_prefix(want);
  }
  return 0;
}
