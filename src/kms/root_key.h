// The root key: the one AES-256 key that wraps every KMS key's material before it is stored.
// The store holds only wrapped material; without the root key nothing it holds decrypts.
//
// It lives in a file, 0600: by default DATA/kms-root-key, made from the kernel's randomness
// when KMS first needs it (RootKey); `wharf server --kms-root-key-file PATH` names another (servers
// sharing one etcd store must share it). The file is 32 raw bytes, or 64 hex digits (a
// trailing newline is allowed), so an operator can write one with `openssl rand -hex 32`.
//
// Wrapping: material is sealed with AES-256-GCM under the root key, a fresh nonce, and the
// AAD "wharf-kms-material:<key id>:<material version>", so wrapped material cannot be moved
// to another key. Stored as nonce || ciphertext || tag.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/random.h"
#include "base/status.h"

namespace wharf::kms {

// The root key as the server holds it. The default file is made on first use, not at start:
// a server that never uses KMS never writes (or fsyncs) it. Thread-safe.
class RootKey {
 public:
  // The key in `path`; `create`: make the file on first use when it does not exist.
  RootKey(std::string path, bool create, Random& random);
  // A fixed key (tests).
  explicit RootKey(std::string key);
  // Reads the file now if it exists; an error if it must exist (!create) and does not, or is
  // not a key. Call once at start, so a bad --kms-root-key-file fails the start.
  Status Preload() EXCLUDES(mu_);
  // The key, read or made on first call.
  Result<std::string> Get() EXCLUDES(mu_);

 private:
  // Constant after construction.
  const std::string path_;
  const bool create_ = false;
  Random* const random_ = nullptr;

  Mutex mu_;
  std::string key_ GUARDED_BY(mu_);  // empty until read or made
};

// Reads the root key at `path`, creating it (0600, written to a temporary file and renamed
// into place) when `create` and it does not exist. InvalidArgument for a file that is not a
// key; Unavailable for I/O failures.
Result<std::string> LoadRootKey(const std::string& path, bool create, Random& random);

Result<std::string> WrapMaterial(std::string_view root_key, std::string_view key_id, uint32_t version,
                                 std::string_view material, Random& random);
// InvalidArgument when it does not unwrap (another root key, or changed bytes).
Result<std::string> UnwrapMaterial(std::string_view root_key, std::string_view key_id, uint32_t version,
                                   std::string_view wrapped);

}  // namespace wharf::kms
