// YAML templates: yaml-cpp's document made the JSON CloudFormation sees. Plain and quoted
// scalars are strings (CloudFormation converts property values to their types itself), and
// the short-form tags become their long forms: `!Ref X` is {"Ref": "X"}, `!GetAtt A.B` is
// {"Fn::GetAtt": ["A", "B"]}, `!Sub s` is {"Fn::Sub": s}, ...
//
// Pure; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "base/status.h"

namespace wharf::cloudformation {

// InvalidArgument "Template format error: YAML not well-formed. (line L, column C)" and the
// like for what does not parse or is not a template CloudFormation would read.
Result<boost::json::value> YamlToJson(std::string_view text);

}  // namespace wharf::cloudformation
