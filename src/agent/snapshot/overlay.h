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

// How a task runner makes and removes its containers' roots: an I/O seam (needs root and
// mounts), so a test passes a fake. OverlayRootfs is the functions above.
class RootfsMounter {
 public:
  virtual ~RootfsMounter() = default;
  // container_dir/rootfs, mounted.
  virtual Result<std::string> Mount(const Image& image, const std::string& container_dir, bool read_only) = 0;
  virtual Status Unmount(const std::string& container_dir) = 0;
  // Whether container_dir/rootfs is a mount point.
  virtual bool Mounted(const std::string& container_dir) const = 0;
};

class OverlayRootfs final : public RootfsMounter {
 public:
  Result<std::string> Mount(const Image& image, const std::string& container_dir, bool read_only) override {
    return MountRootfs(image, container_dir, read_only);
  }
  Status Unmount(const std::string& container_dir) override { return UnmountRootfs(container_dir); }
  bool Mounted(const std::string& container_dir) const override { return IsMountPoint(container_dir + "/rootfs"); }
};

}  // namespace wharf::agent
