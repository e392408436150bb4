// CredentialStore: the access keys wharf accepts, kept in the Store under
// iam/access-keys/<id> (docs/STATE.md). The admin key is made on first start and written
// to DIR/credentials in the AWS shared-credentials format, so the aws CLI and SDKs pick
// it up with AWS_SHARED_CREDENTIALS_FILE. It is the account root. Every other key is an IAM
// user's, made by CreateAccessKey: it signs as that user, and not at all while Inactive.
//
// Caching: a key's secret, status and user are cached after the first lookup. IAM changes
// that touch a key (UpdateAccessKey, DeleteAccessKey, a user renamed or moved) call Forget or
// ForgetUser after their commit, so the next request reads the store again: a deleted or
// deactivated key stops working at once on this server. Start() also watches iam/ in the
// store, so a change made by another server of an etcd cluster drops the entries it touches
// (a key's, a session's, every key of a user or every session of a role) as soon as the
// watch delivers it; a lookup racing such a change does not cache what it read.
//
// Temporary credentials (STS AssumeRole, GetSessionToken) are records under iam/sessions/
// (ASIA... ids): a request signed with one must carry its session token, and is refused once
// it has expired. A session signs as the assumed role (or, from GetSessionToken, as the user
// or root that asked for it).
//
// Last use: RecordUse keeps each key's last use in memory and writes it to
// iam/access-key-last-used/<id> at most once a minute per key (GetAccessKeyLastUsed), so a
// busy key costs no store write per request.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api {

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
};

// What a key signs as.
struct KeyOwner {
  std::string secret;
  bool active = true;
  bool root = true;        // the account's admin key; else an IAM user's
  std::string user_name;   // the IAM user's
  std::string user_path;
  std::string user_id;     // AIDA...

  // Temporary credentials: the token requests must carry and when they stop working.
  std::string session_token;
  std::chrono::system_clock::time_point expiration;
  // A role session (AssumeRole): the role, the session's name and what was passed to it.
  std::string role_name;
  std::string role_path;
  std::string role_id;     // AROA...
  std::string session_name;
  std::string session_policy;                     // the Policy document, or empty
  std::vector<std::string> session_policy_arns;   // PolicyArns
  std::vector<std::pair<std::string, std::string>> session_tags;
  std::string source_identity;

  bool temporary() const { return !session_token.empty(); }
  bool role_session() const { return !role_name.empty(); }
};

class CredentialStore {
 public:
  CredentialStore(store::Store& store, Random& random) : store_(store), random_(random) {}
  ~CredentialStore();

  // Watches iam/ so that a change to a key, session, user or role drops what was cached.
  Status Start();

  // The key's owner; empty when there is no such key (or its user is gone).
  std::optional<KeyOwner> Lookup(std::string_view access_key_id);
  // The secret of an active key.
  std::optional<std::string> SecretFor(std::string_view access_key_id);
  // Drops cached entries: the next request reads the store.
  void Forget(std::string_view access_key_id) EXCLUDES(mu_);
  void ForgetUser(std::string_view user_name) EXCLUDES(mu_);
  void ForgetRole(std::string_view role_name) EXCLUDES(mu_);
  // Notes a signed request; writes the last use when the stored one is a minute old.
  void RecordUse(std::string_view access_key_id, std::string_view service, std::string_view region,
                 std::chrono::system_clock::time_point now) EXCLUDES(mu_);
  // The first admin key, made now if there is none.
  Result<AccessKey> EnsureAdminKey();
  // Puts every root key seen back after a dev-mode wipe.
  Status RestoreAfterWipe();

 private:
  Status Save(const AccessKey& key) EXCLUDES(mu_);

  // Caches `owner` unless something was forgotten since `generation` was read.
  void Keep(std::string_view access_key_id, const KeyOwner& owner, uint64_t generation) EXCLUDES(mu_);

  // Constant after construction.
  store::Store& store_;
  Random& random_;
  std::unique_ptr<store::Watch> watch_;

  // Protected by mu_: every key seen, by access key id, and when each was last written used;
  // how many times entries were forgotten.
  Mutex mu_;
  std::unordered_map<std::string, KeyOwner> cache_ GUARDED_BY(mu_);
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, std::chrono::system_clock::time_point> use_written_ GUARDED_BY(mu_);
};

// Writes `key` as profile [default] to `path` with mode 0600, atomically.
Status WriteSharedCredentialsFile(const std::string& path, const AccessKey& key);

}  // namespace wharf::api
