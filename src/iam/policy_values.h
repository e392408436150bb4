// Internal to src/iam: the value parsers and matchers that ParsePolicy compiles with and
// Evaluate matches with, in one place so that both read values the same way.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam/policy.h"

namespace wharf::iam {

class ConditionKeys;

std::string ToLower(std::string_view s);

// "a:b:c" -> {"a","b","c"}, splitting at most max_parts - 1 colons (the last part keeps the
// rest).
std::vector<std::string_view> SplitArn(std::string_view s, size_t max_parts);
// The offset of the n-th colon (1-based), or npos.
size_t NthColon(std::string_view s, int n);

// Escapes '*', '?' and '\' for the glob form.
void AppendEscaped(std::string_view literal, std::string* glob);

// A pattern from its source; with `variables`, "${" makes it a pattern to substitute first.
Pattern MakePattern(std::string source, bool variables);
ArnPattern MakeArnPattern(const std::string& source, bool variables);

// Substitutes the policy variables of `source` from the request's keys: into a glob (values
// escaped) or into a literal string. nullopt when a variable has no value and no default:
// IAM then treats the pattern as matching nothing.
enum class SubstituteInto { kGlob, kLiteral };
std::optional<std::string> Substitute(std::string_view source, const ConditionKeys& keys,
                                      SubstituteInto into);

bool GlobMatches(std::string_view glob, std::string_view text);

// An ARN (or "*") pattern in glob form against an ARN: the first five segments one by one,
// then the resource part (colons included) as a whole.
bool ArnGlobMatches(std::string_view glob, std::string_view arn);

// An ARN split at its first five colons: the parts ArnPattern's segments match.
struct ArnParts {
  std::string_view part[6];
  int count = 0;
};
ArnParts SplitArnParts(std::string_view arn);
// A compiled pattern against a split ARN (patterns without variables only).
bool ArnPatternMatches(const ArnPattern& pattern, const ArnParts& arn);

std::optional<double> ParseNumber(std::string_view s);
// ISO 8601 ("2026-01-01", "2026-01-01T00:00:00Z", "...T01:02:03.5+01:00") or epoch seconds.
std::optional<int64_t> ParseDate(std::string_view s);
// "203.0.113.0/24", "2001:DB8::/64"; a bare address is /32 or /128.
std::optional<ConditionValue::Cidr> ParseCidr(std::string_view s);
bool CidrContains(const ConditionValue::Cidr& net, const ConditionValue::Cidr& address);

}  // namespace wharf::iam
