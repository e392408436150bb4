// A stack's parameter values: what the caller gave (or UsePreviousValue), else the
// template's Default, checked against the parameter's type and constraints with
// CloudFormation's messages ("Parameters: [X] must have values", "Parameter 'X' must be one
// of AllowedValues", ...).
//
// Pure; thread-safe as values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/template.h"

namespace wharf::cloudformation {

struct ParameterInput {
  std::string key;
  std::string value;
  bool use_previous_value = false;
};

// Every template parameter's value. `previous`: the stack's values before an update.
Result<std::map<std::string, std::string>> ResolveParameterValues(const Template& t,
                                                                  const std::vector<ParameterInput>& given,
                                                                  const std::map<std::string, std::string>& previous);

// Puts the parameters into `scope` as Ref sees them (list types split at commas).
void AddParameters(const Template& t, const std::map<std::string, std::string>& values, Scope& scope);

}  // namespace wharf::cloudformation
