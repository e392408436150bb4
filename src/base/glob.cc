#include "base/glob.h"

#include <cctype>

namespace wharf {
namespace {

char Fold(char c, bool case_insensitive) {
  return case_insensitive ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, GlobSyntax syntax) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
      continue;
    }
    if (p < pattern.size()) {
      bool escaped = syntax.backslash_escapes && pattern[p] == '\\' && p + 1 < pattern.size();
      char want = escaped ? pattern[p + 1] : pattern[p];
      bool any_one = !escaped && syntax.question_mark && want == '?';
      if (any_one || Fold(want, syntax.case_insensitive) == Fold(text[t], syntax.case_insensitive)) {
        p += escaped ? 2 : 1;
        ++t;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    p = star + 1;
    t = ++resume;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace wharf
