#include "agent/network/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace wharf::agent {
namespace {

constexpr long kNsfsMagic = 0x6e736673;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Runs on a throw-away thread: unshare() moves only the calling thread into the new
// namespace, so the agent's other threads never see it.
Status UnshareAndBind(const std::string& path) {
  if (unshare(CLONE_NEWNET) != 0) return Status::Internal(Errno("unshare(CLONE_NEWNET)"));
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Status::Internal(Errno("socket"));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ioctl(sock, SIOCGIFFLAGS, &ifr) == 0;
  if (up) {
    ifr.ifr_flags |= IFF_UP;
    up = ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
  }
  int saved = errno;
  close(sock);
  errno = saved;
  if (!up) return Status::Internal(Errno("bringing lo up"));
  if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
    return Status::Internal(Errno("bind-mounting netns on " + path));
  }
  return Status::OK();
}

}  // namespace

Status EnsureNetnsDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("mkdir " + dir + ": " + ec.message());
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return Status::OK();
  if (errno != EINVAL) return Status::Internal(Errno("making " + dir + " shared"));
  // Not a mount point yet: bind it on itself first, as iproute2 does.
  if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) {
    return Status::Internal(Errno("bind-mounting " + dir));
  }
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    return Status::Internal(Errno("making " + dir + " shared"));
  }
  return Status::OK();
}

bool NetnsExists(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<long>(fs.f_type) == kNsfsMagic;
}

Status CreateNetns(const std::string& path) {
  if (NetnsExists(path)) return Status::AlreadyExists("network namespace " + path);
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return Status::Internal(Errno("creating " + path));
  close(fd);
  Status status;
  std::thread worker([&] { status = UnshareAndBind(path); });
  worker.join();
  if (!status.ok()) unlink(path.c_str());
  return status;
}

Status RemoveNetns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Status::Internal(Errno("unmounting " + path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::Internal(Errno("removing " + path));
  }
  return Status::OK();
}

}  // namespace wharf::agent
