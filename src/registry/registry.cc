#include "registry/registry.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "base/crypto.h"
#include "base/logging.h"
#include "oci/manifest.h"
#include "registry/lifecycle.h"
#include "model/json.h"
#include "model/keys.h"
#include "kms/aes_gcm.h"
#include "model/repository.h"
#include "store/update.h"

namespace wharf::registry {
namespace json = boost::json;

namespace {

constexpr std::string_view kTokenKey = model::keys::kRegistryTokenKey;

json::object ToJson(const ImageRecord& r) {
  json::array blobs;
  for (const auto& b : r.blobs) blobs.push_back(json::value(b));
  json::object o{{"digest", r.digest},       {"mediaType", r.media_type},
                 {"artifactType", r.artifact_type}, {"pushedAt", r.pushed_at},
                 {"size", r.size}, {"blobs", std::move(blobs)}, {"subject", r.subject}};
  if (r.sealed_manifest.empty()) o["manifest"] = r.manifest;
  else o["sealedManifest"] = r.sealed_manifest;
  return o;
}

// A KMS repository's manifests are sealed under a key of their own from the data key (which
// also keys the blob and upload files, each through its own derivation), bound to the digest
// so a record's manifest cannot be swapped for another's.
std::string ManifestKey(std::string_view data_key) { return HmacSha256(data_key, "wharf ecr manifest"); }
std::string ManifestAad(std::string_view digest) { return "wharf ecr manifest:" + std::string(digest); }

Result<std::string> SealManifest(std::string_view data_key, std::string_view digest, std::string_view manifest,
                                 Random& random) {
  std::string nonce = kms::RandomBytes(random, kms::kIvBytes);
  ASSIGN_OR_RETURN(std::string sealed, kms::Seal(ManifestKey(data_key), nonce, manifest, ManifestAad(digest)));
  return Base64Encode(nonce + sealed);
}

Result<std::string> OpenManifest(std::string_view data_key, std::string_view digest, std::string_view stored) {
  auto bytes = Base64Decode(stored);
  if (!bytes || bytes->size() < kms::kIvBytes + kms::kTagBytes) return Status::Internal("corrupt sealed manifest");
  std::string_view b(*bytes);
  auto opened = kms::Open(ManifestKey(data_key), b.substr(0, kms::kIvBytes), b.substr(kms::kIvBytes), ManifestAad(digest));
  if (!opened.ok()) return Status::Internal("sealed manifest of " + std::string(digest) + " does not open");
  return opened;
}

Result<ImageRecord> FromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Internal("corrupt image record");
  const json::object& o = v.get_object();
  ImageRecord r;
  r.digest = GetString(o, "digest");
  r.media_type = GetString(o, "mediaType");
  r.artifact_type = GetString(o, "artifactType");
  r.manifest = GetString(o, "manifest");
  r.sealed_manifest = GetString(o, "sealedManifest");
  r.subject = GetString(o, "subject");
  if (auto* p = o.if_contains("pushedAt"); p && p->is_number()) r.pushed_at = p->to_number<double>();
  if (auto* s = o.if_contains("size"); s && s->is_number()) r.size = s->to_number<int64_t>();
  if (auto* b = o.if_contains("blobs"); b && b->is_array()) {
    for (const auto& d : b->get_array()) {
      if (d.is_string()) r.blobs.emplace_back(d.get_string());
    }
  }
  return r;
}

std::string TagKey(std::string_view repo, std::string_view tag) {
  return Registry::TagPrefix(repo) + std::string(tag);
}
std::string ImageKey(std::string_view repo, std::string_view digest) {
  return Registry::ImagePrefix(repo) + std::string(digest);
}

// The OCI tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool ValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag[0] == '.' || tag[0] == '-') return false;
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// Whether the repository refuses to move `tag` (IMMUTABLE, with its exclusion filters).
bool TagIsImmutable(const model::RepositoryRecord& repository, std::string_view tag) {
  std::string mutability = repository.tag_mutability();
  bool excluded = false;
  for (const auto& pattern : repository.tag_mutability_exclusions()) {
    if (TagMatchesPattern(std::string(tag), pattern)) excluded = true;
  }
  if (mutability == "IMMUTABLE") return true;
  if (mutability == "IMMUTABLE_WITH_EXCLUSION") return !excluded;
  if (mutability == "MUTABLE_WITH_EXCLUSION") return excluded;
  return false;
}

}  // namespace

bool ImageRecord::is_index() const {
  return media_type == oci::kOciIndex || media_type == oci::kDockerManifestList;
}

std::string RegistryErrorName(RegistryError e) {
  switch (e) {
    case RegistryError::kRepositoryNotFound: return "RepositoryNotFound";
    case RegistryError::kImageNotFound: return "ImageNotFound";
    case RegistryError::kBlobUnknown: return "BlobUnknown";
    case RegistryError::kManifestInvalid: return "ManifestInvalid";
    case RegistryError::kDigestInvalid: return "DigestInvalid";
    case RegistryError::kTagImmutable: return "TagImmutable";
    case RegistryError::kTagInvalid: return "TagInvalid";
  }
  return "Unknown";
}

std::string Registry::RepositoryKey(std::string_view repo) { return model::keys::RepositoryKey(repo); }
std::string Registry::ImagePrefix(std::string_view repo) { return model::keys::ImagesPrefix(repo); }
std::string Registry::TagPrefix(std::string_view repo) { return model::keys::ImageTagsPrefix(repo); }
std::string Registry::LinkKey(std::string_view repo, std::string_view digest) {
  return model::keys::BlobLinkKey(repo, digest);
}

Result<std::optional<std::pair<json::object, int64_t>>> Registry::Repository(std::string_view repo) {
  using Found = std::optional<std::pair<json::object, int64_t>>;
  ASSIGN_OR_RETURN(auto kv, store_.Get(RepositoryKey(repo)));
  if (!kv) return Found();
  boost::system::error_code ec;
  json::value v = json::parse(kv->value, ec);
  if (ec || !v.is_object()) return Status::Internal("corrupt repository record");
  return Found(std::make_pair(std::move(v.get_object()), kv->mod_revision));
}

Result<std::optional<Sealing>> Registry::SealingOf(std::string_view repo) {
  ASSIGN_OR_RETURN(auto repository, Repository(repo));
  if (!repository) return std::optional<Sealing>();
  model::RepositoryRecord record(repository->first);
  if (!record.sealed()) return std::optional<Sealing>();
  return std::optional<Sealing>(Sealing{record.blob_namespace(), record.arn(), record.wrapped_data_key()});
}

Result<std::string> Registry::DataKey(const Sealing& sealing) {
  if (!data_keys_) return Status::FailedPrecondition("KMSInternalException: this registry has no KMS");
  return data_keys_->Open(sealing.repository_arn, sealing.wrapped_key);
}

std::optional<int64_t> Registry::BlobSize(std::string_view repo, std::string_view digest) {
  auto sealing = SealingOf(repo);
  if (!sealing.ok()) return std::nullopt;
  auto size = *sealing ? blobs_.SealedSize((*sealing)->ns, digest) : blobs_.Size(digest);
  if (!size) return std::nullopt;
  auto link = store_.Get(LinkKey(repo, digest));
  if (!link.ok() || !link->has_value()) return std::nullopt;
  return size;
}

Result<std::string> Registry::StartUpload(std::string_view repo) {
  ASSIGN_OR_RETURN(auto sealing, SealingOf(repo));
  if (!sealing) return blobs_.StartUpload();
  ASSIGN_OR_RETURN(std::string key, DataKey(*sealing));  // a key that refuses takes no uploads
  return blobs_.StartSealedUpload(key);
}

Status Registry::AppendUpload(std::string_view repo, std::string_view uuid, const std::string& spool_file,
                              std::string_view bytes) {
  if (!blobs_.IsSealedUpload(uuid)) {
    if (!spool_file.empty()) return blobs_.AppendFile(uuid, spool_file);
    return blobs_.AppendBytes(uuid, bytes);
  }
  ASSIGN_OR_RETURN(auto sealing, SealingOf(repo));
  if (!sealing) return Status::NotFound("upload " + std::string(uuid));
  ASSIGN_OR_RETURN(std::string key, DataKey(*sealing));
  return blobs_.AppendSealed(uuid, key, spool_file, bytes);
}

Status Registry::CommitUpload(std::string_view repo, std::string_view uuid, std::string_view digest) {
  auto sealing = SealingOf(repo);
  if (!sealing.ok()) {
    blobs_.CancelUpload(uuid);
    return sealing.status();
  }
  if (*sealing) {
    auto key = DataKey(**sealing);
    if (!key.ok()) {
      blobs_.CancelUpload(uuid);
      return key.status();
    }
    RETURN_IF_ERROR(blobs_.FinishSealedUpload(uuid, digest, (*sealing)->ns, *key));
  } else {
    RETURN_IF_ERROR(blobs_.FinishUpload(uuid, digest));
  }
  return LinkBlob(repo, digest);
}

bool Registry::CanMount(std::string_view from, std::string_view to) {
  auto a = SealingOf(from), b = SealingOf(to);
  return a.ok() && b.ok() && !*a && !*b;
}

Status Registry::LinkBlob(std::string_view repo, std::string_view digest) {
  ASSIGN_OR_RETURN(auto r, store_.Commit(store::Txn{{}, {store::Op::Put(LinkKey(repo, digest), "{}")}}));
  (void)r;
  return Status::OK();
}

Status Registry::UnlinkBlob(std::string_view repo, std::string_view digest) {
  ASSIGN_OR_RETURN(auto r, store_.Commit(store::Txn{{}, {store::Op::Delete(LinkKey(repo, digest))}}));
  (void)r;
  return Status::OK();
}

Outcome<std::string> Registry::PutManifest(std::string_view repo, std::string_view reference,
                                           std::string_view bytes, std::string_view content_type) {
  auto parsed = oci::ParseManifest(bytes, content_type);
  if (!parsed.ok()) return Failure{RegistryError::kManifestInvalid, parsed.status().message()};
  const oci::Manifest& m = *parsed;
  const std::string digest = oci::DigestOf(bytes);
  const bool by_digest = oci::IsDigest(reference);
  if (!by_digest && !ValidTag(reference)) {
    return Failure{RegistryError::kTagInvalid, "invalid tag '" + std::string(reference.substr(0, 128)) + "'"};
  }
  if (by_digest && reference != digest) {
    return Failure{RegistryError::kDigestInvalid,
                   "manifest digest " + digest + " does not match " + std::string(reference)};
  }
  ImageRecord record;
  record.digest = digest;
  record.media_type = m.media_type;
  record.artifact_type = m.artifact_type;
  record.manifest = std::string(bytes);
  {
    auto sealing = SealingOf(repo);
    if (!sealing.ok()) return sealing.status();
    if (*sealing) {  // a KMS repository keeps no manifest in plaintext
      auto key = DataKey(**sealing);
      if (!key.ok()) return key.status();
      auto sealed = SealManifest(*key, digest, bytes, random_);
      if (!sealed.ok()) return sealed.status();
      record.sealed_manifest = std::move(*sealed);
    }
  }
  record.pushed_at = EpochSeconds(clock_.Now());
  if (m.subject) record.subject = m.subject->digest;
  {
    ReaderMutexLock no_gc(gc_mu_);
    auto repository = Repository(repo);
    if (!repository.ok()) return repository.status();
    if (!*repository) {
      return Failure{RegistryError::kRepositoryNotFound, "repository " + std::string(repo) + " not found"};
    }
    int64_t repository_revision = (*repository)->second;
    std::string repository_value = json::serialize((*repository)->first);
    if (m.is_index) {
      for (const auto& child : m.manifests) {
        auto found = store_.Get(ImageKey(repo, child.digest));
        if (!found.ok()) return found.status();
        if (!*found) {
          return Failure{RegistryError::kBlobUnknown, "manifest " + child.digest + " is not in the repository"};
        }
        record.size += child.size;
      }
    } else {
      std::vector<const oci::Descriptor*> refs{&*m.config};
      for (const auto& l : m.layers) refs.push_back(&l);
      for (const oci::Descriptor* d : refs) {
        if (!BlobInRepository(repo, d->digest)) {
          return Failure{RegistryError::kBlobUnknown, "blob " + d->digest + " is not in the repository"};
        }
        record.blobs.push_back(d->digest);
        record.size += d->size;
      }
    }
    model::RepositoryRecord repository_record((*repository)->first);
    bool first_attempt = true;
    auto pushed = store::RetryOnConflict([&]() -> store::Attempt<Outcome<std::string>> {
      if (!first_attempt) {  // the last one lost the race: read the repository record again
        auto again = Repository(repo);
        if (!again.ok()) return again.status();
        if (!*again) {
          return Failure{RegistryError::kRepositoryNotFound, "repository " + std::string(repo) + " not found"};
        }
        repository_revision = (*again)->second;
        repository_value = json::serialize((*again)->first);
      }
      first_attempt = false;
      // The push compares and rewrites the repository record, so it and a DeleteRepository
      // cannot both succeed: no image lands in a repository being deleted.
      store::Txn txn{{{RepositoryKey(repo), repository_revision}},
                     {store::Op::Put(RepositoryKey(repo), repository_value)}};
      auto existing = store_.Get(ImageKey(repo, digest));
      if (!existing.ok()) return existing.status();
      if (*existing) {
        txn.compares.push_back({ImageKey(repo, digest), (*existing)->mod_revision});
      } else {
        txn.compares.push_back({ImageKey(repo, digest), 0});
        txn.ops.push_back(store::Op::Put(ImageKey(repo, digest), json::serialize(ToJson(record))));
      }
      if (!by_digest) {
        auto tag = store_.Get(TagKey(repo, reference));
        if (!tag.ok()) return tag.status();
        std::string current;
        if (*tag) {
          boost::system::error_code ec;
          json::value v = json::parse((*tag)->value, ec);
          if (!ec && v.is_object()) current = GetString(v.get_object(), "digest");
        }
        if (!current.empty() && current != digest && TagIsImmutable(repository_record, reference)) {
          return Failure{RegistryError::kTagImmutable,
                         "The image tag '" + std::string(reference) + "' already exists in the '" +
                             std::string(repo) + "' repository and cannot be overwritten because the "
                             "repository is immutable."};
        }
        txn.compares.push_back({TagKey(repo, reference), *tag ? (*tag)->mod_revision : 0});
        if (current != digest) {
          txn.ops.push_back(store::Op::Put(TagKey(repo, reference),
                                           json::serialize(json::object{{"digest", digest}})));
        }
      }
      auto r = store_.Commit(txn);
      if (!r.ok()) return r.status();
      if (!r->succeeded) return store::kConflict;
      return digest;
    });
    if (!pushed) return Status::Unavailable("too many concurrent pushes");
    if (!std::holds_alternative<std::string>(*pushed)) return std::move(*pushed);
  }
  auto expired = ApplyLifecyclePolicy(repo);
  if (!expired.ok()) LOG_WARN("msg=\"lifecycle policy failed\" repo={} error=\"{}\"", repo, expired.status().ToString());
  return digest;
}

Outcome<ImageRecord> Registry::Resolve(std::string_view repo, std::string_view reference) {
  std::string digest(reference);
  if (!oci::IsDigest(reference)) {
    auto tag = store_.Get(TagKey(repo, reference));
    if (!tag.ok()) return tag.status();
    if (!*tag) return Failure{RegistryError::kImageNotFound, "tag " + std::string(reference) + " not found"};
    boost::system::error_code ec;
    json::value v = json::parse((*tag)->value, ec);
    if (ec || !v.is_object()) return Status::Internal("corrupt tag record");
    digest = GetString(v.get_object(), "digest");
  }
  auto found = store_.Get(ImageKey(repo, digest));
  if (!found.ok()) return found.status();
  if (!*found) return Failure{RegistryError::kImageNotFound, "manifest " + digest + " not found"};
  auto record = FromJson((*found)->value);
  if (!record.ok()) return record.status();
  std::vector<ImageRecord> one{std::move(record).value()};
  if (Status st = OpenManifests(repo, one); !st.ok()) return st;
  return std::move(one[0]);
}

Status Registry::OpenManifests(std::string_view repo, std::vector<ImageRecord>& images) {
  std::optional<std::string> key;
  for (ImageRecord& r : images) {
    if (r.sealed_manifest.empty()) continue;
    if (!key) {
      ASSIGN_OR_RETURN(auto sealing, SealingOf(repo));
      if (!sealing) return Status::Internal("a sealed manifest in a repository without KMS");
      ASSIGN_OR_RETURN(std::string k, DataKey(*sealing));
      key = std::move(k);
    }
    ASSIGN_OR_RETURN(r.manifest, OpenManifest(*key, r.digest, r.sealed_manifest));
    r.sealed_manifest.clear();
  }
  return Status::OK();
}

Result<std::vector<std::string>> Registry::Tags(std::string_view repo) {
  ASSIGN_OR_RETURN(store::Page page, store_.List(TagPrefix(repo), "", 0));
  std::vector<std::string> tags;
  for (const auto& kv : page.items) tags.push_back(kv.key.substr(TagPrefix(repo).size()));
  return tags;
}

Result<std::vector<ImageRecord>> Registry::Images(std::string_view repo) {
  ASSIGN_OR_RETURN(store::Page images, store_.List(ImagePrefix(repo), "", 0));
  ASSIGN_OR_RETURN(store::Page tags, store_.List(TagPrefix(repo), "", 0));
  std::map<std::string, std::vector<std::string>> tags_of;
  for (const auto& kv : tags.items) {
    boost::system::error_code ec;
    json::value v = json::parse(kv.value, ec);
    if (!ec && v.is_object()) tags_of[GetString(v.get_object(), "digest")].push_back(kv.key.substr(TagPrefix(repo).size()));
  }
  std::vector<ImageRecord> out;
  for (const auto& kv : images.items) {
    ASSIGN_OR_RETURN(ImageRecord r, FromJson(kv.value));
    r.tags = tags_of[r.digest];
    out.push_back(std::move(r));
  }
  return out;
}

Outcome<bool> Registry::DeleteImage(std::string_view repo, std::string_view digest) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome<bool>> {
    auto image = store_.Get(ImageKey(repo, digest));
    if (!image.ok()) return image.status();
    if (!*image) return Failure{RegistryError::kImageNotFound, "manifest " + std::string(digest) + " not found"};
    auto tags = store_.List(TagPrefix(repo), "", 0);
    if (!tags.ok()) return tags.status();
    store::Txn txn{{{ImageKey(repo, digest), (*image)->mod_revision}}, {store::Op::Delete(ImageKey(repo, digest))}};
    for (const auto& kv : tags->items) {
      if (kv.value.find(std::string(digest)) == std::string::npos) continue;
      txn.compares.push_back({kv.key, kv.mod_revision});
      txn.ops.push_back(store::Op::Delete(kv.key));
    }
    auto r = store_.Commit(txn);
    if (!r.ok()) return r.status();
    if (!r->succeeded) return store::kConflict;
    return true;
  }).value_or(Status::Unavailable("too many concurrent changes"));
}

Outcome<bool> Registry::Untag(std::string_view repo, std::string_view tag) {
  auto found = store_.Get(TagKey(repo, tag));
  if (!found.ok()) return found.status();
  if (!*found) return Failure{RegistryError::kImageNotFound, "tag " + std::string(tag) + " not found"};
  auto r = store_.Commit(store::Txn{{{TagKey(repo, tag), (*found)->mod_revision}},
                                    {store::Op::Delete(TagKey(repo, tag))}});
  if (!r.ok()) return r.status();
  return r->succeeded;
}

Status Registry::DropRepositoryContents(std::string_view repo) {
  for (const std::string& prefix : {ImagePrefix(repo), TagPrefix(repo), model::keys::BlobLinksPrefix(repo)}) {
    ASSIGN_OR_RETURN(store::Page page, store_.List(prefix, "", 0));
    // etcd caps a transaction's ops, so delete in batches.
    for (size_t i = 0; i < page.items.size(); i += 100) {
      store::Txn txn;
      for (size_t j = i; j < std::min(page.items.size(), i + 100); ++j) {
        txn.ops.push_back(store::Op::Delete(page.items[j].key));
      }
      ASSIGN_OR_RETURN(auto r, store_.Commit(txn));
      (void)r;
    }
  }
  return Status::OK();
}

Result<int> Registry::CollectGarbage(bool ignore_grace) {
  WriterMutexLock exclusive(gc_mu_);
  ASSIGN_OR_RETURN(store::Page images, store_.List(model::keys::kImages, "", 0));
  std::set<std::string> referenced;
  for (const auto& kv : images.items) {
    ASSIGN_OR_RETURN(ImageRecord r, FromJson(kv.value));
    referenced.insert(r.blobs.begin(), r.blobs.end());
  }
  // Sealed blobs belong to one repository's namespace: referenced by that repository's
  // images only; a namespace no repository has any more goes whole (after the grace).
  std::set<std::string> sealed_referenced;  // "<ns>/<digest>"
  ASSIGN_OR_RETURN(store::Page repositories, store_.List(model::keys::kRepositories, "", 0));
  for (const auto& kv : repositories.items) {
    boost::system::error_code ec;
    json::value v = json::parse(kv.value, ec);
    if (ec || !v.is_object()) continue;
    model::RepositoryRecord record(v.get_object());
    if (!record.sealed()) continue;
    ASSIGN_OR_RETURN(store::Page sealed_images, store_.List(ImagePrefix(record.name()), "", 0));
    for (const auto& image : sealed_images.items) {
      ASSIGN_OR_RETURN(ImageRecord r, FromJson(image.value));
      for (const auto& b : r.blobs) sealed_referenced.insert(record.blob_namespace() + "/" + b);
    }
  }
  ASSIGN_OR_RETURN(auto sealed_blobs, blobs_.ListSealed());
  int sealed_deleted = 0;
  for (const auto& blob : sealed_blobs) {
    if (sealed_referenced.count(blob.ns + "/" + blob.digest)) continue;
    if (!ignore_grace && blob.modified > clock_.Now() - options_.gc_grace) continue;
    RETURN_IF_ERROR(blobs_.DeleteSealed(blob.ns, blob.digest));
    ++sealed_deleted;
  }
  ASSIGN_OR_RETURN(auto blobs, blobs_.List());
  auto cutoff = clock_.Now() - options_.gc_grace;
  std::set<std::string> deleted;
  for (const auto& blob : blobs) {
    if (referenced.count(blob.digest)) continue;
    if (!ignore_grace && blob.modified > cutoff) continue;
    RETURN_IF_ERROR(blobs_.Delete(blob.digest));
    deleted.insert(blob.digest);
  }
  ASSIGN_OR_RETURN(store::Page links, store_.List(model::keys::kBlobLinks, "", 0));
  store::Txn unlink;
  for (const auto& kv : links.items) {
    std::string digest = kv.key.substr(kv.key.rfind('/') + 1);
    if (deleted.count(digest)) unlink.ops.push_back(store::Op::Delete(kv.key));
    if (unlink.ops.size() == 100) {
      ASSIGN_OR_RETURN(auto r, store_.Commit(unlink));
      (void)r;
      unlink.ops.clear();
    }
  }
  if (!unlink.ops.empty()) RETURN_IF_ERROR(store_.Commit(unlink).status());
  int uploads = blobs_.ExpireUploads(std::chrono::hours(24));
  if (!deleted.empty() || uploads > 0 || sealed_deleted > 0) {
    LOG_INFO("msg=\"registry garbage collected\" blobs={} sealed_blobs={} abandoned_uploads={}", deleted.size(),
             sealed_deleted, uploads);
  }
  return static_cast<int>(deleted.size()) + sealed_deleted;
}

Result<std::vector<std::string>> Registry::ApplyLifecyclePolicy(std::string_view repo) {
  std::vector<std::string> expired;
  ASSIGN_OR_RETURN(auto repository, Repository(repo));
  if (!repository) return expired;
  std::string text = GetString(repository->first, "lifecyclePolicyText");
  if (text.empty()) return expired;
  ASSIGN_OR_RETURN(LifecyclePolicy policy, ParseLifecyclePolicy(text));
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, Images(repo));
  std::vector<LifecycleImage> candidates;
  for (const auto& r : images) {
    candidates.push_back({r.digest, r.tags, static_cast<int64_t>(r.pushed_at * 1000)});
  }
  int64_t now_ms = static_cast<int64_t>(EpochSeconds(clock_.Now()) * 1000);
  for (const Expiry& e : EvaluateLifecyclePolicy(policy, candidates, now_ms)) {
    auto deleted = DeleteImage(repo, e.digest);
    if (auto* st = std::get_if<Status>(&deleted)) return *st;
    expired.push_back(e.digest);
    LOG_INFO("msg=\"lifecycle policy expired image\" repo={} digest={} rule={}", repo, e.digest, e.rule_priority);
  }
  return expired;
}

Result<std::string> Registry::TokenKey() {
  ASSIGN_OR_RETURN(auto kv, store_.Get(std::string(kTokenKey)));
  if (kv) return kv->value;
  SecureRandom random;
  std::string key = RandomHex(random, 64);
  ASSIGN_OR_RETURN(auto r, store_.Commit(store::Txn{{{std::string(kTokenKey), 0}},
                                                    {store::Op::Put(std::string(kTokenKey), key)}}));
  if (r.succeeded) return key;
  ASSIGN_OR_RETURN(auto again, store_.Get(std::string(kTokenKey)));
  if (!again) return Status::Internal("token key vanished");
  return again->value;
}

Result<std::string> Registry::IssuePassword(std::string_view access_key_id,
                                            std::chrono::system_clock::time_point expires) {
  ASSIGN_OR_RETURN(std::string key, TokenKey());
  int64_t expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires.time_since_epoch()).count();
  std::string payload = std::string(access_key_id) + "." + std::to_string(expires_ms);
  return Base64Encode(payload) + "." + HexEncode(HmacSha256(key, payload));
}

std::optional<std::string> Registry::CheckPassword(std::string_view password) {
  size_t dot = password.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto payload = Base64Decode(password.substr(0, dot));
  auto key = TokenKey();
  if (!payload || !key.ok()) return std::nullopt;
  if (!ConstantTimeEquals(HexEncode(HmacSha256(*key, *payload)), password.substr(dot + 1))) return std::nullopt;
  size_t sep = payload->rfind('.');
  if (sep == std::string::npos) return std::nullopt;
  int64_t expires_ms = std::strtoll(payload->c_str() + sep + 1, nullptr, 10);
  int64_t now_ms = static_cast<int64_t>(EpochSeconds(clock_.Now()) * 1000);
  if (now_ms > expires_ms) return std::nullopt;
  return payload->substr(0, sep);
}

}  // namespace wharf::registry
