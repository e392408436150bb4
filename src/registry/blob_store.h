// BlobStore: content-addressed blobs on local disk, and the uploads that become them.
//
//   <root>/blobs/sha256/<first two hex>/<hex>   one file per blob, immutable once there
//   <root>/uploads/<uuid>                       an upload in progress
//   <root>/uploads/<uuid>.wsu                   an upload in progress to a KMS repository,
//                                               sealed as it arrives (kms/sealed_blob.h)
//   <root>/sealed/<namespace>/<first two>/<hex> a blob of a repository encrypted with KMS:
//                                               kms/sealed_blob.h's chunks under that
//                                               repository's data key; one namespace per
//                                               repository (docs/ARCHITECTURE.md, "Blobs
//                                               encrypted with KMS")
//
// A blob appears only by rename() of a complete upload whose content hashed to the
// digest, after an fsync: a crash mid-upload leaves at most an upload file, and Open()
// removes those (clients restart interrupted uploads). Uploads live as long as the
// process; several servers do not share them.
//
// Thread-safety: all methods may be called concurrently; one upload is appended to by one
// request at a time (the distribution protocol is sequential per upload).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "net/http_server.h"

namespace wharf::registry {

class BlobStore {
 public:
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& root, Random& random);

  std::optional<int64_t> Size(std::string_view digest) const;
  std::string PathOf(std::string_view digest) const;
  Result<std::string> ReadRange(std::string_view digest, int64_t offset, int64_t length) const;
  Result<std::string> ReadAll(std::string_view digest) const;
  Status Delete(std::string_view digest);
  struct Entry {
    std::string digest;
    std::chrono::system_clock::time_point modified;
  };
  Result<std::vector<Entry>> List() const;

  // Sealed blobs. `ns` is a repository's namespace (hex), `data_key` its plaintext data key.
  std::string SealedPathOf(std::string_view ns, std::string_view digest) const;
  // The plaintext size, read from the file's header.
  std::optional<int64_t> SealedSize(std::string_view ns, std::string_view digest) const;
  // Like FinishUpload, but the blob is written sealed (hashed and encrypted in one pass) and
  // the plaintext upload removed.
  Status FinishSealedUpload(std::string_view uuid, std::string_view digest, std::string_view ns,
                            std::string_view data_key);
  // Plaintext bytes [offset, offset + length) of a sealed blob, decrypted as they are sent.
  // NotFound when absent; InvalidArgument when its header is not one.
  Result<std::shared_ptr<net::BodySource>> OpenSealed(std::string_view ns, std::string_view digest,
                                                     std::string_view data_key, int64_t offset, int64_t length) const;
  struct SealedEntry {
    std::string ns;
    std::string digest;
    std::chrono::system_clock::time_point modified;
  };
  Result<std::vector<SealedEntry>> ListSealed() const;
  Status DeleteSealed(std::string_view ns, std::string_view digest);

  // Uploads. NotFound for an unknown uuid.
  Result<std::string> StartUpload();
  // An upload to a KMS repository: what is appended is sealed under `data_key` before it is
  // written (AppendSealed), and FinishSealedUpload opens it again as it seals the blob.
  Result<std::string> StartSealedUpload(std::string_view data_key);
  bool IsSealedUpload(std::string_view uuid) const;
  // The plaintext size of either kind.
  Result<int64_t> UploadSize(std::string_view uuid) const;
  // Appends a spooled body (consumed) or else `bytes` to a sealed upload, in records of at most
  // 1 MiB; a failure leaves the upload as it was. NotFound when the upload is sealed under
  // another key (begun in another repository).
  Status AppendSealed(std::string_view uuid, std::string_view data_key, const std::string& spool_file,
                      std::string_view bytes);
  // Appends a spooled request body (the spool file is consumed).
  Status AppendFile(std::string_view uuid, const std::string& spool_file);
  Status AppendBytes(std::string_view uuid, std::string_view bytes);
  // Moves the upload into place as `digest`; InvalidArgument when the content does not
  // hash to it (the upload is then discarded).
  Status FinishUpload(std::string_view uuid, std::string_view digest);
  // Stores `bytes` as a blob directly (manifests pushed through the ECR API).
  Status PutBytes(std::string_view digest, std::string_view bytes);
  void CancelUpload(std::string_view uuid);
  // Removes uploads untouched for longer than `age` (abandoned pushes). Returns how many.
  int ExpireUploads(std::chrono::seconds age);

 private:
  BlobStore(std::string root, Random& random) : root_(std::move(root)), random_(random) {}
  std::string UploadPath(std::string_view uuid) const;
  std::string SealedUploadPath(std::string_view uuid) const;
  Status Commit(const std::string& file, std::string_view digest);

  const std::string root_;
  Random& random_;
};

}  // namespace wharf::registry
