#include "oci/manifest.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/crypto.h"

namespace wharf::oci {
namespace json = boost::json;

namespace {

std::string StringField(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<Descriptor> ParseDescriptor(const json::value& v, std::string_view where) {
  if (!v.is_object()) return Status::InvalidArgument(std::string(where) + " is not an object");
  const json::object& o = v.get_object();
  Descriptor d;
  d.media_type = StringField(o, "mediaType");
  d.digest = StringField(o, "digest");
  if (!IsDigest(d.digest)) {
    return Status::InvalidArgument(std::string(where) + " has an invalid digest '" + d.digest + "'");
  }
  auto* size = o.if_contains("size");
  if (!size || !size->is_int64() || size->get_int64() < 0) {
    return Status::InvalidArgument(std::string(where) + " has no valid size");
  }
  d.size = size->get_int64();
  if (auto* platform = o.if_contains("platform"); platform && platform->is_object()) {
    d.platform_os = StringField(platform->get_object(), "os");
    d.platform_architecture = StringField(platform->get_object(), "architecture");
  }
  return d;
}

}  // namespace

bool IsDigest(std::string_view text) {
  if (text.size() != 71 || text.substr(0, 7) != "sha256:") return false;
  for (char c : text.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string DigestOf(std::string_view bytes) { return "sha256:" + HexEncode(Sha256(bytes)); }

Result<Manifest> ParseManifest(std::string_view bytes, std::string_view content_type) {
  boost::system::error_code ec;
  json::value doc = json::parse(bytes, ec);
  if (ec || !doc.is_object()) return Status::InvalidArgument("manifest is not a JSON object");
  const json::object& o = doc.get_object();
  Manifest m;
  std::string declared = StringField(o, "mediaType");
  m.media_type = !content_type.empty() && content_type != "application/json" &&
                         content_type != "application/octet-stream"
                     ? std::string(content_type)
                     : declared;
  if (!declared.empty() && !content_type.empty() && declared != m.media_type &&
      content_type != "application/json") {
    return Status::InvalidArgument("mediaType '" + declared + "' does not match Content-Type '" +
                                   std::string(content_type) + "'");
  }
  if (m.media_type.empty()) {
    m.media_type = o.contains("manifests") ? std::string(kOciIndex) : std::string(kOciManifest);
  }
  m.is_index = m.media_type == kOciIndex || m.media_type == kDockerManifestList;
  if (m.media_type != kOciManifest && m.media_type != kOciIndex && m.media_type != kDockerManifest &&
      m.media_type != kDockerManifestList) {
    return Status::InvalidArgument("unsupported manifest media type '" + m.media_type + "'");
  }
  m.artifact_type = StringField(o, "artifactType");
  if (m.is_index) {
    auto* list = o.if_contains("manifests");
    if (!list || !list->is_array()) return Status::InvalidArgument("index has no manifests list");
    for (const auto& entry : list->get_array()) {
      ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(entry, "manifests entry"));
      m.manifests.push_back(std::move(d));
    }
  } else {
    auto* config = o.if_contains("config");
    if (!config) return Status::InvalidArgument("manifest has no config");
    ASSIGN_OR_RETURN(Descriptor c, ParseDescriptor(*config, "config"));
    if (m.artifact_type.empty() && c.media_type != "application/vnd.oci.image.config.v1+json" &&
        c.media_type != "application/vnd.docker.container.image.v1+json") {
      m.artifact_type = c.media_type;
    }
    m.config = std::move(c);
    auto* layers = o.if_contains("layers");
    if (!layers || !layers->is_array()) return Status::InvalidArgument("manifest has no layers list");
    for (const auto& entry : layers->get_array()) {
      ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(entry, "layer"));
      m.layers.push_back(std::move(d));
    }
  }
  if (auto* subject = o.if_contains("subject")) {
    ASSIGN_OR_RETURN(Descriptor s, ParseDescriptor(*subject, "subject"));
    m.subject = std::move(s);
  }
  return m;
}

}  // namespace wharf::oci
