// A small file read whole (state files, pid files, cgroup and /proc entries).
#pragma once

#include <optional>
#include <string>

namespace wharf {

// The file's bytes; nullopt when it cannot be opened (absent, no permission).
std::optional<std::string> ReadFileContents(const std::string& path);

}  // namespace wharf
