#include "api/ec2/common.h"

#include "base/glob.h"

namespace wharf::api::ec2 {

std::string Context::NewId(std::string_view kind) {
  Random& random = deps.random ? *deps.random : own_random_;
  return std::string(kind) + "-" + RandomHex(random, 17);
}

AwsError Ec2Error(const Status& status) {
  if (status.IsUnavailable() || status.IsInternal()) {
    return AwsError::Server("InternalError", status.message());
  }
  return InvalidParameterValue(status.message());
}

AwsError InvalidParameterValue(std::string message) {
  return AwsError::Client("InvalidParameterValue", std::move(message));
}

AwsError MissingParameter(std::string parameter) {
  return AwsError::Client("MissingParameter",
                          "The request must contain the parameter " + parameter);
}

AwsError GroupNotFound(std::string_view group) {
  if (group.starts_with("sg-")) {
    return AwsError::Client("InvalidGroup.NotFound",
                            "The security group '" + std::string(group) + "' does not exist");
  }
  return AwsError::Client("InvalidGroup.NotFound", "The security group '" + std::string(group) +
                                                       "' does not exist in default VPC");
}

AwsError TooManyConcurrentUpdates() {
  return AwsError::Server("InternalError", "Too many concurrent updates; retry.");
}

std::vector<std::string> Strings(const object& in, std::string_view member) {
  std::vector<std::string> out;
  for (const auto& v : GetArray(in, member)) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  return GlobMatch(pattern, text, {.question_mark = true, .backslash_escapes = true});
}

std::variant<Filters, AwsError> Filters::Parse(const object& in,
                                               std::initializer_list<FilterField> fields) {
  Filters out;
  for (const auto& f : GetArray(in, "Filters")) {
    if (!f.is_object()) continue;
    One one;
    one.name = GetString(f.get_object(), "Name");
    if (one.name.empty()) return MissingParameter("Filter.Name");
    bool tag = one.name.starts_with("tag:") || one.name == "tag-key" || one.name == "tag-value";
    if (!tag) {
      for (const FilterField& field : fields) {
        if (field.filter == one.name) one.member = field.member;
      }
      if (one.member.empty()) {
        return InvalidParameterValue("The filter '" + one.name + "' is invalid");
      }
    }
    one.values = Strings(f.get_object(), "Values");
    out.filters_.push_back(std::move(one));
  }
  return out;
}

namespace {

std::vector<std::string> ValuesOf(const object& resource, const std::string& filter,
                                  const std::string& member) {
  std::vector<std::string> out;
  if (member.empty()) {  // a tag filter
    for (const auto& t : GetArray(resource, "Tags")) {
      if (!t.is_object()) continue;
      std::string key = GetString(t.get_object(), "Key");
      std::string value = GetString(t.get_object(), "Value");
      if (filter == "tag-key") out.push_back(key);
      else if (filter == "tag-value") out.push_back(value);
      else if (filter.substr(4) == key) out.push_back(value);
    }
    return out;
  }
  const json::value* v = resource.if_contains(member);
  if (!v) return out;
  if (v->is_string()) out.emplace_back(v->get_string());
  else if (v->is_bool()) out.emplace_back(v->get_bool() ? "true" : "false");
  else if (v->is_int64()) out.push_back(std::to_string(v->get_int64()));
  return out;
}

}  // namespace

bool Filters::Match(const object& resource) const {
  for (const One& f : filters_) {
    const std::vector<std::string> values = ValuesOf(resource, f.name, f.member);
    bool any = false;
    for (size_t i = 0; i < values.size() && !any; ++i) {
      for (const std::string& want : f.values) any = any || WildcardMatch(want, values[i]);
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace wharf::api::ec2
