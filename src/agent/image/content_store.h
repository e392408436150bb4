// ContentStore: blobs on disk named by their sha256 digest, written only once verified.
//
// Layout under root:
//   blobs/sha256/<hex>   published blobs (manifests, indexes, configs; layers until unpacked)
//   ingest/<random>      writes in progress; cleared by Open
// A Writer hashes what it is given while writing it to an ingest file; Commit checks the
// digest (and size when known) and rename()s the file into place, so a blob that exists
// is always complete and correct. A Writer that is dropped without Commit removes its file.
// Thread-safety: all methods may be called concurrently; two writers of the same digest
// both succeed and the second rename replaces identical content.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/status.h"

namespace wharf::agent {

// Incremental sha256, producing a "sha256:<hex>" digest.
class Digester {
 public:
  void Update(std::string_view bytes);
  std::string Finish();  // once

 private:
  Sha256Hasher hasher_;
};

class ContentStore {
 public:
  class Writer {
   public:
    ~Writer();
    Status Write(std::string_view bytes);
    // Verifies and publishes. `expected_size` < 0 means unknown.
    Status Commit(const std::string& expected_digest, int64_t expected_size);
    // Verifies without publishing: the content stays at path() until the Writer is dropped.
    // For layers, which are unpacked and not kept.
    Status Verify(const std::string& expected_digest, int64_t expected_size);
    const std::string& path() const { return path_; }
    int64_t written() const { return written_; }

   private:
    friend class ContentStore;
    Writer(const ContentStore& store, std::string path, std::FILE* file);
    const ContentStore& store_;
    std::string path_;
    std::FILE* file_;
    Digester digester_;
    int64_t written_ = 0;
    bool committed_ = false;
  };

  // Creates the layout under root and clears ingest/.
  static Result<std::unique_ptr<ContentStore>> Open(const std::string& root);

  bool Has(const std::string& digest) const;
  std::string PathOf(const std::string& digest) const;  // may not exist
  Result<std::string> Read(const std::string& digest) const;
  // Writes small content whose digest the caller computed or expects.
  Status Put(const std::string& digest, std::string_view bytes);
  Result<std::unique_ptr<Writer>> NewWriter();
  Status Remove(const std::string& digest);
  // Digests of every published blob.
  std::vector<std::string> List() const;

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  const std::string root_;
};

}  // namespace wharf::agent
