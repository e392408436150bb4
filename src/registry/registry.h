// Registry: ECR's repositories and images, shared by the OCI distribution endpoint
// (/v2/) and the ECR API. Metadata lives in the Store, blob bytes in the BlobStore.
//
// Keys (docs/STATE.md; a repository name's '/' is written ':' so prefixes never overlap):
//   ecr/repositories/<repo>            {repository: <Repository shape>, tags, policyText,
//                                       lifecyclePolicyText, lifecycleEvaluatedAt}
//   ecr/images/<repo>/<digest>         ImageRecord as JSON (manifest bytes included, sealed
//                                       for a KMS repository: "sealedManifest")
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
#include "base/random.h"
#include "registry/blob_store.h"
#include "store/store.h"

namespace wharf::registry {

struct ImageRecord {
  std::string digest;
  std::string media_type;
  std::string artifact_type;
  std::string manifest;  // the bytes as pushed (empty while sealed_manifest is unopened)
  // A KMS repository's manifest as stored: base64(nonce | AES-256-GCM ciphertext | tag) under
  // a key derived from the repository's data key, bound to the digest. Resolve opens it;
  // Images leaves it for OpenManifests.
  std::string sealed_manifest;
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

// Opens the data keys of repositories encrypted with KMS. The API layer implements it over
// the region's KMS (the registry sits below the API); every call asks KMS again, so a key
// disabled a moment ago refuses at once.
class DataKeys {
 public:
  virtual ~DataKeys() = default;
  // The plaintext data key `wrapped_base64` holds for `repository_arn`. FailedPrecondition
  // with KMS's words ("<KMS error code>: <message>") when its key refuses.
  virtual Result<std::string> Open(std::string_view repository_arn, std::string_view wrapped_base64) = 0;
  // A new data key for `repository_arn` under the KMS key `key_ref` (an id, ARN or alias;
  // alias/aws/ecr is made on first use). Same errors.
  struct Made {
    std::string key_arn;
    std::string wrapped_base64;
  };
  virtual Result<Made> Make(std::string_view repository_arn, std::string_view key_ref) = 0;
};

// Where a repository encrypted with KMS keeps its blobs, and its wrapped data key.
struct Sealing {
  std::string ns;
  std::string repository_arn;
  std::string wrapped_key;
};

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
  // Set once at startup, before any request; without it KMS repositories cannot be used.
  void SetDataKeys(DataKeys* keys) { data_keys_ = keys; }
  DataKeys* data_keys() { return data_keys_; }
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
  // A tag or digest -> the image, its manifest opened (a Status FailedPrecondition when the
  // repository's KMS key refuses).
  Outcome<ImageRecord> Resolve(std::string_view repo, std::string_view reference);
  // Every image of the repository with its tags, in digest order; sealed manifests unopened.
  Result<std::vector<ImageRecord>> Images(std::string_view repo);
  // Opens the sealed manifests among `images` (one KMS call for all); FailedPrecondition when
  // the key refuses.
  Status OpenManifests(std::string_view repo, std::vector<ImageRecord>& images);
  Result<std::vector<std::string>> Tags(std::string_view repo);  // sorted
  // Removes the image and every tag on it.
  Outcome<bool> DeleteImage(std::string_view repo, std::string_view digest);
  // Removes one tag; the image stays (untagged).
  Outcome<bool> Untag(std::string_view repo, std::string_view tag);

  // The repository's sealing, or none for an AES256 repository (blobs in the shared,
  // content-addressed store) or a missing one.
  Result<std::optional<Sealing>> SealingOf(std::string_view repo);
  // The plaintext data key of a sealed repository (FailedPrecondition: KMS refused).
  Result<std::string> DataKey(const Sealing& sealing);
  // The size of a blob the repository has (pushed or mounted into it), or none.
  std::optional<int64_t> BlobSize(std::string_view repo, std::string_view digest);
  bool BlobInRepository(std::string_view repo, std::string_view digest) { return BlobSize(repo, digest).has_value(); }
  // Begins an upload into the repository: sealed as it arrives when it is encrypted with KMS
  // (FailedPrecondition when KMS refuses the key), plain otherwise.
  Result<std::string> StartUpload(std::string_view repo);
  // Appends a request body (the spooled file, consumed, or else `bytes`) to an upload, sealing
  // it under the repository's data key when the upload is sealed (FailedPrecondition when KMS
  // refuses the key; NotFound when a sealed upload is appended to through another repository).
  Status AppendUpload(std::string_view repo, std::string_view uuid, const std::string& spool_file,
                      std::string_view bytes);
  // Publishes a finished upload as the repository's blob `digest` (sealed under its data key
  // when it is encrypted with KMS) and links it. InvalidArgument when the content does not
  // hash to the digest; FailedPrecondition when KMS refuses the key.
  Status CommitUpload(std::string_view repo, std::string_view uuid, std::string_view digest);
  // Whether a blob of `from` may be linked into `to` without copying: only between AES256
  // repositories (a sealed blob is its own repository's).
  bool CanMount(std::string_view from, std::string_view to);
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
  DataKeys* data_keys_ = nullptr;
  mutable SecureRandom random_;  // manifest nonces; getrandom(2), no state

  // Manifest pushes hold it shared, garbage collection exclusively (see the top).
  SharedMutex gc_mu_;
};

std::string RegistryErrorName(RegistryError e);

}  // namespace wharf::registry
