#include "agent/monitor/oom_watch.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wharf::monitor {
namespace {

constexpr long kCgroup2SuperMagic = 0x63677270;

// The directory of `pid`'s cgroup for `controller` (v1) or its unified cgroup (v2), from
// /proc/<pid>/cgroup lines "<id>:<controllers>:<path>".
std::string CgroupDir(int pid, bool v2, const char* controller) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
  FILE* f = fopen(path, "re");
  if (f == nullptr) return "";
  std::string result;
  char* line = nullptr;
  size_t cap = 0;
  while (result.empty() && getline(&line, &cap, f) > 0) {
    std::string entry(line);
    if (!entry.empty() && entry.back() == '\n') entry.pop_back();
    const size_t first = entry.find(':');
    const size_t second = first == std::string::npos ? first : entry.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = entry.substr(first + 1, second - first - 1);
    const std::string dir = entry.substr(second + 1);
    if (v2) {
      if (controllers.empty()) result = "/sys/fs/cgroup" + dir;
      continue;
    }
    size_t start = 0;
    while (start <= controllers.size()) {
      size_t end = controllers.find(',', start);
      if (end == std::string::npos) end = controllers.size();
      if (controllers.compare(start, end - start, controller) == 0) {
        result = "/sys/fs/cgroup/" + std::string(controller) + dir;
        break;
      }
      start = end + 1;
    }
  }
  free(line);
  fclose(f);
  return result;
}

}  // namespace

OomWatch::~OomWatch() {
  if (fd_ >= 0) close(fd_);
  if (oom_control_fd_ >= 0) close(oom_control_fd_);
}

std::string OomWatch::Start(int pid) {
  struct statfs sfs {};
  v2_ = statfs("/sys/fs/cgroup", &sfs) == 0 && static_cast<long>(sfs.f_type) == kCgroup2SuperMagic;
  cgroup_dir_ = CgroupDir(pid, v2_, "memory");
  if (cgroup_dir_.empty()) return "no memory cgroup for pid " + std::to_string(pid);
  if (v2_) {
    const std::string events = cgroup_dir_ + "/memory.events";
    fd_ = open(events.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return "open " + events + ": " + strerror(errno);
    CheckV2();  // a read arms the notification
    return "";
  }
  const std::string control = cgroup_dir_ + "/cgroup.event_control";
  int control_fd = open(control.c_str(), O_WRONLY | O_CLOEXEC);
  if (control_fd < 0) return "open " + control + ": " + strerror(errno);
  oom_control_fd_ = open((cgroup_dir_ + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::string err;
  if (oom_control_fd_ < 0 || fd_ < 0) {
    err = std::string("memory.oom_control/eventfd: ") + strerror(errno);
  } else {
    const std::string registration = std::to_string(fd_) + " " + std::to_string(oom_control_fd_);
    if (write(control_fd, registration.data(), registration.size()) < 0) {
      err = "register with " + control + ": " + strerror(errno);
    }
  }
  close(control_fd);
  if (!err.empty()) {
    if (fd_ >= 0) close(fd_);
    if (oom_control_fd_ >= 0) close(oom_control_fd_);
    fd_ = oom_control_fd_ = -1;
  }
  return err;
}

short OomWatch::events() const { return v2_ ? POLLPRI : POLLIN; }

bool OomWatch::Check() {
  if (fd_ < 0) return false;
  return v2_ ? CheckV2() : CheckV1();
}

bool OomWatch::CheckV1() {
  // As conmon: one event with the cgroup gone was its removal; anything else was an OOM.
  const bool removed = access((cgroup_dir_ + "/cgroup.event_control").c_str(), F_OK) != 0;
  uint64_t count = 0;
  if (read(fd_, &count, sizeof count) != static_cast<ssize_t>(sizeof count) || count == 0) return false;
  return !(count == 1 && removed);
}

bool OomWatch::CheckV2() {
  char text[4096];
  const ssize_t n = pread(fd_, text, sizeof text - 1, 0);
  if (n < 0 && errno != EINTR) {
    // The cgroup is gone (ENODEV), and its file would poll POLLERR for ever: stop watching.
    close(fd_);
    fd_ = -1;
    return false;
  }
  if (n <= 0) return false;
  text[n] = '\0';
  long count = 0;
  for (const char* line = text; line != nullptr && *line != '\0';) {
    char key[64];
    long value = 0;
    if (sscanf(line, "%63s %ld", key, &value) == 2 &&
        (strcmp(key, "oom") == 0 || strcmp(key, "oom_kill") == 0)) {
      count += value;
    }
    line = strchr(line, '\n');
    if (line != nullptr) ++line;
  }
  if (count == last_v2_count_) return false;
  last_v2_count_ = count;
  return count > 0;
}

}  // namespace wharf::monitor
