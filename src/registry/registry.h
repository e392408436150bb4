// Registry: ECR's repositories and images, shared by the OCI distribution endpoint
// (/v2/) and the ECR API. Metadata lives in the Store, blob bytes in the BlobStore.
//
// Keys (docs/STATE.md; a repository name's '/' is written ':' so prefixes never overlap):
//   ecr/repositories/<repo>            {repository: <Repository shape>, tags, policyText,
//                                       lifecyclePolicyText, lifecycleEvaluatedAt}
//   ecr/images/<repo>/<digest>         ImageRecord as JSON (manifest bytes included)
//   ecr/tags/<repo>/<tag>              {digest}
//   ecr/blob-links/<repo>/<digest>     {}: the blob was pushed or mounted into <repo>
//   ecr/token-key                      {key}: signs registry passwords
//
// Thread-safety: all methods may be called from any thread. A manifest push and garbage
// collection exclude each other (gc_mu_), so a collection never removes a blob that a
// manifest being committed refers to.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "registry/blob_store.h"
#include "store/store.h"

namespace wharf::registry {

struct ImageRecord {
  std::string digest;
  std::string media_type;
  std::string artifact_type;
  std::string manifest;  // the bytes as pushed
  double pushed_at = 0;  // epoch seconds
  int64_t size = 0;      // config + layers, as ECR's imageSizeInBytes
  std::vector<std::string> blobs;
  std::string subject;  // digest, for the referrers API
  std::vector<std::string> tags;  // filled by the readers

  bool is_index() const;
};

// Why a registry operation failed, in the words both front ends translate.
enum class RegistryError {
  kRepositoryNotFound,
  kImageNotFound,
  kBlobUnknown,        // a manifest refers to a blob the repository lacks
  kManifestInvalid,
  kDigestInvalid,
  kTagImmutable,       // IMMUTABLE repository and the tag exists
  kTagInvalid,         // not [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
};

struct Failure {
  RegistryError error;
  std::string message;
};

template <typename T>
using Outcome = std::variant<T, Failure, Status>;  // Status: store or disk trouble

struct RegistryOptions {
  std::string region, account_id;
  std::string host;  // what repositoryUri starts with: "127.0.0.1:4566"
  std::chrono::seconds gc_grace{600};  // unreferenced blobs younger than this are kept
};

class Registry {
 public:
  Registry(RegistryOptions options, store::Store& store, BlobStore& blobs, Clock& clock)
      : options_(std::move(options)), store_(store), blobs_(blobs), clock_(clock) {}

  const RegistryOptions& options() const { return options_; }
  // Set once at startup, before any request, when the listener picked its port.
  void set_host(std::string host) { options_.host = std::move(host); }
  BlobStore& blobs() { return blobs_; }
  store::Store& store() { return store_; }

  static std::string RepositoryKey(std::string_view repo);
  static std::string ImagePrefix(std::string_view repo);
  static std::string TagPrefix(std::string_view repo);
  static std::string LinkKey(std::string_view repo, std::string_view digest);

  // The stored repository record, or empty.
  Result<std::optional<std::pair<boost::json::object, int64_t>>> Repository(std::string_view repo);

  // Stores a manifest under a tag or digest reference. Returns the digest.
  Outcome<std::string> PutManifest(std::string_view repo, std::string_view reference,
                                   std::string_view bytes, std::string_view content_type);
  // A tag or digest -> the image.
  Outcome<ImageRecord> Resolve(std::string_view repo, std::string_view reference);
  // Every image of the repository with its tags, in digest order.
  Result<std::vector<ImageRecord>> Images(std::string_view repo);
  Result<std::vector<std::string>> Tags(std::string_view repo);  // sorted
  // Removes the image and every tag on it.
  Outcome<bool> DeleteImage(std::string_view repo, std::string_view digest);
  // Removes one tag; the image stays (untagged).
  Outcome<bool> Untag(std::string_view repo, std::string_view tag);

  bool BlobInRepository(std::string_view repo, std::string_view digest);
  Status LinkBlob(std::string_view repo, std::string_view digest);
  Status UnlinkBlob(std::string_view repo, std::string_view digest);

  // Deletes every blob no manifest refers to (older than the grace, or all with
  // `ignore_grace`). Returns how many went.
  Result<int> CollectGarbage(bool ignore_grace);
  // Applies the repository's lifecycle policy now; returns the expired digests.
  Result<std::vector<std::string>> ApplyLifecyclePolicy(std::string_view repo);

  // Removes all of a repository's images, tags and links (DeleteRepository with force).
  Status DropRepositoryContents(std::string_view repo);

  // The password `aws ecr get-login-password` prints, valid for 12 hours.
  Result<std::string> IssuePassword(std::string_view access_key_id,
                                    std::chrono::system_clock::time_point expires);
  // The access key a password was issued to, if it is genuine and unexpired.
  std::optional<std::string> CheckPassword(std::string_view password);

 private:
  Result<std::string> TokenKey();

  // Constant after construction.
  RegistryOptions options_;
  store::Store& store_;
  BlobStore& blobs_;
  Clock& clock_;

  // Manifest pushes hold it shared, garbage collection exclusively (see the top).
  SharedMutex gc_mu_;
};

std::string RegistryErrorName(RegistryError e);

}  // namespace wharf::registry
