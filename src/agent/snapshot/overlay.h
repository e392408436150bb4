// The root filesystem of one container: an overlayfs mount of the image's layer snapshots.
//
//   container_dir/rootfs   the mount point handed to runc (absolute)
//   container_dir/upper    the container's writes
//   container_dir/work     overlayfs' scratch space
// Lower layers are the image's snapshots, shared read-only by every container of the image.
// MountRootfs is idempotent (an existing mount is kept); UnmountRootfs removes the mount and
// upper/work/rootfs, and is idempotent too. `read_only` mounts the overlay read-only (ECS
// readonlyRootFilesystem). Images with many layers whose lowerdir option exceeds a page are
// mounted with the new mount API, one "lowerdir+" at a time (Linux 6.8+).
// Needs root. Thread-safe for distinct container_dirs.
#pragma once

#include <string>

#include "agent/image/image_store.h"
#include "base/status.h"

namespace wharf::agent {

Result<std::string> MountRootfs(const Image& image, const std::string& container_dir,
                                bool read_only);
Status UnmountRootfs(const std::string& container_dir);
// Whether `path` is a mount point of this mount namespace (from /proc/self/mountinfo).
bool IsMountPoint(const std::string& path);

}  // namespace wharf::agent
