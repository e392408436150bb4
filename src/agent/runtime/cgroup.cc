// RemoveCgroup: cgroup directories are removed with rmdir, deepest first, in every hierarchy.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "agent/runtime/container_runtime.h"

namespace wharf::agent {
namespace {

namespace fs = std::filesystem;

Status RemoveTree(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) RETURN_IF_ERROR(RemoveTree(e.path()));
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    if (errno == EBUSY) return Status::Unavailable("cgroup " + dir.string() + " still has processes");
    return Status::Internal("rmdir " + dir.string() + ": " + strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Status RemoveCgroup(const std::string& cgroups_path) {
  if (cgroups_path.empty() || cgroups_path.find("..") != std::string::npos) {
    return Status::InvalidArgument("bad cgroups path: " + cgroups_path);
  }
  const fs::path root = "/sys/fs/cgroup";
  std::vector<fs::path> hierarchies;
  std::error_code ec;
  if (fs::exists(root / "cgroup.controllers", ec)) {
    hierarchies.push_back(root);  // pure v2
  } else {
    // v1 and hybrid: one directory per mounted hierarchy; "cpu,cpuacct"-style symlinks repeat.
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (e.is_directory(ec) && !e.is_symlink(ec)) hierarchies.push_back(e.path());
    }
  }
  Status result;
  for (const auto& h : hierarchies) {
    fs::path dir = h / fs::path(cgroups_path).relative_path();
    if (!fs::exists(dir, ec)) continue;
    Status st = RemoveTree(dir);
    if (!st.ok() && result.ok()) result = st;
  }
  return result;
}

Status SetTaskLimits(const std::string& cgroups_path, int64_t cpu_units, int64_t memory_mib) {
  if (cgroups_path.empty() || cgroups_path.find("..") != std::string::npos) {
    return Status::InvalidArgument("bad cgroups path: " + cgroups_path);
  }
  const fs::path root = "/sys/fs/cgroup";
  std::error_code ec;
  bool v2 = fs::exists(root / "cgroup.controllers", ec);
  auto write = [&](const char* controller, const char* file, const std::string& value) -> Status {
    fs::path dir = (v2 ? root : root / controller) / fs::path(cgroups_path).relative_path();
    fs::create_directories(dir, ec);
    if (ec) return Status::Internal("mkdir " + dir.string() + ": " + ec.message());
    FILE* f = std::fopen((dir / file).c_str(), "w");
    if (!f) return Status::Internal("open " + (dir / file).string() + ": " + strerror(errno));
    bool ok = std::fputs(value.c_str(), f) >= 0;
    ok = std::fclose(f) == 0 && ok;
    return ok ? Status::OK() : Status::Internal("write " + (dir / file).string() + ": " + strerror(errno));
  };
  if (memory_mib > 0) {
    std::string bytes = std::to_string(memory_mib * 1024 * 1024);
    RETURN_IF_ERROR(v2 ? write("", "memory.max", bytes) : write("memory", "memory.limit_in_bytes", bytes));
  }
  if (cpu_units > 0) {
    // cgroup v1 cpu.shares as Docker sets them from CPU units; v2 weight on the same scale.
    int64_t shares = std::max<int64_t>(2, cpu_units);
    RETURN_IF_ERROR(v2 ? write("", "cpu.weight", std::to_string(std::clamp<int64_t>(1 + (shares - 2) * 9999 / 262142, 1, 10000)))
                       : write("cpu", "cpu.shares", std::to_string(shares)));
  }
  return Status::OK();
}

}  // namespace wharf::agent
