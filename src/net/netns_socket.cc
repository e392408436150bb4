#include "net/netns_socket.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/logging.h"

namespace wharf::net {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

Result<int> OpenTcpSocketIn(const std::string& netns_path) {
  int target = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) return Status::Unavailable(Errno("network namespace " + netns_path));
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    close(target);
    return Status::Internal(Errno("own network namespace"));
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    Status failed = Status::Unavailable(Errno("entering " + netns_path));
    close(target);
    close(own);
    return failed;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int saved = errno;
  if (setns(own, CLONE_NEWNET) != 0) {
    // A broken invariant: this thread would go on in the task's namespace.
    LOG_ERROR("msg=\"cannot return to the node's network namespace\" error=\"{}\"", std::strerror(errno));
    std::abort();
  }
  close(target);
  close(own);
  if (fd < 0) {
    errno = saved;
    return Status::Internal(Errno("socket in " + netns_path));
  }
  return fd;
}

}  // namespace wharf::net
