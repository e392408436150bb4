#include "agent/image/reference.h"

#include <cctype>

#include "oci/manifest.h"

namespace wharf::agent {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

// One path component: lowercase alphanumerics joined by '.', '_', "__" or runs of '-'.
bool IsPathComponent(std::string_view c) {
  if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
      !std::isalnum(static_cast<unsigned char>(c.back()))) {
    return false;
  }
  for (size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) continue;
    if (ch == '.' || ch == '_' || ch == '-') {
      // No two separators in a row, except "__" and "--...".
      const char prev = c[i - 1];
      if ((prev == '.' || prev == '_' || prev == '-') && !(prev == ch && ch != '.')) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool IsTag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    const char ch = t[i];
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') continue;
    if (i > 0 && (ch == '.' || ch == '-')) continue;
    return false;
  }
  return true;
}

bool IsRegistryHost(std::string_view host) {
  if (host.empty()) return false;
  for (char ch : host) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' ||
          ch == '[' || ch == ']')) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ImageReference::IsDigest() const { return reference.rfind("sha256:", 0) == 0; }

std::string ImageReference::ToString() const {
  return registry + "/" + repository + (IsDigest() ? "@" : ":") + reference;
}

Result<ImageReference> ParseImageReference(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("invalid image reference '" + std::string(text) + "': " +
                                   std::string(why));
  };
  if (text.empty() || text.size() > 1024) return invalid("empty or too long");
  std::string_view rest = text;
  ImageReference ref;

  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (!oci::IsDigest(digest)) return invalid("digest must be sha256:<64 lowercase hex>");
    ref.reference = std::string(digest);
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' starts the tag ("host:5000/repo" has no tag).
  const size_t slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!IsTag(tag)) return invalid("bad tag");
    if (ref.reference.empty()) ref.reference = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (ref.reference.empty()) ref.reference = "latest";

  std::string_view name = rest;
  const size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = name.substr(0, first_slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      if (!IsRegistryHost(first)) return invalid("bad registry host");
      ref.registry = std::string(first);
      name = name.substr(first_slash + 1);
    }
  }
  if (ref.registry.empty() || ref.registry == "index.docker.io" ||
      ref.registry == "registry-1.docker.io") {
    ref.registry = std::string(kDockerHub);
  }
  if (name.empty()) return invalid("no repository name");
  std::string_view components = name;
  while (true) {
    const size_t s = components.find('/');
    if (!IsPathComponent(components.substr(0, s))) {
      return invalid("repository must be lowercase letters, digits and separators");
    }
    if (s == std::string_view::npos) break;
    components = components.substr(s + 1);
  }
  ref.repository = std::string(name);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.registry.size() + ref.repository.size() + 1 > 255) return invalid("name too long");
  return ref;
}

}  // namespace wharf::agent
