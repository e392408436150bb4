// RemoveCgroup: cgroup directories are removed with rmdir, deepest first, in every hierarchy.
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

}  // namespace wharf::agent
