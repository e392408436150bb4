// Wildcard matching where '*' stands for any run of characters (ECR lifecycle tag patterns,
// CloudWatch Logs filter terms). Linear in practice: it backtracks only to the last '*'.
#pragma once

#include <string_view>

namespace wharf {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace wharf
