// CredentialStore: the access keys wharf accepts, kept in the Store under
// iam/access-keys/<id> (docs/STATE.md). The admin key is made on first start and written
// to DIR/credentials in the AWS shared-credentials format, so the aws CLI and SDKs pick
// it up with AWS_SHARED_CREDENTIALS_FILE.
//
// Thread-safety: all methods may be called concurrently; secrets are cached after the
// first lookup (keys are never rotated in place).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api {

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
};

class CredentialStore {
 public:
  CredentialStore(store::Store& store, Random& random) : store_(store), random_(random) {}

  std::optional<std::string> SecretFor(std::string_view access_key_id);
  // The first admin key, made now if there is none.
  Result<AccessKey> EnsureAdminKey();
  // Puts every key seen back after a dev-mode wipe.
  Status RestoreAfterWipe();

 private:
  Status Save(const AccessKey& key) EXCLUDES(mu_);

  // Constant after construction.
  store::Store& store_;
  Random& random_;

  // Protected by mu_: every key seen, by access key id.
  Mutex mu_;
  std::unordered_map<std::string, std::string> cache_ GUARDED_BY(mu_);
};

// Writes `key` as profile [default] to `path` with mode 0600, atomically.
Status WriteSharedCredentialsFile(const std::string& path, const AccessKey& key);

}  // namespace wharf::api
