// Wildcard matching where '*' stands for any run of characters; what else is special is the
// caller's syntax: '?' for one character (ALB conditions, EC2 filters), '\' escaping the next
// character (EC2 filters), letters compared without case (ALB host and header values).
// Used for ECR lifecycle tag patterns, CloudWatch Logs filter terms, EC2 filter values and
// ALB rule conditions. Linear in practice: it backtracks only to the last '*'.
#pragma once

#include <string_view>

namespace wharf {

struct GlobSyntax {
  bool question_mark = false;      // '?' matches any one character
  bool backslash_escapes = false;  // '\x' matches 'x' literally, even '*' and '?'
  bool case_insensitive = false;
};

bool GlobMatch(std::string_view pattern, std::string_view text, GlobSyntax syntax = {});

}  // namespace wharf
