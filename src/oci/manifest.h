// OCI and Docker image manifests: digests, media types, and the blobs and manifests a
// manifest refers to. Parsing only; storage is src/registry's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::oci {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";

// "sha256:<64 lowercase hex>" (the only algorithm wharf stores).
bool IsDigest(std::string_view text);
std::string DigestOf(std::string_view bytes);  // sha256 of the bytes, as a digest string

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::string platform_os, platform_architecture;  // index entries
};

struct Manifest {
  std::string media_type;     // as pushed (Content-Type, else the mediaType field)
  std::string artifact_type;  // OCI 1.1 artifactType, or the config media type of an artifact
  bool is_index = false;
  std::optional<Descriptor> config;
  std::vector<Descriptor> layers;     // image manifests
  std::vector<Descriptor> manifests;  // indexes
  std::optional<Descriptor> subject;  // OCI 1.1 referrers
};

// Parses a pushed manifest. `content_type` is the request's Content-Type (may be empty).
// InvalidArgument on anything the registry must refuse (MANIFEST_INVALID).
Result<Manifest> ParseManifest(std::string_view bytes, std::string_view content_type);

}  // namespace wharf::oci
