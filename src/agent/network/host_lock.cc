#include "agent/network/host_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace wharf::agent {

Result<HostLock> HostLock::Take(const std::string& dir, const std::string& name, Mode mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/" + name + ".lock";
  for (;;) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal("lock " + path + ": " + std::strerror(errno));
    int rc;
    do {
      rc = flock(fd, mode == Mode::kShared ? LOCK_SH : LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int e = errno;
      close(fd);
      return Status::Internal("lock " + path + ": " + std::strerror(e));
    }
    // Held on the file at the path, not on one its last holder removed (Unlink) meanwhile.
    struct stat held, named;
    if (fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      return HostLock(fd, path);
    }
    close(fd);
  }
}

void HostLock::Unlink() {
  if (fd_ >= 0) unlink(path_.c_str());
}

HostLock::~HostLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

}  // namespace wharf::agent
