#include "base/file_contents.h"

#include <fstream>
#include <sstream>

namespace wharf {

std::optional<std::string> ReadFileContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace wharf
