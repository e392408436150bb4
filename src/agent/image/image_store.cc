#include "agent/image/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/image/layer_unpack.h"
#include "base/crypto.h"
#include "base/logging.h"
#include "base/random.h"

namespace wharf::agent {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::string_view kPlatformOs = "linux";
constexpr std::string_view kPlatformArchitecture = "amd64";

// Runs `undo` on scope exit unless dismissed: half-made work never outlives a failure.
class ScopeGuard {
 public:
  explicit ScopeGuard(std::function<void()> undo) : undo_(std::move(undo)) {}
  ~ScopeGuard() {
    if (undo_) undo_();
  }
  void Dismiss() { undo_ = nullptr; }

 private:
  std::function<void()> undo_;
};

std::string Hex(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

std::string TempName() {
  static FastRandom rng;
  return std::string(kTempPrefix) + RandomHex(rng, 16);
}

Result<RegistryEndpoint> DefaultEndpoint(const std::string& registry) {
  RegistryEndpoint endpoint;
  if (!net::SplitHostPort(registry, &endpoint.host, &endpoint.port)) {
    endpoint.host = registry;
    endpoint.port = "80";
  }
  return endpoint;
}

Status CheckDigest(const std::string& what, const std::string& expected, std::string_view bytes) {
  const std::string actual = oci::DigestOf(bytes);
  if (actual != expected) {
    return Status::Internal(what + " digest mismatch: expected " + expected + ", content is " +
                            actual);
  }
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + TempName();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Status::Internal("write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal("rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

ImageStore::ImageStore(std::string root, std::unique_ptr<ContentStore> content)
    : root_(std::move(root)), content_(std::move(content)) {}

Result<std::unique_ptr<ImageStore>> ImageStore::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  std::string abs = fs::canonical(root, ec).string();  // snapshots must not go through symlinks
  if (ec) return Status::Internal("image store root " + root + ": " + ec.message());
  for (const char* dir : {"snapshots", "refs"}) {
    fs::create_directories(fs::path(abs) / dir, ec);
    if (ec) return Status::Internal("create " + abs + "/" + dir + ": " + ec.message());
  }
  for (const auto& e : fs::directory_iterator(fs::path(abs) / "snapshots", ec)) {
    if (e.path().filename().string().rfind(kTempPrefix, 0) == 0) fs::remove_all(e.path(), ec);
  }
  ASSIGN_OR_RETURN(auto content, ContentStore::Open(abs));
  return std::unique_ptr<ImageStore>(new ImageStore(abs, std::move(content)));
}

std::shared_ptr<Mutex> ImageStore::KeyMutex(const std::string& key) {
  MutexLock lock(keys_mu_);
  auto& weak = key_mutexes_[key];
  auto mu = weak.lock();
  if (!mu) {
    mu = std::make_shared<Mutex>();
    weak = mu;
  }
  for (auto it = key_mutexes_.begin(); it != key_mutexes_.end();) {
    it = it->second.expired() ? key_mutexes_.erase(it) : std::next(it);
  }
  return mu;
}

std::string ImageStore::SnapshotDir(const std::string& chain_id) const {
  return root_ + "/snapshots/" + Hex(chain_id);
}

Result<Image> ImageStore::Pull(const std::string& reference, const PullOptions& options) {
  ASSIGN_OR_RETURN(ImageReference ref, ParseImageReference(reference));
  const std::string canonical = ref.ToString();
  ReaderMutexLock gc(gc_mu_);
  auto mu = KeyMutex("ref:" + canonical);
  MutexLock lock(*mu);
  if (options.policy == PullPolicy::kIfNotPresent) {
    if (auto record = ReadRef(canonical)) {
      auto image = Get(record->manifest);
      if (image.ok()) return image;
    }
  }
  auto image = PullFromRegistry(ref, options);
  if (!image.ok()) return image.status().WithContext("pull " + canonical);
  return image;
}

Result<Image> ImageStore::PullFromRegistry(const ImageReference& ref,
                                           const PullOptions& options) {
  ASSIGN_OR_RETURN(RegistryEndpoint endpoint, options.endpoint ? options.endpoint(ref.registry)
                                                               : DefaultEndpoint(ref.registry));
  std::optional<RegistryCredentials> credentials;
  if (options.credentials) {
    ASSIGN_OR_RETURN(credentials, options.credentials(ref.registry));
  }
  RegistryClient client(ref, std::move(endpoint), std::move(credentials));
  RefRecord record;
  ASSIGN_OR_RETURN(record.manifest, FetchManifest(client, ref, &record.index));
  ASSIGN_OR_RETURN(std::string manifest_bytes, content_->Read(record.manifest));
  ASSIGN_OR_RETURN(oci::Manifest manifest, oci::ParseManifest(manifest_bytes, ""));
  RETURN_IF_ERROR(EnsureConfig(client, *manifest.config));
  std::vector<std::string> diff_ids;
  ASSIGN_OR_RETURN(std::vector<std::string> chain_ids,
                   ChainIds(record.manifest, nullptr, &diff_ids));
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    RETURN_IF_ERROR(EnsureSnapshot(client, manifest.layers[i], diff_ids[i], chain_ids[i]));
  }
  RETURN_IF_ERROR(WriteRef(ref.ToString(), record));
  LOG_INFO("pulled {} ({}), {} layers, {} registry requests", ref.ToString(), record.manifest,
           manifest.layers.size(), client.requests_sent());
  return Get(record.manifest);
}

// Resolves the reference to a platform manifest, stored and verified; returns its digest.
Result<std::string> ImageStore::FetchManifest(RegistryClient& client, const ImageReference& ref,
                                              std::string* index_digest) {
  ASSIGN_OR_RETURN(FetchedManifest top, client.GetManifest(ref.reference));
  const std::string top_digest = oci::DigestOf(top.bytes);
  if (ref.IsDigest()) RETURN_IF_ERROR(CheckDigest("manifest", ref.reference, top.bytes));
  if (!top.content_digest.empty() && top.content_digest != top_digest) {
    return Status::Internal("manifest digest mismatch: the registry says " + top.content_digest +
                            ", content is " + top_digest);
  }
  auto parsed = oci::ParseManifest(top.bytes, top.media_type);
  if (!parsed.ok()) return Status::Internal("registry manifest: " + parsed.status().message());
  if (!parsed->is_index) {
    if (!parsed->config) return Status::Internal("manifest has no config");
    RETURN_IF_ERROR(content_->Put(top_digest, top.bytes));
    return top_digest;
  }
  const oci::Descriptor* chosen = nullptr;
  for (const auto& d : parsed->manifests) {
    if (d.platform_os == kPlatformOs && d.platform_architecture == kPlatformArchitecture) {
      chosen = &d;
      break;
    }
  }
  if (!chosen) {
    return Status::NotFound("no matching manifest for linux/amd64 in the manifest list entries");
  }
  RETURN_IF_ERROR(content_->Put(top_digest, top.bytes));
  *index_digest = top_digest;
  ASSIGN_OR_RETURN(FetchedManifest platform, client.GetManifest(chosen->digest));
  RETURN_IF_ERROR(CheckDigest("platform manifest", chosen->digest, platform.bytes));
  auto manifest = oci::ParseManifest(platform.bytes, platform.media_type);
  if (!manifest.ok() || manifest->is_index || !manifest->config) {
    return Status::Internal("platform manifest " + chosen->digest + " is not an image manifest");
  }
  RETURN_IF_ERROR(content_->Put(chosen->digest, platform.bytes));
  return chosen->digest;
}

Status ImageStore::EnsureConfig(RegistryClient& client, const oci::Descriptor& config) {
  if (content_->Has(config.digest)) return Status::OK();
  ASSIGN_OR_RETURN(auto writer, content_->NewWriter());
  RETURN_IF_ERROR(client.GetBlob(config.digest, [&](std::string_view piece) {
    if (writer->written() > (16 << 20)) return Status::Internal("image config too large");
    return writer->Write(piece);
  }));
  return writer->Commit(config.digest, config.size).WithContext("image config");
}

Status ImageStore::EnsureSnapshot(RegistryClient& client, const oci::Descriptor& layer,
                                  const std::string& diff_id, const std::string& chain_id) {
  const std::string dir = SnapshotDir(chain_id);
  if (::access(dir.c_str(), F_OK) == 0) return Status::OK();
  auto mu = KeyMutex("snapshot:" + chain_id);
  MutexLock lock(*mu);
  if (::access(dir.c_str(), F_OK) == 0) return Status::OK();  // another pull made it

  ASSIGN_OR_RETURN(auto blob, content_->NewWriter());
  RETURN_IF_ERROR(client.GetBlob(layer.digest, [&](std::string_view piece) {
    return blob->Write(piece);
  }));
  RETURN_IF_ERROR(blob->Verify(layer.digest, layer.size).WithContext("layer " + layer.digest));

  const std::string tmp = root_ + "/snapshots/" + TempName();
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    return Status::Internal("mkdir " + tmp + ": " + std::strerror(errno));
  }
  ScopeGuard remove_tmp([&] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  });
  RETURN_IF_ERROR(UnpackLayer(blob->path(), tmp, diff_id).WithContext("layer " + layer.digest));
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    return Status::Internal("publish snapshot " + dir + ": " + std::strerror(errno));
  }
  remove_tmp.Dismiss();
  return Status::OK();
}

Result<std::vector<std::string>> ImageStore::ChainIds(
    const std::string& manifest_digest, boost::json::object* config,
    std::vector<std::string>* diff_ids_out) const {
  ASSIGN_OR_RETURN(std::string manifest_bytes, content_->Read(manifest_digest));
  auto manifest = oci::ParseManifest(manifest_bytes, "");
  if (!manifest.ok() || !manifest->config) {
    return Status::Internal("stored manifest " + manifest_digest + " is not an image manifest");
  }
  ASSIGN_OR_RETURN(std::string config_bytes, content_->Read(manifest->config->digest));
  boost::system::error_code ec;
  json::value doc = json::parse(config_bytes, ec);
  const json::value* diff_ids = nullptr;
  if (!ec && doc.is_object()) {
    if (auto* rootfs = doc.get_object().if_contains("rootfs"); rootfs && rootfs->is_object()) {
      diff_ids = rootfs->get_object().if_contains("diff_ids");
    }
  }
  if (!diff_ids || !diff_ids->is_array() ||
      diff_ids->get_array().size() != manifest->layers.size()) {
    return Status::Internal("image config " + manifest->config->digest +
                            " has no rootfs.diff_ids matching the manifest's layers");
  }
  std::vector<std::string> chain_ids;
  for (const auto& d : diff_ids->get_array()) {
    if (!d.is_string() || !oci::IsDigest(d.get_string())) {
      return Status::Internal("image config has a bad diff ID");
    }
    std::string diff_id(d.get_string());
    if (diff_ids_out) diff_ids_out->push_back(diff_id);
    chain_ids.push_back(chain_ids.empty() ? diff_id
                                          : oci::DigestOf(chain_ids.back() + " " + diff_id));
  }
  if (config) {
    auto* c = doc.get_object().if_contains("config");
    *config = c && c->is_object() ? c->get_object() : json::object();
  }
  return chain_ids;
}

Result<Image> ImageStore::Get(const std::string& manifest_digest) const {
  if (!content_->Has(manifest_digest)) {
    return Status::NotFound("image " + manifest_digest + " is not on this node");
  }
  Image image;
  image.manifest_digest = manifest_digest;
  ASSIGN_OR_RETURN(auto chain_ids, ChainIds(manifest_digest, &image.config, nullptr));
  for (const auto& chain_id : chain_ids) {
    std::string dir = SnapshotDir(chain_id);
    if (::access(dir.c_str(), F_OK) != 0) {
      return Status::NotFound("image " + manifest_digest + " lacks layer " + chain_id);
    }
    image.layer_dirs.push_back(std::move(dir));
  }
  return image;
}

std::optional<ImageStore::RefRecord> ImageStore::ReadRef(const std::string& canonical) const {
  std::ifstream in(root_ + "/refs/" + HexEncode(Sha256(canonical)));
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object()) return std::nullopt;
  auto field = [&](const char* key) {
    auto* v = doc.get_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (field("reference") != canonical) return std::nullopt;
  return RefRecord{field("manifest"), field("index")};
}

Status ImageStore::WriteRef(const std::string& canonical, const RefRecord& record) {
  json::object doc{{"reference", canonical}, {"manifest", record.manifest}, {"index", record.index}};
  return WriteFileAtomically(root_ + "/refs/" + HexEncode(Sha256(canonical)), json::serialize(doc));
}

Status ImageStore::Collect(const std::set<std::string>& manifest_digests_in_use) {
  WriterMutexLock gc(gc_mu_);
  std::set<std::string> keep_blobs, keep_snapshots;
  for (const auto& digest : manifest_digests_in_use) {
    auto chain_ids = ChainIds(digest, nullptr, nullptr);
    if (!chain_ids.ok()) continue;  // not here (or broken): nothing of it to keep
    keep_blobs.insert(digest);
    auto manifest = oci::ParseManifest(*content_->Read(digest), "");
    keep_blobs.insert(manifest->config->digest);
    for (const auto& c : *chain_ids) keep_snapshots.insert(Hex(c));
  }
  std::error_code ec;
  std::vector<fs::path> refs, snapshot_dirs;
  for (const auto& e : fs::directory_iterator(root_ + "/refs", ec)) refs.push_back(e.path());
  for (const auto& e : fs::directory_iterator(root_ + "/snapshots", ec)) {
    snapshot_dirs.push_back(e.path());
  }
  for (const auto& path : refs) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code jec;
    json::value doc = json::parse(text.str(), jec);
    std::string manifest, index;
    if (!jec && doc.is_object()) {
      if (auto* m = doc.get_object().if_contains("manifest"); m && m->is_string()) {
        manifest = std::string(m->get_string());
      }
      if (auto* i = doc.get_object().if_contains("index"); i && i->is_string()) {
        index = std::string(i->get_string());
      }
    }
    if (keep_blobs.count(manifest)) {
      if (!index.empty()) keep_blobs.insert(index);
      continue;
    }
    fs::remove(path, ec);
  }
  int blobs = 0, snapshots = 0;
  for (const auto& digest : content_->List()) {
    if (keep_blobs.count(digest)) continue;
    RETURN_IF_ERROR(content_->Remove(digest));
    ++blobs;
  }
  for (const auto& path : snapshot_dirs) {
    const std::string name = path.filename().string();
    if (keep_snapshots.count(name)) continue;
    // Out of its name first, so a half-removed snapshot is never taken for a whole one.
    const std::string doomed = root_ + "/snapshots/" + TempName();
    if (name.rfind(kTempPrefix, 0) != 0 && ::rename(path.c_str(), doomed.c_str()) != 0) {
      return Status::Internal("remove snapshot " + name + ": " + std::strerror(errno));
    }
    fs::remove_all(name.rfind(kTempPrefix, 0) == 0 ? path.string() : doomed, ec);
    if (ec) return Status::Internal("remove snapshot " + name + ": " + ec.message());
    ++snapshots;
  }
  LOG_INFO("image gc removed {} blobs and {} snapshots", blobs, snapshots);
  return Status::OK();
}

}  // namespace wharf::agent
