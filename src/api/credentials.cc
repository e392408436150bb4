#include "api/credentials.h"
#include "base/clock.h"
#include "model/json.h"
#include "model/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

namespace wharf::api {
namespace json = boost::json;

namespace {

KeyOwner RootOwner(std::string secret) {
  KeyOwner owner;
  owner.secret = std::move(secret);
  return owner;
}

constexpr std::string_view kKeyPrefix = model::keys::kAccessKeys;
}

// A session record (docs/STATE.md, iam/sessions/): what the temporary key signs as.
std::optional<KeyOwner> SessionOwner(store::Store& store, const json::object& record) {
  KeyOwner owner;
  owner.secret = wharf::GetString(record, "secretAccessKey");
  owner.session_token = wharf::GetString(record, "sessionToken");
  owner.expiration = std::chrono::system_clock::time_point(
      std::chrono::seconds(wharf::GetInt(record, "expiration").value_or(0)));
  owner.root = wharf::GetBool(record, "root").value_or(false);
  owner.user_name = wharf::GetString(record, "userName");
  owner.role_name = wharf::GetString(record, "roleName");
  owner.session_name = wharf::GetString(record, "sessionName");
  owner.session_policy = wharf::GetString(record, "policy");
  owner.source_identity = wharf::GetString(record, "sourceIdentity");
  for (const auto& arn : wharf::GetArray(record, "policyArns")) {
    if (arn.is_string()) owner.session_policy_arns.emplace_back(arn.get_string());
  }
  for (const auto& [k, v] : wharf::GetObject(record, "tags")) {
    if (v.is_string()) owner.session_tags.emplace_back(k, v.get_string());
  }
  // The role or user as it is now: a session of a deleted role or user no longer signs.
  std::string key = owner.role_session() ? model::keys::IamRoleKey(owner.role_name)
                                         : model::keys::IamUserKey(owner.user_name);
  if (owner.root) return owner;
  auto got = store.Get(key);
  if (!got.ok() || !got->has_value()) return std::nullopt;
  auto entity = wharf::ParseObject((*got)->value);
  if (!entity.ok()) return std::nullopt;
  const json::object& shape = wharf::GetObject(*entity, owner.role_session() ? "Role" : "User");
  if (owner.role_session()) {
    owner.role_name = wharf::GetString(shape, "RoleName");
    owner.role_path = wharf::GetString(shape, "Path", "/");
    owner.role_id = wharf::GetString(shape, "RoleId");
    // The id must still be the one the session was made for: a role deleted and made again
    // under the same name is another role.
    if (owner.role_id != wharf::GetString(record, "roleId")) return std::nullopt;
  } else {
    owner.user_name = wharf::GetString(shape, "UserName");
    owner.user_path = wharf::GetString(shape, "Path", "/");
    owner.user_id = wharf::GetString(shape, "UserId");
    if (owner.user_id != wharf::GetString(record, "userId")) return std::nullopt;
  }
  return owner;
}

CredentialStore::~CredentialStore() { watch_.reset(); }

Status CredentialStore::Start() {
  ASSIGN_OR_RETURN(int64_t revision, store_.CurrentRevision());
  ASSIGN_OR_RETURN(watch_, store_.WatchPrefix("iam/", revision, [this](const std::vector<store::Event>& events) {
    for (const auto& e : events) {
      std::string_view key = e.kv.key;
      if (key.starts_with(model::keys::kAccessKeys)) {
        Forget(key.substr(model::keys::kAccessKeys.size()));
      } else if (key.starts_with(model::keys::kIamSessions)) {
        Forget(key.substr(model::keys::kIamSessions.size()));
      } else if (key.starts_with(model::keys::kIamUsers)) {
        ForgetUser(key.substr(model::keys::kIamUsers.size()));
      } else if (key.starts_with(model::keys::kIamRoles)) {
        ForgetRole(key.substr(model::keys::kIamRoles.size()));
      }
    }
  }));
  return Status::OK();
}

void CredentialStore::Keep(std::string_view access_key_id, const KeyOwner& owner, uint64_t generation) {
  MutexLock lock(mu_);
  if (generation != generation_) return;  // what was read may be what was just forgotten
  if (cache_.size() > 65536) cache_.clear();  // sessions accumulate; keys are read again
  cache_[std::string(access_key_id)] = owner;
}

std::optional<KeyOwner> CredentialStore::Lookup(std::string_view access_key_id) {
  uint64_t generation;
  {
    MutexLock lock(mu_);
    auto it = cache_.find(std::string(access_key_id));
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  if (access_key_id.starts_with("ASIA")) {
    auto got = store_.Get(model::keys::IamSessionKey(access_key_id));
    if (!got.ok() || !got->has_value()) return std::nullopt;
    auto record = wharf::ParseObject((*got)->value);
    if (!record.ok()) return std::nullopt;
    auto owner = SessionOwner(store_, *record);
    if (!owner) return std::nullopt;
    Keep(access_key_id, *owner, generation);
    return owner;
  }
  auto got = store_.Get(model::keys::AccessKeyKey(access_key_id));
  if (!got.ok() || !got->has_value()) return std::nullopt;
  auto record = wharf::ParseObject((*got)->value);
  if (!record.ok() || !record->contains("secretAccessKey")) return std::nullopt;
  KeyOwner owner;
  owner.secret = wharf::GetString(*record, "secretAccessKey");
  // Keys written before IAM users existed have no status: they are the admin's.
  owner.root = !record->contains("status") || wharf::GetBool(*record, "root").value_or(false);
  owner.active = wharf::GetString(*record, "status", "Active") == "Active";
  if (!owner.root) {
    owner.user_name = wharf::GetString(*record, "userName");
    auto user = store_.Get(model::keys::IamUserKey(owner.user_name));
    if (!user.ok() || !user->has_value()) return std::nullopt;
    auto user_record = wharf::ParseObject((*user)->value);
    if (!user_record.ok()) return std::nullopt;
    const json::object& shape = wharf::GetObject(*user_record, "User");
    owner.user_name = wharf::GetString(shape, "UserName");
    owner.user_path = wharf::GetString(shape, "Path", "/");
    owner.user_id = wharf::GetString(shape, "UserId");
  }
  Keep(access_key_id, owner, generation);
  return owner;
}

std::optional<std::string> CredentialStore::SecretFor(std::string_view access_key_id) {
  auto owner = Lookup(access_key_id);
  if (!owner || !owner->active) return std::nullopt;
  return owner->secret;
}

void CredentialStore::Forget(std::string_view access_key_id) {
  MutexLock lock(mu_);
  ++generation_;
  cache_.erase(std::string(access_key_id));
}

namespace {

bool SameName(std::string_view a, std::string_view b) {  // IAM names are unique without case
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

void CredentialStore::ForgetUser(std::string_view user_name) {
  MutexLock lock(mu_);
  ++generation_;
  // A user's own keys, and the sessions GetSessionToken made for it.
  std::erase_if(cache_, [&](const auto& entry) {
    const KeyOwner& owner = entry.second;
    return !owner.root && !owner.role_session() && SameName(owner.user_name, user_name);
  });
}

void CredentialStore::ForgetRole(std::string_view role_name) {
  MutexLock lock(mu_);
  ++generation_;
  std::erase_if(cache_, [&](const auto& entry) {
    return entry.second.role_session() && SameName(entry.second.role_name, role_name);
  });
}

void CredentialStore::RecordUse(std::string_view access_key_id, std::string_view service,
                                std::string_view region, std::chrono::system_clock::time_point now) {
  {
    MutexLock lock(mu_);
    auto& written = use_written_[std::string(access_key_id)];
    if (now - written < std::chrono::minutes(1)) return;
    written = now;
  }
  json::object record{{"lastUsedDate", EpochSeconds(now)}, {"serviceName", service}, {"region", region}};
  // Best effort: a lost write only makes GetAccessKeyLastUsed a minute staler.
  (void)store_.Commit(store::Txn{{}, {store::Op::Put(model::keys::AccessKeyLastUsedKey(access_key_id),
                                                     json::serialize(record))}});
}

Status CredentialStore::Save(const AccessKey& key) {
  json::object record{{"accessKeyId", key.access_key_id},
                      {"secretAccessKey", key.secret_access_key},
                      {"userName", "admin"},
                      {"status", "Active"},
                      {"root", true}};
  std::string k = model::keys::AccessKeyKey(key.access_key_id);
  auto r = store_.Commit(store::Txn{{store::Compare{k, 0}}, {store::Op::Put(k, json::serialize(record))}});
  if (!r.ok()) return r.status();
  MutexLock lock(mu_);
  cache_[key.access_key_id] = RootOwner(key.secret_access_key);
  return Status::OK();
}

Result<AccessKey> CredentialStore::EnsureAdminKey() {
  ASSIGN_OR_RETURN(store::Page page, store_.List(kKeyPrefix, "", 0));
  for (const auto& item : page.items) {
    auto record = wharf::ParseObject(item.value);
    if (!record.ok()) return Status::Internal("corrupt access key record");
    // IAM users' keys share the prefix; the admin's is the root one.
    if (record->contains("status") && !wharf::GetBool(*record, "root").value_or(false)) continue;
    AccessKey key{wharf::GetString(*record, "accessKeyId"), wharf::GetString(*record, "secretAccessKey")};
    MutexLock lock(mu_);
    cache_[key.access_key_id] = RootOwner(key.secret_access_key);
    return key;
  }
  AccessKey key{"AKIA" + RandomAlnum(random_, 16, true), RandomAlnum(random_, 40, false)};
  RETURN_IF_ERROR(Save(key));
  return key;
}

Status CredentialStore::RestoreAfterWipe() {
  std::unordered_map<std::string, std::string> keys;
  {
    MutexLock lock(mu_);
    for (const auto& [id, owner] : cache_) {
      if (owner.root && !owner.temporary()) keys[id] = owner.secret;
    }
    cache_.clear();
  }
  for (const auto& [id, secret] : keys) RETURN_IF_ERROR(Save(AccessKey{id, secret}));
  return Status::OK();
}

Status WriteSharedCredentialsFile(const std::string& path, const AccessKey& key) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("create " + tmp);
  std::string text = "[default]\naws_access_key_id = " + key.access_key_id +
                     "\naws_secret_access_key = " + key.secret_access_key + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Unavailable("write " + path);
  }
  return Status::OK();
}

}  // namespace wharf::api
