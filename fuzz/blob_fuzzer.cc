// libFuzzer target: arbitrary bytes as a KMS ciphertext blob (kms/ciphertext_blob.h), what
// Decrypt and ReEncrypt take from any client. Checks: no crash, no sanitizer report; a blob
// that parses encodes back to the same bytes; opening it with a fixed key never succeeds
// unless the tag verifies (it cannot, for bytes the fuzzer makes up), and never reads past
// the input. Build and run with `fuzz/run.sh blob`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kms/aes_gcm.h"
#include "kms/ciphertext_blob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto blob = wharf::kms::ParseBlob(bytes);
  if (!blob.ok()) return 0;
  if (wharf::kms::EncodeBlob(*blob) != bytes) std::abort();
  static const std::string key(wharf::kms::kKeyBytes, 'k');
  auto opened = wharf::kms::Open(key, blob->iv, blob->sealed,
                                 wharf::kms::BlobAad(blob->key_id, blob->material_version, {{"a", "b"}}));
  if (opened.ok() && opened->size() + wharf::kms::kTagBytes != blob->sealed.size()) std::abort();
  return 0;
}
