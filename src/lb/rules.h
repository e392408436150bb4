// Listener rule matching, as ALB evaluates it: rules in priority order, the first whose
// conditions all hold wins, the default rule last. Pure functions, unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lb/config.h"

namespace wharf::lb {

// What a rule can look at in a request.
struct RequestFacts {
  std::string_view method;
  std::string_view host;   // Host header, port removed
  std::string_view path;   // without the query
  std::string_view query;  // raw, without '?'
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view source_ip;
};

// ALB wildcards: '*' any run, '?' one character.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool case_insensitive);
bool ConditionHolds(const Condition& condition, const RequestFacts& request);
// The rule that handles the request, or null when no rule matches (not even a default).
const Rule* MatchRule(const Listener& listener, const RequestFacts& request);

// Fills #{protocol}, #{host}, #{port}, #{path} (without its leading '/'), #{query}.
std::string ExpandRedirect(std::string_view pattern, std::string_view protocol, std::string_view host,
                           std::string_view port, std::string_view path, std::string_view query);

}  // namespace wharf::lb
