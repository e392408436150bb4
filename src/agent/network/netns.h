// Named network namespaces: an nsfs bind mount on a file, as `ip netns add` makes them.
//
// The directory is made a shared mount point (like iproute2 does for /run/netns) so that a
// namespace's unmount also propagates into mount namespaces created after it (containers),
// and Remove does not leave the namespace pinned by a copy of the mount.
// Thread-safe: every call works on its own path.
#pragma once

#include <string>

#include "base/status.h"

namespace wharf::agent {

// Creates a new network namespace bound at `path` with its loopback up. Fails with
// AlreadyExists when `path` already holds a namespace; a stale plain file is replaced.
Status CreateNetns(const std::string& path);

// True when `path` is a mounted network namespace.
bool NetnsExists(const std::string& path);

// Unmounts and removes `path`. OK when it is already gone.
Status RemoveNetns(const std::string& path);

// Makes `dir` exist and be a shared mount point.
Status EnsureNetnsDir(const std::string& dir);

}  // namespace wharf::agent
