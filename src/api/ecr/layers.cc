// Auth tokens and layers: GetAuthorizationToken, BatchCheckLayerAvailability,
// GetDownloadUrlForLayer, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload.
#include <boost/json/array.hpp>

#include "api/ecr/common.h"
#include "api/ecr/handlers.h"
#include "api/ecr/kms_data_keys.h"
#include "base/crypto.h"
#include "oci/manifest.h"

namespace wharf::api::ecr {
namespace json = boost::json;

namespace {

// KmsException when the repository is encrypted with a KMS key that refuses now.
std::optional<AwsError> CheckRepositoryKey(Registry& r, const std::string& repo) {
  auto sealing = r.SealingOf(repo);
  if (!sealing.ok()) return EcrError(sealing.status());
  if (!*sealing) return std::nullopt;
  auto key = r.DataKey(**sealing);
  if (!key.ok()) return key.status().IsFailedPrecondition() ? KmsException(key.status()) : EcrError(key.status());
  return std::nullopt;
}

constexpr auto kTokenLifetime = std::chrono::hours(12);
constexpr int64_t kPartSize = 10 * 1024 * 1024;
}  // namespace

Outcome GetAuthorizationToken(Registry& r, const RequestContext& ctx, object&) {
  auto expires = ctx.now + kTokenLifetime;
  ASSIGN_OR_FAIL(std::string password, r.IssuePassword(ctx.access_key_id, expires), EcrError);
  return object{{"authorizationData",
                 json::array{object{{"authorizationToken", Base64Encode("AWS:" + password)},
                                    {"expiresAt", EpochSeconds(expires)},
                                    {"proxyEndpoint", "http://" + r.options().host}}}}};
}

Outcome BatchCheckLayerAvailability(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string repo = RepositoryName(in);
  json::array layers, failures;
  for (const auto& d : GetArray(in, "layerDigests")) {
    std::string digest(d.get_string());
    if (!oci::IsDigest(digest)) {
      failures.push_back(object{{"layerDigest", digest}, {"failureCode", "InvalidLayerDigest"},
                                {"failureReason", "Invalid layer digest"}});
      continue;
    }
    auto size = r.BlobSize(repo, digest);
    bool available = size.has_value();
    object layer{{"layerDigest", digest}, {"layerAvailability", available ? "AVAILABLE" : "UNAVAILABLE"}};
    if (available) layer["layerSize"] = *size;
    layers.push_back(std::move(layer));
  }
  return object{{"layers", std::move(layers)}, {"failures", std::move(failures)}};
}

Outcome GetDownloadUrlForLayer(Registry& r, const RequestContext& ctx, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string repo = RepositoryName(in), digest = GetString(in, "layerDigest");
  if (!oci::IsDigest(digest) || !r.BlobInRepository(repo, digest)) {
    return AwsError::Client("LayersNotFoundException",
                            "The specified layers could not be found, or the specified layer is not valid for "
                            "this repository.");
  }
  if (auto err = CheckRepositoryKey(r, repo)) return *err;
  // Like ECR's presigned URL, the link carries its own short-lived credential.
  ASSIGN_OR_FAIL(std::string password, r.IssuePassword(ctx.access_key_id, ctx.now + std::chrono::hours(1)),
                 EcrError);
  return object{{"downloadUrl", "http://" + r.options().host + "/v2/" + repo + "/blobs/" + digest +
                                    "?X-Wharf-Token=" + password},
                {"layerDigest", digest}};
}

Outcome InitiateLayerUpload(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  auto uuid = r.StartUpload(RepositoryName(in));  // sealed as it arrives in a KMS repository
  if (!uuid.ok()) return uuid.status().IsFailedPrecondition() ? KmsException(uuid.status()) : EcrError(uuid.status());
  return object{{"uploadId", *uuid}, {"partSize", kPartSize}};
}

Outcome UploadLayerPart(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string uuid = GetString(in, "uploadId");
  auto size = r.blobs().UploadSize(uuid);
  if (!size.ok()) return AwsError::Client("UploadNotFoundException", "The upload could not be found.");
  auto bytes = Base64Decode(GetString(in, "layerPartBlob"));
  if (!bytes) return InvalidParameter("layerPartBlob is not valid base64.");
  int64_t first = GetInt(in, "partFirstByte").value_or(-1), last = GetInt(in, "partLastByte").value_or(-1);
  if (first != *size || last - first + 1 != static_cast<int64_t>(bytes->size())) {
    return AwsError::Client("InvalidLayerPartException",
                            "The layer part size is not valid, or the first byte specified is not consecutive "
                            "to the last byte of a previous layer part upload.");
  }
  if (Status st = r.AppendUpload(RepositoryName(in), uuid, "", *bytes); !st.ok()) {
    if (st.IsFailedPrecondition()) return KmsException(st);
    if (st.IsNotFound()) return AwsError::Client("UploadNotFoundException", "The upload could not be found.");
    return EcrError(st);
  }
  return object{{"registryId", r.options().account_id},
                {"repositoryName", RepositoryName(in)},
                {"uploadId", uuid},
                {"lastByteReceived", last}};
}

Outcome CompleteLayerUpload(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string uuid = GetString(in, "uploadId"), repo = RepositoryName(in);
  auto size = r.blobs().UploadSize(uuid);
  if (!size.ok()) return AwsError::Client("UploadNotFoundException", "The upload could not be found.");
  if (*size == 0) {
    r.blobs().CancelUpload(uuid);
    return AwsError::Client("EmptyUploadException", "The specified layer upload does not contain any layer parts.");
  }
  const json::array& digests = GetArray(in, "layerDigests");
  std::string digest = digests.empty() ? "" : std::string(digests[0].get_string());
  if (r.BlobInRepository(repo, digest)) {
    r.blobs().CancelUpload(uuid);
    return AwsError::Client("LayerAlreadyExistsException", "The image layer already exists in the associated repository.");
  }
  Status st = r.CommitUpload(repo, uuid, digest);
  if (st.IsInvalidArgument()) return AwsError::Client("InvalidLayerException", st.message());
  if (st.IsFailedPrecondition()) return KmsException(st);
  if (!st.ok()) return EcrError(st);
  return object{{"registryId", r.options().account_id},
                {"repositoryName", repo},
                {"uploadId", uuid},
                {"layerDigest", digest}};
}

}  // namespace wharf::api::ecr
