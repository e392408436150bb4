// The root key: the one AES-256 key that wraps every KMS key's material before it is stored.
// The store holds only wrapped material; without the root key nothing it holds decrypts.
//
// It lives in a file, 0600: by default DATA/kms-root-key, made on first start from the
// kernel's randomness; `wharf server --kms-root-key-file PATH` names another (servers
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

#include "base/random.h"
#include "base/status.h"

namespace wharf::kms {

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
