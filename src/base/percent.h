// Percent-encoding as URLs, forms and SigV4 use it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf {

// Decodes %XX (malformed escapes are kept as they are); `plus_is_space` for form bodies.
std::string PercentDecode(std::string_view s, bool plus_is_space);
// Encodes all but the unreserved characters A-Z a-z 0-9 - _ . ~ (and '/' if kept), as
// SigV4 wants: upper-case hex.
std::string PercentEncode(std::string_view s, bool keep_slash);
// "a=1&b&c=3" -> {("a","1"), ("b",""), ("c","3")}, still encoded.
std::vector<std::pair<std::string_view, std::string_view>> SplitParams(std::string_view query);

}  // namespace wharf
