// Image references, parsed the way Docker parses them.
//
//   "busybox"                -> docker.io/library/busybox:latest
//   "host:5000/a/b:tag"      -> registry "host:5000", repository "a/b", reference "tag"
//   "repo@sha256:<hex>"      -> reference is the digest (a tag given alongside is dropped,
//                               as Docker pulls by the digest then)
// The registry is the first path component when it contains '.' or ':' or is "localhost";
// otherwise it is docker.io, where one-component names live under "library/".
// Values; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::agent {

struct ImageReference {
  std::string registry;    // "docker.io", "127.0.0.1:5000", "<acct>.dkr.ecr.<region>.amazonaws.com"
  std::string repository;  // "library/busybox"
  std::string reference;   // a tag or "sha256:<hex>"

  bool IsDigest() const;
  // Canonical form: registry/repository:tag or registry/repository@digest.
  std::string ToString() const;
};

// InvalidArgument on anything Docker would refuse as a reference.
Result<ImageReference> ParseImageReference(std::string_view text);

}  // namespace wharf::agent
