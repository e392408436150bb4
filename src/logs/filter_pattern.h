// FilterPattern: CloudWatch Logs' filter pattern language ("Filter pattern syntax for metric
// filters, subscription filters, filter log events"), parsed once and matched against many
// messages.
//
// Three forms, told apart by the first character:
//  - terms (unstructured events): `ERROR`, `"Failed to process"` (all must occur, case
//    sensitive), `?ERROR ?WARN` (at least one of the ?-terms), `-DEBUG` (none may occur);
//    the empty pattern matches everything.
//  - JSON, `{ ... }`: selectors `$.a.b[0].c` compared with `=`/`!=` (strings, `*` wildcards;
//    numbers), `<` `>` `<=` `>=` (numbers), `IS NULL`, `IS TRUE`, `IS FALSE`, `EXISTS`,
//    `NOT EXISTS`; `&&`, `||`, parentheses. A message that is not a JSON object never matches.
//  - space-delimited, `[ip, user, ..., status = 4*, bytes > 1000]`: fields split on spaces
//    (a "quoted" or [bracketed] field is one field), `...` any number of fields; conditions
//    on named fields as in JSON patterns, `&&`/`||` within one field.
//
// Thread-safety: an immutable value once parsed; Matches may run on many threads at once.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace wharf::logs {

// What a matching message binds, for metric filters' `$name` / `$.path` references.
struct Captures {
  // Space-delimited patterns: each named field's value, as "$name" (TestMetricFilter's
  // extractedValues), in the pattern's order.
  std::vector<std::pair<std::string, std::string>> fields;
  // JSON patterns: the parsed message, which `$.a.b[0]` selectors look into.
  std::shared_ptr<const boost::json::value> doc;
  // The value `ref` names ("$name" or "$.a.b"): a string as is, a number or boolean as
  // JSON writes it; nullopt when absent, null, an object or an array.
  std::optional<std::string> Value(std::string_view ref) const;
};

class FilterPattern {
 public:
  struct Node;  // the parsed form (filter_pattern.cc)

  // InvalidArgument with AWS's "Invalid filter pattern" wording for malformed patterns.
  static Result<FilterPattern> Parse(std::string_view text);

  bool Matches(std::string_view message) const;
  bool MatchesAll() const { return root_ == nullptr; }
  // As Matches, with what the match binds; nullopt when it does not match.
  std::optional<Captures> Capture(std::string_view message) const;

 private:
  std::shared_ptr<const Node> root_;  // null: the empty pattern
};

// `*` in `pattern` stands for any run of characters; everything else is literal.
bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace wharf::logs
