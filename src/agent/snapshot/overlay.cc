#include "agent/snapshot/overlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wharf::agent {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxMountData = 4000;  // mount(2) data is one page, with some margin

// /proc/self/mountinfo escapes ' ', '\t', '\n' and '\\' as octal.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

Status Mkdir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return Status::Internal("mkdir " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Status Errno(const std::string& what) {
  return Status::Internal(what + ": " + std::strerror(errno));
}

// The new mount API: no page limit on the options, lowers added one by one.
Status MountWithFsconfig(const std::vector<std::string>& lowers, const std::string& upper,
                         const std::string& work, const std::string& target, bool read_only) {
  int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0) return Errno("fsopen overlay");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } close_fs{fsfd};
  // overlayfs lists lowerdirs top first.
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", it->c_str(), 0) != 0) {
      return Errno("overlay lowerdir+ " + *it);
    }
  }
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper.c_str(), 0) != 0 ||
      fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work.c_str(), 0) != 0 ||
      fsconfig(fsfd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return Errno("overlay fsconfig");
  }
  int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, read_only ? MOUNT_ATTR_RDONLY : 0);
  if (mfd < 0) return Errno("fsmount overlay");
  Closer close_mount{mfd};
  if (move_mount(mfd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return Errno("move_mount overlay to " + target);
  }
  return Status::OK();
}

}  // namespace

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    if (Unescape(mount_point) == path) return true;
  }
  return false;
}

Result<std::string> MountRootfs(const Image& image, const std::string& container_dir,
                                bool read_only) {
  std::error_code ec;
  fs::create_directories(container_dir, ec);
  const std::string dir = fs::canonical(container_dir, ec).string();
  if (ec) return Status::Internal("container dir " + container_dir + ": " + ec.message());
  const std::string rootfs = dir + "/rootfs", upper = dir + "/upper", work = dir + "/work";
  if (IsMountPoint(rootfs)) return rootfs;
  for (const auto& d : {rootfs, upper, work}) RETURN_IF_ERROR(Mkdir(d, 0755));

  std::vector<std::string> lowers = image.layer_dirs;
  if (lowers.empty()) {  // an image with no layers (FROM scratch, nothing added)
    RETURN_IF_ERROR(Mkdir(dir + "/empty", 0755));
    lowers.push_back(dir + "/empty");
  }
  std::string data = "lowerdir=";
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    if (it->find_first_of(",:") != std::string::npos) {
      return Status::InvalidArgument("layer path with ',' or ':' cannot be an overlay lower: " +
                                     *it);
    }
    if (it != lowers.rbegin()) data += ':';
    data += *it;
  }
  data += ",upperdir=" + upper + ",workdir=" + work;
  if (data.size() <= kMaxMountData) {
    const unsigned long flags = read_only ? MS_RDONLY : 0;
    if (::mount("overlay", rootfs.c_str(), "overlay", flags, data.c_str()) != 0) {
      return Errno("mount overlay on " + rootfs);
    }
  } else {
    RETURN_IF_ERROR(MountWithFsconfig(lowers, upper, work, rootfs, read_only));
  }
  return rootfs;
}

Status UnmountRootfs(const std::string& container_dir) {
  std::error_code ec;
  std::string dir = fs::weakly_canonical(container_dir, ec).string();
  if (ec) dir = container_dir;
  const std::string rootfs = dir + "/rootfs";
  while (IsMountPoint(rootfs)) {
    if (::umount2(rootfs.c_str(), 0) != 0) {
      if (errno != EBUSY || ::umount2(rootfs.c_str(), MNT_DETACH) != 0) {
        return Errno("unmount " + rootfs);
      }
    }
  }
  for (const char* sub : {"rootfs", "upper", "work", "empty"}) {
    fs::remove_all(dir + "/" + sub, ec);
    if (ec) return Status::Internal("remove " + dir + "/" + sub + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace wharf::agent
