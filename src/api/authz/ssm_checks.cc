// AWS Systems Manager Parameter Store (prefix ssm). The resource type is the parameter:
//   arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>
// A name may carry a selector (":3", ":label"), which names a version, not another resource.
// Operations not listed here (DescribeParameters, GetParametersByPath's path, ...) are checked
// as AWS lists them or on "*".
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string ParameterArn(const Request& r, std::string_view name) {
  if (name.starts_with("arn:")) return std::string(name);
  name = name.substr(0, name.find(':'));  // the selector
  if (name.starts_with("/")) name.remove_prefix(1);
  return r.Arn("ssm", "parameter/" + std::string(name));
}

void OnParameter(Request& r, std::string_view action) { r.Need(action, ParameterArn(r, r.Str("Name"))); }

// One check per name: each parameter is its own resource.
void OnParameters(Request& r, std::string_view action) {
  for (std::string_view n : r.Strs("Names")) r.Need(action, ParameterArn(r, n));
}

constexpr Entry kEntries[] = {
    {"GetParameter", [](Request& r) { OnParameter(r, "GetParameter"); }},
    {"GetParameters", [](Request& r) { OnParameters(r, "GetParameters"); }},
    {"GetParameterHistory", [](Request& r) { OnParameter(r, "GetParameterHistory"); }},
    {"PutParameter", [](Request& r) { OnParameter(r, "PutParameter"); }},
    {"DeleteParameter", [](Request& r) { OnParameter(r, "DeleteParameter"); }},
    {"DeleteParameters", [](Request& r) { OnParameters(r, "DeleteParameters"); }},
    {"LabelParameterVersion", [](Request& r) { OnParameter(r, "LabelParameterVersion"); }},
    // The path is the resource: arn:...:parameter/<path>.
    {"GetParametersByPath", [](Request& r) { r.Need("GetParametersByPath", ParameterArn(r, r.Str("Path"))); }},
};

}  // namespace

const ServiceTable kSsmTable = {
    "ssm", "ssm", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
