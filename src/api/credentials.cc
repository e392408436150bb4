#include "api/credentials.h"
#include "model/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>

namespace wharf::api {
namespace json = boost::json;

namespace {
constexpr std::string_view kKeyPrefix = model::keys::kAccessKeys;
}

std::optional<std::string> CredentialStore::SecretFor(std::string_view access_key_id) {
  {
    MutexLock lock(mu_);
    auto it = cache_.find(std::string(access_key_id));
    if (it != cache_.end()) return it->second;
  }
  auto got = store_.Get(model::keys::AccessKeyKey(access_key_id));
  if (!got.ok() || !got->has_value()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse((*got)->value, ec);
  if (ec || !v.is_object() || !v.get_object().contains("secretAccessKey")) return std::nullopt;
  std::string secret(v.at("secretAccessKey").get_string());
  MutexLock lock(mu_);
  cache_[std::string(access_key_id)] = secret;
  return secret;
}

Status CredentialStore::Save(const AccessKey& key) {
  json::object record{{"accessKeyId", key.access_key_id},
                      {"secretAccessKey", key.secret_access_key},
                      {"userName", "admin"}};
  std::string k = model::keys::AccessKeyKey(key.access_key_id);
  auto r = store_.Commit(store::Txn{{store::Compare{k, 0}}, {store::Op::Put(k, json::serialize(record))}});
  if (!r.ok()) return r.status();
  MutexLock lock(mu_);
  cache_[key.access_key_id] = key.secret_access_key;
  return Status::OK();
}

Result<AccessKey> CredentialStore::EnsureAdminKey() {
  ASSIGN_OR_RETURN(store::Page page, store_.List(kKeyPrefix, "", 1));
  if (!page.items.empty()) {
    boost::system::error_code ec;
    json::value v = json::parse(page.items[0].value, ec);
    if (ec || !v.is_object()) return Status::Internal("corrupt access key record");
    AccessKey key{std::string(v.at("accessKeyId").get_string()),
                  std::string(v.at("secretAccessKey").get_string())};
    MutexLock lock(mu_);
    cache_[key.access_key_id] = key.secret_access_key;
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
    keys = cache_;
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
