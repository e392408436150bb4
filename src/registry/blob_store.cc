#include "registry/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/crypto.h"
#include "oci/manifest.h"

namespace wharf::registry {
namespace fs = std::filesystem;

namespace {

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + std::strerror(errno));
}

Result<std::string> Sha256OfFile(const std::string& path) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return Errno("open " + path);
  Sha256Hasher hasher;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(f.fd, buf.data(), buf.size());
    if (n < 0) return Errno("read " + path);
    if (n == 0) break;
    hasher.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  return "sha256:" + HexEncode(hasher.Finish());
}

Status FsyncPath(const std::string& path, bool directory) {
  Fd f(::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (f.fd < 0 || ::fsync(f.fd) != 0) return Errno("fsync " + path);
  return Status::OK();
}

bool ValidUuid(std::string_view uuid) {
  if (uuid.empty() || uuid.size() > 64) return false;
  for (char c : uuid) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& root, Random& random) {
  std::error_code ec;
  fs::remove_all(fs::path(root) / "uploads", ec);  // interrupted uploads: clients start again
  fs::create_directories(fs::path(root) / "uploads", ec);
  if (!ec) fs::create_directories(fs::path(root) / "blobs" / "sha256", ec);
  if (ec) return Status::Unavailable("create " + root + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new BlobStore(root, random));
}

std::string BlobStore::PathOf(std::string_view digest) const {
  std::string hex(digest.substr(7));
  return root_ + "/blobs/sha256/" + hex.substr(0, 2) + "/" + hex;
}

std::optional<int64_t> BlobStore::Size(std::string_view digest) const {
  if (!oci::IsDigest(digest)) return std::nullopt;
  struct stat st;
  if (::stat(PathOf(digest).c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.st_size);
}

Result<std::string> BlobStore::ReadRange(std::string_view digest, int64_t offset, int64_t length) const {
  Fd f(::open(PathOf(digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return Status::NotFound("blob " + std::string(digest));
  std::string out(static_cast<size_t>(length), '\0');
  ssize_t n = ::pread(f.fd, out.data(), out.size(), offset);
  if (n < 0) return Errno("read blob");
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> BlobStore::ReadAll(std::string_view digest) const {
  auto size = Size(digest);
  if (!size) return Status::NotFound("blob " + std::string(digest));
  return ReadRange(digest, 0, *size);
}

Status BlobStore::Delete(std::string_view digest) {
  if (::unlink(PathOf(digest).c_str()) != 0 && errno != ENOENT) return Errno("delete blob");
  return Status::OK();
}

Result<std::vector<BlobStore::Entry>> BlobStore::List() const {
  std::vector<Entry> out;
  std::error_code ec;
  for (const auto& shard : fs::directory_iterator(fs::path(root_) / "blobs" / "sha256", ec)) {
    for (const auto& file : fs::directory_iterator(shard.path(), ec)) {
      std::string digest = "sha256:" + file.path().filename().string();
      if (!oci::IsDigest(digest)) continue;
      struct stat st;
      if (::stat(file.path().c_str(), &st) != 0) continue;
      out.push_back({digest, std::chrono::system_clock::from_time_t(st.st_mtime)});
    }
  }
  if (ec) return Status::Unavailable("list blobs: " + ec.message());
  return out;
}

std::string BlobStore::UploadPath(std::string_view uuid) const {
  return root_ + "/uploads/" + std::string(uuid);
}

Result<std::string> BlobStore::StartUpload() {
  std::string uuid = RandomUuid(random_);
  Fd f(::open(UploadPath(uuid).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (f.fd < 0) return Errno("start upload");
  return uuid;
}

Result<int64_t> BlobStore::UploadSize(std::string_view uuid) const {
  struct stat st;
  if (!ValidUuid(uuid) || ::stat(UploadPath(uuid).c_str(), &st) != 0) {
    return Status::NotFound("upload " + std::string(uuid));
  }
  return static_cast<int64_t>(st.st_size);
}

Status BlobStore::AppendFile(std::string_view uuid, const std::string& spool_file) {
  ASSIGN_OR_RETURN(int64_t size, UploadSize(uuid));
  std::string target = UploadPath(uuid);
  if (size == 0) {  // the usual case, one body for the whole blob: no copy at all
    if (std::rename(spool_file.c_str(), target.c_str()) != 0) return Errno("append upload");
    return Status::OK();
  }
  Fd in(::open(spool_file.c_str(), O_RDONLY | O_CLOEXEC));
  // copy_file_range refuses O_APPEND descriptors: write at the explicit end instead.
  Fd out(::open(target.c_str(), O_WRONLY | O_CLOEXEC));
  if (in.fd < 0 || out.fd < 0) return Errno("append upload");
  loff_t end = size;
  for (;;) {
    ssize_t n = ::copy_file_range(in.fd, nullptr, out.fd, &end, 1 << 30, 0);
    if (n < 0) return Errno("append upload");
    if (n == 0) break;
  }
  ::unlink(spool_file.c_str());
  return Status::OK();
}

Status BlobStore::AppendBytes(std::string_view uuid, std::string_view bytes) {
  RETURN_IF_ERROR(UploadSize(uuid).status());
  Fd out(::open(UploadPath(uuid).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (out.fd < 0) return Errno("append upload");
  while (!bytes.empty()) {
    ssize_t n = ::write(out.fd, bytes.data(), bytes.size());
    if (n < 0) return Errno("append upload");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status BlobStore::Commit(const std::string& file, std::string_view digest) {
  ASSIGN_OR_RETURN(std::string actual, Sha256OfFile(file));
  if (actual != digest) {
    ::unlink(file.c_str());
    return Status::InvalidArgument("provided digest did not match uploaded content (computed " +
                                   actual + ")");
  }
  RETURN_IF_ERROR(FsyncPath(file, false));
  std::string target = PathOf(digest);
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  if (std::rename(file.c_str(), target.c_str()) != 0) return Errno("publish blob");
  return FsyncPath(fs::path(target).parent_path().string(), true);
}

Status BlobStore::FinishUpload(std::string_view uuid, std::string_view digest) {
  RETURN_IF_ERROR(UploadSize(uuid).status());
  if (!oci::IsDigest(digest)) {
    CancelUpload(uuid);
    return Status::InvalidArgument("invalid digest '" + std::string(digest) + "'");
  }
  return Commit(UploadPath(uuid), digest);
}

Status BlobStore::PutBytes(std::string_view digest, std::string_view bytes) {
  if (Size(digest)) return Status::OK();
  ASSIGN_OR_RETURN(std::string uuid, StartUpload());
  RETURN_IF_ERROR(AppendBytes(uuid, bytes));
  return FinishUpload(uuid, digest);
}

int BlobStore::ExpireUploads(std::chrono::seconds age) {
  int removed = 0;
  std::error_code ec;
  auto cutoff = std::chrono::system_clock::now() - age;
  for (const auto& file : fs::directory_iterator(fs::path(root_) / "uploads", ec)) {
    struct stat st;
    if (::stat(file.path().c_str(), &st) != 0) continue;
    if (std::chrono::system_clock::from_time_t(st.st_mtime) < cutoff && ::unlink(file.path().c_str()) == 0) ++removed;
  }
  return removed;
}

void BlobStore::CancelUpload(std::string_view uuid) {
  if (ValidUuid(uuid)) ::unlink(UploadPath(uuid).c_str());
}

}  // namespace wharf::registry
