// Images: ListImages, DescribeImages, BatchGetImage, BatchDeleteImage, PutImage.
#include <boost/json/array.hpp>

#include "api/ecr/common.h"
#include "api/ecr/handlers.h"
#include "base/crypto.h"
#include "oci/manifest.h"

namespace wharf::api::ecr {
namespace json = boost::json;

namespace {

// Images of the repository in the input, or the error to answer with.
std::variant<std::vector<registry::ImageRecord>, AwsError> LoadImages(Registry& r, const object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto images = r.Images(RepositoryName(in));
  if (!images.ok()) return EcrError(images.status());
  std::sort(images->begin(), images->end(),
            [](const auto& a, const auto& b) { return a.pushed_at > b.pushed_at; });
  return std::move(images).value();
}

bool WantedByFilter(const object& in, const registry::ImageRecord& image) {
  std::string status = GetString(GetObject(in, "filter"), "tagStatus", "ANY");
  if (status == "TAGGED") return !image.tags.empty();
  if (status == "UNTAGGED") return image.tags.empty();
  return true;
}

// Finds the image an imageId names; the failure code and reason otherwise.
const registry::ImageRecord* Find(const std::vector<registry::ImageRecord>& images, const object& id,
                                  std::string& code, std::string& reason) {
  std::string digest = GetString(id, "imageDigest"), tag = GetString(id, "imageTag");
  if (digest.empty() && tag.empty()) {
    code = "MissingDigestAndTag";
    reason = "Missing image digest and tag";
    return nullptr;
  }
  if (!digest.empty() && !oci::IsDigest(digest)) {
    code = "InvalidImageDigest";
    reason = "Invalid image digest";
    return nullptr;
  }
  for (const auto& image : images) {
    bool tag_matches = tag.empty() || std::find(image.tags.begin(), image.tags.end(), tag) != image.tags.end();
    if (!digest.empty() && image.digest == digest) {
      if (tag_matches) return &image;
      code = "ImageTagDoesNotMatchDigest";
      reason = "Invalid image tag for digest";
      return nullptr;
    }
    if (digest.empty() && tag_matches) return &image;
  }
  code = "ImageNotFound";
  reason = "Requested image not found";
  return nullptr;
}

// ECR's pagination over a computed list: the token is the index to go on from.
object Paginated(const json::array& all, const object& in, const char* field) {
  size_t page = static_cast<size_t>(GetInt(in, "maxResults").value_or(1000));
  size_t start = Has(in, "nextToken") ? static_cast<size_t>(std::atoll(GetString(in, "nextToken").c_str())) : 0;
  json::array out;
  for (size_t i = start; i < all.size() && out.size() < page; ++i) out.push_back(all[i]);
  object result{{field, std::move(out)}};
  if (start + page < all.size()) result["nextToken"] = std::to_string(start + page);
  return result;
}

std::string Describe(const object& id) {
  std::string digest = GetString(id, "imageDigest", "null"), tag = GetString(id, "imageTag", "null");
  return "{imageDigest:'" + digest + "', imageTag:'" + tag + "'}";
}

object Detail(const Registry& r, const std::string& repo, const registry::ImageRecord& image) {
  json::array tags;
  for (const auto& t : image.tags) tags.push_back(json::value(t));
  object d{{"registryId", r.options().account_id},
           {"repositoryName", repo},
           {"imageDigest", image.digest},
           {"imageSizeInBytes", image.size},
           {"imagePushedAt", image.pushed_at},
           {"imageManifestMediaType", image.media_type}};
  if (!tags.empty()) d["imageTags"] = std::move(tags);
  if (!image.artifact_type.empty()) {
    d["artifactMediaType"] = image.artifact_type;
  } else if (!image.is_index()) {
    d["artifactMediaType"] = image.media_type == oci::kDockerManifest
                                 ? "application/vnd.docker.container.image.v1+json"
                                 : "application/vnd.oci.image.config.v1+json";
  }
  return d;
}

}  // namespace

Outcome ListImages(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadImages(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  json::array ids;
  for (const auto& image : std::get<0>(loaded)) {
    if (!WantedByFilter(in, image)) continue;
    if (image.tags.empty()) ids.push_back(ImageId(image, ""));
    for (const auto& t : image.tags) ids.push_back(ImageId(image, t));
  }
  return Paginated(ids, in, "imageIds");
}

Outcome DescribeImages(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadImages(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const auto& images = std::get<0>(loaded);
  std::string repo = RepositoryName(in);
  json::array details;
  if (Has(in, "imageIds")) {
    for (const auto& id : GetArray(in, "imageIds")) {
      std::string code, reason;
      const auto* image = Find(images, id.as_object(), code, reason);
      if (!image) {
        return AwsError::Client("ImageNotFoundException",
                                "The image with imageId " + Describe(id.as_object()) +
                                    " does not exist within the repository with name '" + repo +
                                    "' in the registry with id '" + r.options().account_id + "'");
      }
      details.push_back(Detail(r, repo, *image));
    }
    return object{{"imageDetails", std::move(details)}};
  }
  for (const auto& image : images) {
    if (WantedByFilter(in, image)) details.push_back(Detail(r, repo, image));
  }
  return Paginated(details, in, "imageDetails");
}

Outcome BatchGetImage(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadImages(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto& images = std::get<0>(loaded);
  if (Status st = r.OpenManifests(RepositoryName(in), images); !st.ok()) return EcrError(st);
  json::array found, failures;
  for (const auto& id : GetArray(in, "imageIds")) {
    std::string code, reason;
    const auto* image = Find(images, id.as_object(), code, reason);
    if (!image) {
      failures.push_back(object{{"imageId", id}, {"failureCode", code}, {"failureReason", reason}});
      continue;
    }
    found.push_back(object{{"registryId", r.options().account_id},
                           {"repositoryName", RepositoryName(in)},
                           {"imageId", ImageId(*image, GetString(id.as_object(), "imageTag"))},
                           {"imageManifest", image->manifest},
                           {"imageManifestMediaType", image->media_type}});
  }
  return object{{"images", std::move(found)}, {"failures", std::move(failures)}};
}

Outcome BatchDeleteImage(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadImages(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const auto& images = std::get<0>(loaded);
  std::string repo = RepositoryName(in);
  json::array deleted, failures;
  for (const auto& idv : GetArray(in, "imageIds")) {
    const object& id = idv.as_object();
    std::string code, reason;
    const auto* image = Find(images, id, code, reason);
    if (!image) {
      failures.push_back(object{{"imageId", id}, {"failureCode", code}, {"failureReason", reason}});
      continue;
    }
    std::string tag = GetString(id, "imageTag");
    // Removing a tag removes the image with its last tag, as ECR does.
    bool whole = GetString(id, "imageDigest") == image->digest || image->tags.size() <= 1;
    auto result = whole ? r.DeleteImage(repo, image->digest) : r.Untag(repo, tag);
    if (auto* st = std::get_if<Status>(&result)) return EcrError(*st);
    if (std::holds_alternative<registry::Failure>(result)) {
      failures.push_back(object{{"imageId", id}, {"failureCode", "ImageNotFound"},
                                {"failureReason", "Requested image not found"}});
      continue;
    }
    deleted.push_back(ImageId(*image, tag));
  }
  return object{{"imageIds", std::move(deleted)}, {"failures", std::move(failures)}};
}

Outcome PutImage(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string repo = RepositoryName(in);
  std::string manifest = GetString(in, "imageManifest");
  std::string digest = oci::DigestOf(manifest);
  std::string declared = GetString(in, "imageDigest");
  if (!declared.empty() && declared != digest) {
    return AwsError::Client("ImageDigestDoesNotMatchException",
                            "Provided digest " + declared + " does not match the manifest's digest " + digest);
  }
  std::string tag = GetString(in, "imageTag");
  if (!tag.empty()) {
    auto existing = r.Resolve(repo, tag);
    if (auto* image = std::get_if<registry::ImageRecord>(&existing); image && image->digest == digest) {
      return AwsError::Client("ImageAlreadyExistsException",
                              "Image with digest '" + digest + "' and tag '" + tag +
                                  "' already exists in the repository with name '" + repo +
                                  "' in registry with id '" + r.options().account_id + "'");
    }
  }
  auto put = r.PutManifest(repo, tag.empty() ? digest : tag, manifest, GetString(in, "imageManifestMediaType"));
  if (auto* st = std::get_if<Status>(&put)) return EcrError(*st);
  if (auto* f = std::get_if<registry::Failure>(&put)) {
    switch (f->error) {
      case registry::RegistryError::kRepositoryNotFound: return RepositoryNotFound(r, repo);
      case registry::RegistryError::kBlobUnknown: return AwsError::Client("LayersNotFoundException", f->message);
      case registry::RegistryError::kTagImmutable: return AwsError::Client("ImageTagAlreadyExistsException", f->message);
      case registry::RegistryError::kTagInvalid: return InvalidParameter(f->message);
      default: return InvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: '" + f->message + "'");
    }
  }
  auto image = r.Resolve(repo, digest);
  std::string media = std::holds_alternative<registry::ImageRecord>(image)
                          ? std::get<registry::ImageRecord>(image).media_type
                          : GetString(in, "imageManifestMediaType");
  object id{{"imageDigest", digest}};
  if (!tag.empty()) id["imageTag"] = tag;
  return object{{"image", object{{"registryId", r.options().account_id},
                                 {"repositoryName", repo},
                                 {"imageId", std::move(id)},
                                 {"imageManifest", manifest},
                                 {"imageManifestMediaType", media}}}};
}

}  // namespace wharf::api::ecr
