// ImageStore: the node's images. Pulls with the OCI distribution protocol, keeps manifests
// and configs in a content-addressed store, unpacks each layer once into a shared snapshot.
//
// Layout under root (DIR/images):
//   blobs/sha256/<hex>      manifests, indexes and configs, each verified against its digest
//   ingest/<random>         downloads in progress (layers live here only while unpacked)
//   snapshots/<chain hex>   one unpacked layer, keyed by its chain ID, read-only by contract
//   snapshots/.tmp-<rand>   an unpack in progress; rename()d to its key when complete
//   refs/<sha256 of ref>    {"reference", "manifest", "index"}: what a tag or digest resolved to
// A snapshot or blob that exists is complete; half-made work is removed by a scope guard,
// and whatever a crash left in ingest/ and snapshots/.tmp-* is removed by Open.
//
// Pull policy is Docker's/ECS's: kIfNotPresent (ECS_IMAGE_PULL_BEHAVIOR=prefer-cached) makes
// no request at all when the reference resolved before and its image is complete; kAlways
// re-resolves the tag (layers already unpacked are still reused).
//
// Errors: InvalidArgument for a bad reference; NotFound when the registry does not have the
// image (the message carries the registry's words, e.g. "manifest unknown", for ECS's
// CannotPullContainerError); FailedPrecondition when access is denied; Unavailable when the
// registry cannot be reached; Internal for a digest mismatch or a broken image.
//
// Thread-safety: all methods may be called concurrently. Pulls of the same reference, and
// unpacks of the same layer, run one at a time, so the second waits and finds the result.
// Collect excludes pulls while it runs.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/image/content_store.h"
#include "agent/image/reference.h"
#include "agent/image/registry_client.h"
#include "base/mutex.h"
#include "base/status.h"
#include "oci/manifest.h"

namespace wharf::agent {

enum class PullPolicy {
  kIfNotPresent,  // use what is here; pull only what is missing
  kAlways,        // re-resolve the reference at the registry
};

struct PullOptions {
  // Maps a registry name to where to connect (e.g. an ECR host
  // "<acct>.dkr.ecr.<region>.amazonaws.com" -> the wharf server's http address).
  // Default: the registry's host:port (port 80 when absent) over http.
  std::function<Result<RegistryEndpoint>(const std::string& registry)> endpoint;
  // Credentials for a registry, or nullopt for anonymous. Used for Basic auth and for the
  // bearer token request. Default: anonymous.
  std::function<Result<std::optional<RegistryCredentials>>(const std::string& registry)>
      credentials;
  PullPolicy policy = PullPolicy::kIfNotPresent;
  // Whether a registry is ECR's (agent/pull_path.h: what ECR's VPC endpoints reach). Unset: none is.
  std::function<bool(const std::string& registry)> is_ecr;
};

struct Image {
  std::string manifest_digest;          // of the platform manifest that was used
  boost::json::object config;           // the image config's "config" object (Env, Cmd, ...)
  std::vector<std::string> layer_dirs;  // unpacked snapshot directories, lowest layer first
};

// What a task runner needs of the node's images (ImageStore below; a test passes a fake).
// Errors and thread-safety as for ImageStore.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual Result<Image> Pull(const std::string& reference, const PullOptions& options) = 0;
  // The complete image with this platform manifest digest, from local state only.
  virtual Result<Image> Get(const std::string& manifest_digest) const = 0;
};

class ImageStore final : public ImageSource {
 public:
  static Result<std::unique_ptr<ImageStore>> Open(const std::string& root);

  Result<Image> Pull(const std::string& reference, const PullOptions& options) override;
  Result<Image> Get(const std::string& manifest_digest) const override;
  // Removes refs, blobs and snapshots that no image in `manifest_digests_in_use` needs.
  Status Collect(const std::set<std::string>& manifest_digests_in_use);

 private:
  struct RefRecord {
    std::string manifest, index;
  };
  ImageStore(std::string root, std::unique_ptr<ContentStore> content);

  // One lock per key ("ref:<reference>", "snapshot:<chain id>"), alive while someone holds it.
  std::shared_ptr<Mutex> KeyMutex(const std::string& key) EXCLUDES(keys_mu_);
  // These add content, so Collect must not run meanwhile.
  Result<Image> PullFromRegistry(const ImageReference& ref, const PullOptions& options)
      REQUIRES_SHARED(gc_mu_);
  Result<std::string> FetchManifest(RegistryClient& client, const ImageReference& ref,
                                    std::string* index_digest) REQUIRES_SHARED(gc_mu_);
  Status EnsureConfig(RegistryClient& client, const oci::Descriptor& config) REQUIRES_SHARED(gc_mu_);
  Status EnsureSnapshot(RegistryClient& client, const oci::Descriptor& layer,
                        const std::string& diff_id, const std::string& chain_id) REQUIRES_SHARED(gc_mu_);
  // The manifest, the config and its diff IDs' chain IDs, from the content store.
  Result<std::vector<std::string>> ChainIds(const std::string& manifest_digest,
                                            boost::json::object* config,
                                            std::vector<std::string>* diff_ids) const;
  std::optional<RefRecord> ReadRef(const std::string& canonical) const;
  Status WriteRef(const std::string& canonical, const RefRecord& record) REQUIRES_SHARED(gc_mu_);
  std::string SnapshotDir(const std::string& chain_id) const;

  // Constant after construction.
  const std::string root_;
  const std::unique_ptr<ContentStore> content_;

  // Pulls hold it shared, Collect exclusively: what a pull adds is not collected under it.
  SharedMutex gc_mu_;

  // Protected by keys_mu_.
  Mutex keys_mu_;
  std::map<std::string, std::weak_ptr<Mutex>> key_mutexes_ GUARDED_BY(keys_mu_);
};

}  // namespace wharf::agent
