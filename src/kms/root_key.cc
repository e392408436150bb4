#include "kms/root_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/crypto.h"
#include "base/logging.h"
#include "kms/aes_gcm.h"

namespace wharf::kms {
namespace {

std::string MaterialAad(std::string_view key_id, uint32_t version) {
  return "wharf-kms-material:" + std::string(key_id) + ":" + std::to_string(version);
}

Result<std::string> Decode(const std::string& text, const std::string& path) {
  if (text.size() == kKeyBytes) return text;
  std::string hex = text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  if (hex.size() == 2 * kKeyBytes) {
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
      auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument(path + ": not a root key (64 hex digits or 32 bytes)");
      out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
  }
  return Status::InvalidArgument(path + ": not a root key (64 hex digits or 32 bytes)");
}

Status Create(const std::string& path, Random& random) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("create " + tmp + ": " + std::strerror(errno));
  std::string hex = HexEncode(RandomBytes(random, kKeyBytes)) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Unavailable("write " + path + ": " + std::strerror(ok ? errno : saved));
  }
  return Status::OK();
}

}  // namespace

Result<std::string> LoadRootKey(const std::string& path, bool create, Random& random) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !create) return Status::Unavailable("KMS root key " + path + ": " + std::strerror(errno));
    RETURN_IF_ERROR(Create(path, random));
    LOG_INFO("msg=\"KMS root key created\" path={}", path);
  } else if ((st.st_mode & 077) != 0) {
    LOG_WARN("msg=\"KMS root key is readable by others: chmod 600\" path={}", path);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::Unavailable("read KMS root key " + path);
  return Decode(text.str(), path);
}

RootKey::RootKey(std::string path, bool create, Random& random)
    : path_(std::move(path)), create_(create), random_(&random) {}

RootKey::RootKey(std::string key) : key_(std::move(key)) {}

Status RootKey::Preload() {
  MutexLock lock(mu_);
  if (!key_.empty() || path_.empty()) return Status::OK();
  struct stat st {};
  if (create_ && ::stat(path_.c_str(), &st) != 0 && errno == ENOENT) return Status::OK();  // made on first use
  ASSIGN_OR_RETURN(key_, LoadRootKey(path_, false, *random_));
  return Status::OK();
}

Result<std::string> RootKey::Get() {
  MutexLock lock(mu_);
  if (key_.empty()) {
    if (path_.empty()) return Status::Internal("no KMS root key");
    ASSIGN_OR_RETURN(key_, LoadRootKey(path_, create_, *random_));
  }
  return key_;
}

Result<std::string> WrapMaterial(std::string_view root_key, std::string_view key_id, uint32_t version,
                                 std::string_view material, Random& random) {
  std::string iv = RandomBytes(random, kIvBytes);
  ASSIGN_OR_RETURN(auto sealed, Seal(root_key, iv, material, MaterialAad(key_id, version)));
  return iv + sealed;
}

Result<std::string> UnwrapMaterial(std::string_view root_key, std::string_view key_id, uint32_t version,
                                   std::string_view wrapped) {
  if (wrapped.size() < kIvBytes + kTagBytes) return Status::InvalidArgument("wrapped key material too short");
  return Open(root_key, wrapped.substr(0, kIvBytes), wrapped.substr(kIvBytes), MaterialAad(key_id, version));
}

}  // namespace wharf::kms
