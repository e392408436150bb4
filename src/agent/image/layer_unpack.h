// UnpackLayer: one image layer (a tar, uncompressed or gzip/zstd/xz compressed) onto disk,
// in the form overlayfs stacks.
//
// OCI whiteouts become overlayfs whiteouts: ".wh.<name>" -> a character device 0/0 named
// <name>; ".wh..wh..opq" -> the trusted.overlay.opaque=y xattr on its directory. Other
// ".wh..wh." entries (aufs bookkeeping) are skipped. Ownership (numeric ids), modes, times,
// symlinks, hardlinks within the layer, device nodes and xattrs are kept; xattrs in the
// trusted.overlay. namespace from the tar are dropped, so a layer cannot forge overlay
// state. Paths with ".." components, hardlinks out of the layer and writes through a
// symlink are refused (InvalidArgument).
//
// The uncompressed stream is hashed while it is read: when `diff_id` is given and differs,
// the result is InvalidArgument and `dest` holds garbage for the caller to remove.
// `dest` must exist, be empty, and be a path without symlinks. Needs root (mknod, chown,
// trusted.* xattrs). Thread-safe: touches only `dest`.
#pragma once

#include <string>

#include "base/status.h"

namespace wharf::agent {

Status UnpackLayer(const std::string& blob_path, const std::string& dest,
                   const std::string& diff_id);

}  // namespace wharf::agent
