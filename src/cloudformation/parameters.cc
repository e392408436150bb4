#include "cloudformation/parameters.h"

#include <boost/json/array.hpp>
#include <algorithm>
#include <regex>

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = text.find(',', start)) != std::string::npos; start = at + 1) out.push_back(text.substr(start, at - start));
  out.push_back(text.substr(start));
  return out;
}

Status Fails(const ParameterDefinition& p, std::string message) {
  if (!p.constraint_description.empty()) message = "failed to satisfy constraint: " + p.constraint_description;
  return Status::InvalidArgument("Parameter '" + p.name + "' " + message);
}

bool IsNumber(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

Status Check(const ParameterDefinition& p, const std::string& value) {
  std::vector<std::string> items = p.is_list() ? SplitList(value) : std::vector<std::string>{value};
  for (const auto& item : items) {
    double number = 0;
    if ((p.type == "Number" || p.type == "List<Number>") && !IsNumber(item, number)) {
      return Status::InvalidArgument("Parameter '" + p.name + "' must be a number.");
    }
    if (!p.allowed_values.empty() &&
        std::find(p.allowed_values.begin(), p.allowed_values.end(), item) == p.allowed_values.end()) {
      return Fails(p, "must be one of AllowedValues");
    }
    if (!p.allowed_pattern.empty()) {
      bool matches = false;
      try {
        matches = std::regex_match(item, std::regex(p.allowed_pattern, std::regex::ECMAScript));
      } catch (const std::regex_error&) {
        return Status::InvalidArgument("Template format error: AllowedPattern of parameter " + p.name + " is not a valid pattern");
      }
      if (!matches) return Fails(p, "must match pattern " + p.allowed_pattern);
    }
    if (p.min_length && item.size() < *p.min_length) {
      return Fails(p, "must contain at least " + std::to_string(*p.min_length) + " characters");
    }
    if (p.max_length && item.size() > *p.max_length) {
      return Fails(p, "must contain at most " + std::to_string(*p.max_length) + " characters");
    }
    if (p.type == "Number" && p.min_value && number < *p.min_value) {
      return Fails(p, "must be a number not less than " + std::to_string(static_cast<long long>(*p.min_value)));
    }
    if (p.type == "Number" && p.max_value && number > *p.max_value) {
      return Fails(p, "must be a number not greater than " + std::to_string(static_cast<long long>(*p.max_value)));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::map<std::string, std::string>> ResolveParameterValues(const Template& t,
                                                                  const std::vector<ParameterInput>& given,
                                                                  const std::map<std::string, std::string>& previous) {
  std::string unknown;
  for (const auto& g : given) {
    if (!t.FindParameter(g.key)) unknown += (unknown.empty() ? "" : ", ") + g.key;
  }
  if (!unknown.empty()) return Status::InvalidArgument("Parameters: [" + unknown + "] do not exist in the template");
  std::map<std::string, std::string> values;
  std::string missing;
  for (const auto& p : t.parameters) {
    auto g = std::find_if(given.begin(), given.end(), [&](const ParameterInput& in) { return in.key == p.name; });
    if (g != given.end() && g->use_previous_value) {
      auto prev = previous.find(p.name);
      if (prev == previous.end()) {
        return Status::InvalidArgument("Invalid input for parameter key " + p.name + ". Cannot specify usePreviousValue "
                                       "as true for a parameter key not in the previous template");
      }
      values[p.name] = prev->second;
    } else if (g != given.end()) {
      values[p.name] = g->value;
    } else if (p.default_value) {
      values[p.name] = *p.default_value;
    } else {
      missing += (missing.empty() ? "" : ", ") + p.name;
      continue;
    }
  }
  if (!missing.empty()) return Status::InvalidArgument("Parameters: [" + missing + "] must have values");
  for (const auto& p : t.parameters) RETURN_IF_ERROR(Check(p, values[p.name]));
  return values;
}

void AddParameters(const Template& t, const std::map<std::string, std::string>& values, Scope& scope) {
  for (const auto& p : t.parameters) {
    auto it = values.find(p.name);
    if (it == values.end()) continue;
    if (p.is_list()) {
      json::array items;
      for (const auto& item : SplitList(it->second)) items.push_back(json::string(item));
      scope.values[p.name] = std::move(items);
    } else {
      scope.values[p.name] = json::string(it->second);
    }
  }
}

}  // namespace wharf::cloudformation
