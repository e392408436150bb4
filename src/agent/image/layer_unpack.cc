#include "agent/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "agent/image/content_store.h"

namespace wharf::agent {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kMetaPrefix = ".wh..wh.";

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string ArchiveError(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

// "./a//b/" -> "a/b"; nullopt when a component is "..". "" is the layer root.
std::optional<std::string> CleanPath(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view c = path.substr(i, end - i);
    if (c == "..") return std::nullopt;
    if (!c.empty() && c != ".") {
      if (!out.empty()) out += '/';
      out += c;
    }
    i = end + 1;
  }
  return out;
}

// The uncompressed stream: reads from the decompressing reader and hashes as it goes.
struct DecompressedSource {
  archive* raw;
  Digester digester;
  char buffer[64 * 1024];
  bool failed = false;
};

la_ssize_t ReadDecompressed(archive* a, void* client, const void** out) {
  auto* src = static_cast<DecompressedSource*>(client);
  la_ssize_t n = archive_read_data(src->raw, src->buffer, sizeof src->buffer);
  if (n < 0) {
    src->failed = true;
    archive_set_error(a, EIO, "decompress layer: %s", ArchiveError(src->raw).c_str());
    return -1;
  }
  src->digester.Update(std::string_view(src->buffer, static_cast<size_t>(n)));
  *out = src->buffer;
  return n;
}

// Creates the directories of `rel` under `dest` that are missing, refusing symlinks.
Status EnsureDirectory(const std::string& dest, const std::string& rel) {
  std::string path = dest;
  size_t i = 0;
  while (i < rel.size()) {
    size_t end = rel.find('/', i);
    if (end == std::string::npos) end = rel.size();
    path += "/" + rel.substr(i, end - i);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (::mkdir(path.c_str(), 0755) != 0) {
        return Status::Internal("mkdir " + path + ": " + std::strerror(errno));
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("layer path " + rel + " goes through a non-directory");
    }
    i = end + 1;
  }
  return Status::OK();
}

// Drops xattrs a layer must not set itself.
void FilterXattrs(archive_entry* entry) {
  if (archive_entry_xattr_reset(entry) == 0) return;
  struct Xattr {
    std::string name;
    std::string value;
  };
  std::vector<Xattr> kept;
  bool dropped = false;
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(name).rfind("trusted.overlay.", 0) == 0) {
      dropped = true;
      continue;
    }
    kept.push_back({name, std::string(static_cast<const char*>(value), size)});
  }
  if (!dropped) return;
  archive_entry_xattr_clear(entry);
  for (const auto& x : kept) {
    archive_entry_xattr_add_entry(entry, x.name.c_str(), x.value.data(), x.value.size());
  }
}

class Unpacker {
 public:
  Unpacker(archive* tar, archive* disk, std::string dest)
      : tar_(tar), disk_(disk), dest_(std::move(dest)) {}

  Status Run() {
    for (;;) {
      archive_entry* entry;
      int r = archive_read_next_header(tar_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return Status::InvalidArgument("read layer: " + ArchiveError(tar_));
      RETURN_IF_ERROR(Entry(entry));
    }
    if (archive_write_close(disk_) != ARCHIVE_OK) {
      return Status::Internal("finish layer: " + ArchiveError(disk_));
    }
    for (const auto& dir : opaque_dirs_) {
      RETURN_IF_ERROR(EnsureDirectory(dest_, dir));
      std::string path = dir.empty() ? dest_ : dest_ + "/" + dir;
      if (::lsetxattr(path.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
        return Status::Internal("mark " + path + " opaque: " + std::strerror(errno));
      }
    }
    return Status::OK();
  }

 private:
  Status Entry(archive_entry* entry) {
    const char* raw_path = archive_entry_pathname(entry);
    auto path = CleanPath(raw_path ? raw_path : "");
    if (!path) return Status::InvalidArgument(std::string("layer path escapes: ") + raw_path);
    const size_t slash = path->rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path->substr(0, slash);
    const std::string base = slash == std::string::npos ? *path : path->substr(slash + 1);

    if (base == kOpaqueMarker) {
      opaque_dirs_.push_back(parent);
      return Status::OK();
    }
    if (base.rfind(kMetaPrefix, 0) == 0) return Status::OK();
    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      const std::string name = base.substr(kWhiteoutPrefix.size());
      if (name.empty() || name == "." || name == "..") {
        return Status::InvalidArgument("bad whiteout " + *path);
      }
      EntryPtr whiteout(archive_entry_new());
      const std::string target = dest_ + "/" + (parent.empty() ? "" : parent + "/") + name;
      archive_entry_set_pathname(whiteout.get(), target.c_str());
      archive_entry_set_filetype(whiteout.get(), AE_IFCHR);
      archive_entry_set_perm(whiteout.get(), 0);
      archive_entry_set_rdev(whiteout.get(), 0);
      archive_entry_set_uid(whiteout.get(), archive_entry_uid(entry));
      archive_entry_set_gid(whiteout.get(), archive_entry_gid(entry));
      archive_entry_set_mtime(whiteout.get(), archive_entry_mtime(entry), 0);
      return Write(whiteout.get(), /*with_data=*/false);
    }

    const std::string target = path->empty() ? dest_ : dest_ + "/" + *path;
    archive_entry_set_pathname(entry, target.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      auto link_path = CleanPath(link);
      if (!link_path || link_path->empty()) {
        return Status::InvalidArgument(std::string("hardlink escapes the layer: ") + link);
      }
      archive_entry_set_hardlink(entry, (dest_ + "/" + *link_path).c_str());
    }
    FilterXattrs(entry);
    return Write(entry, /*with_data=*/true);
  }

  Status Write(archive_entry* entry, bool with_data) {
    int r = archive_write_header(disk_, entry);
    if (r < ARCHIVE_WARN) {
      return Status::InvalidArgument(std::string("unpack ") + archive_entry_pathname(entry) +
                                     ": " + ArchiveError(disk_));
    }
    if (with_data && archive_entry_size(entry) > 0) {
      for (;;) {
        const void* buf;
        size_t size;
        la_int64_t offset;
        r = archive_read_data_block(tar_, &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return Status::InvalidArgument("read layer: " + ArchiveError(tar_));
        if (archive_write_data_block(disk_, buf, size, offset) < ARCHIVE_WARN) {
          return Status::Internal(std::string("write ") + archive_entry_pathname(entry) + ": " +
                                  ArchiveError(disk_));
        }
      }
    }
    if (archive_write_finish_entry(disk_) < ARCHIVE_WARN) {
      return Status::Internal(std::string("finish ") + archive_entry_pathname(entry) + ": " +
                              ArchiveError(disk_));
    }
    return Status::OK();
  }

  archive* const tar_;
  archive* const disk_;
  const std::string dest_;
  std::vector<std::string> opaque_dirs_;
};

}  // namespace

Status UnpackLayer(const std::string& blob_path, const std::string& dest,
                   const std::string& diff_id) {
  // Two readers: `raw` undoes the compression (whatever it is), `tar` reads the entries from
  // what `raw` yields, so the uncompressed bytes can be hashed for the diff ID on the way.
  ArchivePtr raw(archive_read_new());
  archive_read_support_filter_all(raw.get());
  archive_read_support_format_raw(raw.get());
  if (archive_read_open_filename(raw.get(), blob_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::Internal("open layer " + blob_path + ": " + ArchiveError(raw.get()));
  }
  auto source = std::make_unique<DecompressedSource>();
  source->raw = raw.get();
  archive_entry* raw_entry;
  const int first = archive_read_next_header(raw.get(), &raw_entry);
  if (first != ARCHIVE_OK && first != ARCHIVE_EOF) {
    return Status::InvalidArgument("layer " + blob_path + ": " + ArchiveError(raw.get()));
  }

  ArchivePtr disk(archive_write_disk_new());
  // Numeric owners (no name lookup: the image's /etc/passwd is not the host's).
  archive_write_disk_set_options(
      disk.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                      ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                      ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  if (first == ARCHIVE_OK) {
    ArchivePtr tar(archive_read_new());
    archive_read_support_format_tar(tar.get());
    archive_read_support_format_gnutar(tar.get());
    if (archive_read_open(tar.get(), source.get(), nullptr, ReadDecompressed, nullptr) !=
        ARCHIVE_OK) {
      return Status::InvalidArgument("layer " + blob_path + " is not a tar: " +
                                     ArchiveError(tar.get()));
    }
    RETURN_IF_ERROR(Unpacker(tar.get(), disk.get(), dest).Run());
    // The tar reader stops at the end-of-archive blocks; the rest of the stream (padding)
    // still belongs to the diff ID.
    const void* unused;
    while (ReadDecompressed(tar.get(), source.get(), &unused) > 0) {
    }
    if (source->failed) return Status::InvalidArgument("decompress layer " + blob_path);
  }
  const std::string actual = source->digester.Finish();
  if (!diff_id.empty() && actual != diff_id) {
    return Status::InvalidArgument("layer diff ID mismatch: the config says " + diff_id +
                                   ", the layer is " + actual);
  }
  return Status::OK();
}

}  // namespace wharf::agent
