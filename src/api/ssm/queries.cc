// Reading many parameters: by path, DescribeParameters with its filters; and tags.
#include <boost/json/array.hpp>
#include <algorithm>

#include "api/ssm/handlers.h"

namespace wharf::api::ssm {
namespace json = boost::json;
namespace {

std::vector<std::string> Values(const json::object& filter) {
  std::vector<std::string> out;
  for (const auto& v : GetArray(filter, "Values")) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

bool AnyEquals(const std::vector<std::string>& values, const std::string& s) {
  return std::find(values.begin(), values.end(), s) != values.end();
}

std::string TagValue(const Parameter& p, std::string_view key, bool* present) {
  for (const auto& t : p.tags) {
    if (t.is_object() && GetString(t.as_object(), "Key") == key) {
      *present = true;
      return GetString(t.as_object(), "Value");
    }
  }
  *present = false;
  return "";
}

// One ParameterStringFilter (or a legacy ParametersFilter, Option Equals) on a parameter.
std::variant<bool, AwsError> Matches(const Parameter& p, const json::object& filter, bool by_path) {
  std::string key = GetString(filter, "Key");
  std::string option = GetString(filter, "Option", "Equals");
  std::vector<std::string> values = Values(filter);
  const ParameterVersion& v = p.latest();
  if (by_path && key != "Type" && key != "KeyId" && key != "Label" && !key.starts_with("tag:")) {
    return AwsError::Client("InvalidFilterKey", "The following filter key is not valid: " + key +
                                                    ". Valid filter keys include: [Type, KeyId, Label, tag].");
  }
  if (key == "Name") {
    if (option == "BeginsWith") {
      return std::any_of(values.begin(), values.end(), [&](const std::string& x) { return p.name.starts_with(x); });
    }
    if (option == "Contains") {
      return std::any_of(values.begin(), values.end(),
                         [&](const std::string& x) { return p.name.find(x) != std::string::npos; });
    }
    return AnyEquals(values, p.name) || AnyEquals(values, "/" + p.name);
  }
  if (key == "Type") return AnyEquals(values, v.type);
  if (key == "KeyId") return AnyEquals(values, v.key_id);
  if (key == "Tier") return AnyEquals(values, v.tier);
  if (key == "DataType") return AnyEquals(values, v.data_type);
  if (key == "Label") {
    return std::any_of(values.begin(), values.end(), [&](const std::string& l) { return p.FindLabel(l) != nullptr; });
  }
  if (key == "Path") {
    bool recursive = option == "Recursive";
    return std::any_of(values.begin(), values.end(), [&](const std::string& path) {
      int level = model::LevelBelow(path, p.name);
      return level == 1 || (recursive && level > 1);
    });
  }
  if (key.starts_with("tag:")) {
    bool present = false;
    std::string value = TagValue(p, key.substr(4), &present);
    return present && (values.empty() || AnyEquals(values, value));
  }
  return AwsError::Client("InvalidFilterKey", "The following filter key is not valid: " + key);
}

std::variant<bool, AwsError> MatchesAll(const Parameter& p, const json::array& filters, bool by_path) {
  for (const auto& f : filters) {
    if (!f.is_object()) continue;
    auto m = Matches(p, f.as_object(), by_path);
    if (!std::holds_alternative<bool>(m) || !std::get<bool>(m)) return m;
  }
  return true;
}

// The ResourceId of a tagging call, as a stored parameter.
std::variant<StoredParameter, AwsError> TaggedParameter(const SsmDeps& deps, const object& in) {
  if (GetString(in, "ResourceType") != "Parameter") {
    return AwsError::Client("InvalidResourceType", "The resource type is not valid. wharf's SSM tags only Parameter.");
  }
  auto loaded = LoadParameter(deps, NameOf(deps, GetString(in, "ResourceId")));
  if (std::holds_alternative<AwsError>(loaded)) {
    return AwsError::Client("InvalidResourceId", "The resource ID is not valid. Verify that the ID is correct and try "
                                                 "again.");
  }
  return loaded;
}

}  // namespace

Outcome GetParametersByPath(const SsmDeps& deps, const RequestContext&, object& in) {
  std::string path = GetString(in, "Path");
  if (path.empty() || path.front() != '/') {
    return Validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with "
                      "a forward slash \"/\".");
  }
  bool recursive = GetBool(in, "Recursive").value_or(false);
  bool decrypt = GetBool(in, "WithDecryption").value_or(false);
  size_t max = static_cast<size_t>(GetInt(in, "MaxResults").value_or(10));
  auto start = PageOffset(in);
  if (!start) return AwsError::Client("InvalidNextToken", "The specified token isn't valid.");
  ASSIGN_OR_FAIL(auto all, LoadParameters(deps), SsmError);
  std::vector<const Parameter*> matched;
  for (const auto& p : all) {
    int level = model::LevelBelow(path, p.name);
    if (level == 0 || (level > 1 && !recursive)) continue;
    auto m = MatchesAll(p, GetArray(in, "ParameterFilters"), true);
    if (auto* err = std::get_if<AwsError>(&m)) return *err;
    if (std::get<bool>(m)) matched.push_back(&p);
  }
  json::array out_list;
  size_t i = *start;
  for (; i < matched.size() && out_list.size() < max; ++i) {
    auto shown = Present(deps, *matched[i], matched[i]->latest(), decrypt);
    if (auto* err = std::get_if<AwsError>(&shown)) return *err;
    out_list.push_back(std::move(std::get<object>(shown)));
  }
  object out{{"Parameters", std::move(out_list)}};
  if (i < matched.size()) out["NextToken"] = PageToken(i);
  return out;
}

Outcome DescribeParameters(const SsmDeps& deps, const RequestContext&, object& in) {
  size_t max = static_cast<size_t>(GetInt(in, "MaxResults").value_or(50));
  auto start = PageOffset(in);
  if (!start) return AwsError::Client("InvalidNextToken", "The specified token isn't valid.");
  if (Has(in, "Filters") && Has(in, "ParameterFilters")) {
    return Validation("You can use either Filters or ParameterFilters in a single request.");
  }
  ASSIGN_OR_FAIL(auto all, LoadParameters(deps), SsmError);
  json::array filters = Has(in, "Filters") ? GetArray(in, "Filters") : GetArray(in, "ParameterFilters");
  std::vector<const Parameter*> matched;
  for (const auto& p : all) {
    auto m = MatchesAll(p, filters, false);
    if (auto* err = std::get_if<AwsError>(&m)) return *err;
    if (std::get<bool>(m)) matched.push_back(&p);
  }
  json::array list;
  size_t i = *start;
  for (; i < matched.size() && list.size() < max; ++i) {
    const Parameter& p = *matched[i];
    const ParameterVersion& v = p.latest();
    object m{{"Name", p.name}, {"ARN", ParameterArn(deps, p.name)}, {"Type", v.type},
             {"LastModifiedDate", v.modified}, {"LastModifiedUser", v.modified_user}, {"Version", v.version},
             {"Tier", v.tier}, {"Policies", v.policies}, {"DataType", v.data_type}};
    if (!v.key_id.empty()) m["KeyId"] = v.key_id;
    if (!v.description.empty()) m["Description"] = v.description;
    if (!v.allowed_pattern.empty()) m["AllowedPattern"] = v.allowed_pattern;
    list.push_back(std::move(m));
  }
  object out{{"Parameters", std::move(list)}};
  if (i < matched.size()) out["NextToken"] = PageToken(i);
  return out;
}

Outcome AddTagsToResource(const SsmDeps& deps, const RequestContext&, object& in) {
  auto loaded = TaggedParameter(deps, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const json::array& tags = GetArray(in, "Tags");
  return ChangeParameter(deps, std::get<StoredParameter>(loaded).parameter.name,
                         [&](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
                           if (!p) return NotFound();
                           for (const auto& t : tags) {
                             if (!t.is_object()) continue;
                             std::string k = GetString(t.as_object(), "Key");
                             auto same = std::find_if(p->tags.begin(), p->tags.end(), [&](const json::value& e) {
                               return e.is_object() && GetString(e.as_object(), "Key") == k;
                             });
                             if (same != p->tags.end()) {
                               *same = t;
                             } else {
                               p->tags.push_back(t);
                             }
                           }
                           if (p->tags.size() > 50) {
                             return AwsError::Client("TooManyTagsError",
                                                     "The Targets parameter includes too many tags. Remove one or "
                                                     "more tags and try the command again.");
                           }
                           return object{};
                         });
}

Outcome RemoveTagsFromResource(const SsmDeps& deps, const RequestContext&, object& in) {
  auto loaded = TaggedParameter(deps, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const json::array& keys = GetArray(in, "TagKeys");
  return ChangeParameter(deps, std::get<StoredParameter>(loaded).parameter.name,
                         [&](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
                           if (!p) return NotFound();
                           json::array kept;
                           for (const auto& t : p->tags) {
                             json::value k(GetString(t.as_object(), "Key"));
                             if (std::find(keys.begin(), keys.end(), k) == keys.end()) kept.push_back(t);
                           }
                           p->tags = std::move(kept);
                           return object{};
                         });
}

Outcome ListTagsForResource(const SsmDeps& deps, const RequestContext&, object& in) {
  auto loaded = TaggedParameter(deps, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  return object{{"TagList", std::get<StoredParameter>(loaded).parameter.tags}};
}

}  // namespace wharf::api::ssm
