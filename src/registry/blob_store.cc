#include "registry/blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/crypto.h"
#include "kms/aes_gcm.h"
#include "kms/sealed_blob.h"
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

bool ValidNamespace(std::string_view ns) {
  if (ns.empty() || ns.size() > 64) return false;
  for (char c : ns) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<kms::SealedBlobHeader> ReadSealedHeader(int fd) {
  std::string header(kms::kSealedHeaderBytes, '\0');
  if (::pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return Status::InvalidArgument("sealed blob without a header");
  }
  return kms::ParseSealedBlobHeader(header);
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) return Errno("write sealed blob");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Reads `n` bytes at `offset` (short only at the end of the file).
Result<std::string> ReadAt(int fd, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) return Errno("read sealed blob");
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// Where a sealed upload's records end, how many there are and the plaintext they hold.
struct SealedUploadExtent {
  uint64_t end = kms::kSealedUploadHeaderBytes;
  uint64_t records = 0;
  uint64_t plaintext = 0;
};

Result<SealedUploadExtent> ScanSealedUpload(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("stat sealed upload");
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < kms::kSealedUploadHeaderBytes) return Status::InvalidArgument("sealed upload without a header");
  SealedUploadExtent at;
  while (at.end < file_size) {
    ASSIGN_OR_RETURN(std::string prefix, ReadAt(fd, at.end, 4));
    ASSIGN_OR_RETURN(uint32_t length, kms::SealedUploadCipher::RecordLength(prefix));
    uint64_t next = at.end + kms::kSealedRecordOverhead + length;
    if (next > file_size) return Status::InvalidArgument("torn sealed upload record");
    at.end = next;
    ++at.records;
    at.plaintext += length;
  }
  return at;
}

// A sealed upload's plaintext, read front to back, a record at a time.
class SealedUploadReader {
 public:
  SealedUploadReader(int fd, kms::SealedUploadCipher cipher) : fd_(fd), cipher_(std::move(cipher)) {}
  // The next `n` bytes (fewer at the end).
  Result<std::string> Read(size_t n) {
    while (buffer_.size() - used_ < n) {
      ASSIGN_OR_RETURN(std::string prefix, ReadAt(fd_, offset_, 4));
      if (prefix.empty()) break;
      ASSIGN_OR_RETURN(uint32_t length, kms::SealedUploadCipher::RecordLength(prefix));
      ASSIGN_OR_RETURN(std::string record, ReadAt(fd_, offset_, kms::kSealedRecordOverhead + length));
      ASSIGN_OR_RETURN(std::string plain, cipher_.OpenRecord(index_++, record));
      offset_ += record.size();
      buffer_.erase(0, used_);
      used_ = 0;
      buffer_.append(plain);
    }
    size_t take = std::min(n, buffer_.size() - used_);
    std::string out = buffer_.substr(used_, take);
    used_ += take;
    return out;
  }

 private:
  const int fd_;
  const kms::SealedUploadCipher cipher_;
  uint64_t offset_ = kms::kSealedUploadHeaderBytes;
  uint64_t index_ = 0;
  std::string buffer_;
  size_t used_ = 0;
};

// Decrypts a range of a sealed blob a few chunks at a time, as the connection sends it.
class SealedSource final : public net::BodySource {
 public:
  SealedSource(int fd, kms::SealedBlobCipher cipher, uint64_t offset, uint64_t length)
      : fd_(fd), cipher_(std::move(cipher)), chunk_(offset / cipher_.header().chunk_size),
        skip_(offset % cipher_.header().chunk_size), left_(length) {}
  ~SealedSource() override { ::close(fd_); }

  Result<std::string> Next() override {
    constexpr int kChunksPerPiece = 4;
    const kms::SealedBlobHeader& h = cipher_.header();
    std::string out;
    for (int i = 0; i < kChunksPerPiece && left_ > 0 && chunk_ < h.chunk_count(); ++i, ++chunk_) {
      size_t sealed_size = h.ChunkPlainSize(chunk_) + kms::kTagBytes;
      ASSIGN_OR_RETURN(std::string sealed, ReadAt(fd_, h.ChunkOffset(chunk_), sealed_size));
      ASSIGN_OR_RETURN(std::string plain, cipher_.OpenChunk(chunk_, sealed));
      std::string_view part(plain);
      part.remove_prefix(std::min<size_t>(skip_, part.size()));
      skip_ = 0;
      part = part.substr(0, static_cast<size_t>(std::min<uint64_t>(part.size(), left_)));
      left_ -= part.size();
      out.append(part);
    }
    return out;
  }

 private:
  const int fd_;
  const kms::SealedBlobCipher cipher_;
  uint64_t chunk_;
  uint64_t skip_;
  uint64_t left_;
};

}  // namespace

std::string BlobStore::SealedPathOf(std::string_view ns, std::string_view digest) const {
  std::string hex(digest.substr(7));
  return root_ + "/sealed/" + std::string(ns) + "/" + hex.substr(0, 2) + "/" + hex;
}

std::optional<int64_t> BlobStore::SealedSize(std::string_view ns, std::string_view digest) const {
  if (!oci::IsDigest(digest) || !ValidNamespace(ns)) return std::nullopt;
  Fd f(::open(SealedPathOf(ns, digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return std::nullopt;
  auto header = ReadSealedHeader(f.fd);
  if (!header.ok()) return std::nullopt;
  return static_cast<int64_t>(header->plaintext_size);
}

Status BlobStore::FinishSealedUpload(std::string_view uuid, std::string_view digest, std::string_view ns,
                                     std::string_view data_key) {
  ASSIGN_OR_RETURN(int64_t size, UploadSize(uuid));
  if (!oci::IsDigest(digest) || !ValidNamespace(ns)) {
    CancelUpload(uuid);
    return Status::InvalidArgument("invalid digest '" + std::string(digest) + "'");
  }
  const bool sealed_upload = IsSealedUpload(uuid);
  std::string plain_path = sealed_upload ? SealedUploadPath(uuid) : UploadPath(uuid);
  std::string sealed_path = UploadPath(uuid) + ".sealed";
  Fd in(::open(plain_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return Errno("seal upload");
  std::optional<SealedUploadReader> records;
  if (sealed_upload) {
    ASSIGN_OR_RETURN(std::string header, ReadAt(in.fd, 0, kms::kSealedUploadHeaderBytes));
    ASSIGN_OR_RETURN(auto cipher, kms::SealedUploadCipher::For(data_key, header));
    records.emplace(in.fd, std::move(cipher));
  }
  Fd out(::open(sealed_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.fd < 0) return Errno("seal upload");
  // Hashed and sealed in one pass; a mismatch throws the sealed copy away.
  kms::SealedBlobCipher cipher(data_key, kms::NewSealedBlobHeader(static_cast<uint64_t>(size), random_));
  const kms::SealedBlobHeader& h = cipher.header();
  Sha256Hasher hasher;
  std::string pending = kms::EncodeSealedBlobHeader(h);
  Status failed;
  for (uint64_t i = 0; i < h.chunk_count() && failed.ok(); ++i) {
    auto plain = records ? records->Read(h.ChunkPlainSize(i)) : ReadAt(in.fd, i * h.chunk_size, h.ChunkPlainSize(i));
    if (!plain.ok() || plain->size() != h.ChunkPlainSize(i)) {
      failed = plain.ok() ? Status::Unavailable("upload changed while sealing") : plain.status();
      break;
    }
    hasher.Update(*plain);
    auto sealed = cipher.SealChunk(i, *plain);
    if (!sealed.ok()) failed = sealed.status();
    else pending.append(*sealed);
    if (failed.ok() && pending.size() >= (1u << 20)) {
      failed = WriteAll(out.fd, pending);
      pending.clear();
    }
  }
  if (failed.ok()) failed = WriteAll(out.fd, pending);
  std::string actual = "sha256:" + HexEncode(hasher.Finish());
  if (failed.ok() && actual != digest) {
    failed = Status::InvalidArgument("provided digest did not match uploaded content (computed " + actual + ")");
  }
  if (failed.ok() && ::fsync(out.fd) != 0) failed = Errno("fsync sealed blob");
  ::unlink(plain_path.c_str());
  if (!failed.ok()) {
    ::unlink(sealed_path.c_str());
    return failed;
  }
  std::string target = SealedPathOf(ns, digest);
  // Garbage collection removes empty directories: one it removed between the two calls is
  // made again.
  for (int attempt = 0;; ++attempt) {
    std::error_code ec;
    fs::create_directories(fs::path(target).parent_path(), ec);
    if (std::rename(sealed_path.c_str(), target.c_str()) == 0) break;
    if (errno != ENOENT || attempt == 3) {
      Status st = Errno("publish sealed blob");
      ::unlink(sealed_path.c_str());
      return st;
    }
  }
  return FsyncPath(fs::path(target).parent_path().string(), true);
}

Result<std::shared_ptr<net::BodySource>> BlobStore::OpenSealed(std::string_view ns, std::string_view digest,
                                                              std::string_view data_key, int64_t offset,
                                                              int64_t length) const {
  if (!oci::IsDigest(digest) || !ValidNamespace(ns)) return Status::NotFound("blob " + std::string(digest));
  int fd = ::open(SealedPathOf(ns, digest).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("blob " + std::string(digest));
  auto header = ReadSealedHeader(fd);
  if (!header.ok()) {
    ::close(fd);
    return header.status();
  }
  return std::shared_ptr<net::BodySource>(std::make_shared<SealedSource>(
      fd, kms::SealedBlobCipher(data_key, *header), static_cast<uint64_t>(offset), static_cast<uint64_t>(length)));
}

Result<std::vector<BlobStore::SealedEntry>> BlobStore::ListSealed() const {
  std::vector<SealedEntry> out;
  std::error_code ec;
  for (const auto& ns : fs::directory_iterator(fs::path(root_) / "sealed", ec)) {
    std::error_code inner;
    for (const auto& shard : fs::directory_iterator(ns.path(), inner)) {
      for (const auto& file : fs::directory_iterator(shard.path(), inner)) {
        std::string digest = "sha256:" + file.path().filename().string();
        if (!oci::IsDigest(digest)) continue;
        struct stat st;
        if (::stat(file.path().c_str(), &st) != 0) continue;
        out.push_back({ns.path().filename().string(), digest, std::chrono::system_clock::from_time_t(st.st_mtime)});
      }
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return Status::Unavailable("list sealed blobs: " + ec.message());
  return out;
}

Status BlobStore::DeleteSealed(std::string_view ns, std::string_view digest) {
  if (!ValidNamespace(ns) || !oci::IsDigest(digest)) return Status::OK();
  std::string path = SealedPathOf(ns, digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("delete sealed blob");
  // The shard and the namespace go when they are left empty (rmdir refuses otherwise); a
  // concurrent FinishSealedUpload makes them again.
  fs::path shard = fs::path(path).parent_path();
  if (::rmdir(shard.c_str()) == 0) ::rmdir(shard.parent_path().c_str());
  return Status::OK();
}

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

std::string BlobStore::SealedUploadPath(std::string_view uuid) const { return UploadPath(uuid) + ".wsu"; }

Result<std::string> BlobStore::StartSealedUpload(std::string_view data_key) {
  std::string uuid = RandomUuid(random_);
  Fd f(::open(SealedUploadPath(uuid).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (f.fd < 0) return Errno("start upload");
  RETURN_IF_ERROR(WriteAll(f.fd, kms::NewSealedUploadHeader(data_key, random_)));
  return uuid;
}

bool BlobStore::IsSealedUpload(std::string_view uuid) const {
  struct stat st;
  return ValidUuid(uuid) && ::stat(SealedUploadPath(uuid).c_str(), &st) == 0;
}

Result<int64_t> BlobStore::UploadSize(std::string_view uuid) const {
  struct stat st;
  if (!ValidUuid(uuid)) return Status::NotFound("upload " + std::string(uuid));
  if (::stat(UploadPath(uuid).c_str(), &st) == 0) return static_cast<int64_t>(st.st_size);
  Fd f(::open(SealedUploadPath(uuid).c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return Status::NotFound("upload " + std::string(uuid));
  ASSIGN_OR_RETURN(SealedUploadExtent extent, ScanSealedUpload(f.fd));
  return static_cast<int64_t>(extent.plaintext);
}

Status BlobStore::AppendSealed(std::string_view uuid, std::string_view data_key, const std::string& spool_file,
                               std::string_view bytes) {
  if (!ValidUuid(uuid)) return Status::NotFound("upload " + std::string(uuid));
  Fd out(::open(SealedUploadPath(uuid).c_str(), O_RDWR | O_CLOEXEC));
  if (out.fd < 0) return Status::NotFound("upload " + std::string(uuid));
  // One appender at a time: record indexes are counted from what is on disk.
  if (::flock(out.fd, LOCK_EX) != 0) return Errno("lock upload");
  ASSIGN_OR_RETURN(std::string header, ReadAt(out.fd, 0, kms::kSealedUploadHeaderBytes));
  ASSIGN_OR_RETURN(auto cipher, kms::SealedUploadCipher::For(data_key, header));
  ASSIGN_OR_RETURN(SealedUploadExtent extent, ScanSealedUpload(out.fd));
  std::optional<Fd> in;
  if (!spool_file.empty()) {
    in.emplace(::open(spool_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in->fd < 0) return Errno("open spooled body");
  }
  uint64_t end = extent.end, index = extent.records, read_at = 0;
  Status failed;
  for (;;) {
    std::string piece;
    if (in) {
      auto got = ReadAt(in->fd, read_at, kms::kSealedRecordMaxBytes);
      if (!got.ok()) {
        failed = got.status();
        break;
      }
      piece = std::move(*got);
      read_at += piece.size();
    } else {
      piece = std::string(bytes.substr(0, kms::kSealedRecordMaxBytes));
      bytes.remove_prefix(piece.size());
    }
    if (piece.empty()) break;
    auto record = cipher.SealRecord(index++, piece, random_);
    if (!record.ok()) {
      failed = record.status();
      break;
    }
    for (std::string_view rest = *record; !rest.empty() && failed.ok();) {
      ssize_t n = ::pwrite(out.fd, rest.data(), rest.size(), static_cast<off_t>(end));
      if (n < 0) failed = Errno("append upload");
      else {
        rest.remove_prefix(static_cast<size_t>(n));
        end += static_cast<uint64_t>(n);
      }
    }
    if (!failed.ok()) break;
  }
  if (!failed.ok()) {
    if (::ftruncate(out.fd, static_cast<off_t>(extent.end)) != 0) {
      return Errno("truncate upload after " + failed.message());
    }
    return failed;
  }
  if (in) ::unlink(spool_file.c_str());
  return Status::OK();
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
  if (IsSealedUpload(uuid)) {  // begun in a KMS repository, finished in another
    CancelUpload(uuid);
    return Status::InvalidArgument("the upload was started in a repository encrypted with KMS");
  }
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
  if (!ValidUuid(uuid)) return;
  ::unlink(UploadPath(uuid).c_str());
  ::unlink(SealedUploadPath(uuid).c_str());
}

}  // namespace wharf::registry
