#include "api/ec2/common.h"

#include <algorithm>
#include <chrono>

#include "base/glob.h"
#include "store/update.h"

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

Outcome ModifyRecord(Context& c, const std::function<std::variant<Record, AwsError>()>& find,
                     const std::function<std::optional<AwsError>(object& value)>& change) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = find();
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& r = std::get<Record>(found);
    if (auto refused = change(r.value)) return *refused;
    store::Txn txn{{{r.key, r.mod_revision}}, {store::Op::Put(r.key, Serialize(r.value))}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

AwsError NotFound(std::string code, std::string_view what, std::string_view id) {
  return AwsError::Client(std::move(code),
                          "The " + std::string(what) + " ID '" + std::string(id) + "' does not exist");
}

AwsError HasDependencies(std::string_view what, std::string_view id) {
  return AwsError::Client("DependencyViolation", "The " + std::string(what) + " '" + std::string(id) +
                                                     "' has dependencies and cannot be deleted.");
}

std::string Ec2Arn(const RequestContext& ctx, std::string_view type, std::string_view id) {
  return "arn:aws:ec2:" + ctx.region + ":" + ctx.account_id + ":" + std::string(type) + "/" +
         std::string(id);
}

NetworkOptions Where(const RequestContext& ctx) {
  NetworkOptions o;
  o.region = ctx.region;
  o.account_id = ctx.account_id;
  return o;
}

double NowSeconds(const RequestContext& ctx) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.now.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

json::array TagsFor(const object& in, std::string_view resource_type) {
  json::array tags;
  for (const auto& spec : GetArray(in, "TagSpecifications")) {
    if (!spec.is_object() || GetString(spec.get_object(), "ResourceType") != resource_type) continue;
    MergeByKey(tags, GetArray(spec.get_object(), "Tags"), "Key");
  }
  return tags;
}

object Public(object record) {
  record.erase("_wharf");
  return record;
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
                                               const std::vector<FilterField>& fields) {
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

// The scalars at a dotted path, lists walked through.
void CollectValues(const json::value& at, std::string_view path, std::vector<std::string>& out) {
  if (at.is_array()) {
    for (const auto& item : at.get_array()) CollectValues(item, path, out);
    return;
  }
  if (path.empty()) {
    if (at.is_string()) out.emplace_back(at.get_string());
    else if (at.is_bool()) out.emplace_back(at.get_bool() ? "true" : "false");
    else if (at.is_int64()) out.push_back(std::to_string(at.get_int64()));
    else if (at.is_uint64()) out.push_back(std::to_string(at.get_uint64()));
    return;
  }
  if (!at.is_object()) return;
  size_t dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  const json::value* next = at.get_object().if_contains(head);
  if (next) CollectValues(*next, dot == std::string_view::npos ? "" : path.substr(dot + 1), out);
}

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
  CollectValues(resource, member, out);
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

std::optional<AwsError> PageInto(const object& in, json::array items, std::string_view id_member,
                                 std::string_view result_member, const PageLimits& limits,
                                 bool ids_given, std::string_view ids_parameter, object& out) {
  std::optional<int64_t> max = GetInt(in, "MaxResults");
  std::string token = GetString(in, "NextToken");
  if (max && ids_given) {
    return AwsError::Client("InvalidParameterCombination", "The parameter " + std::string(ids_parameter) +
                                                               " cannot be used with the parameter maxResults");
  }
  if (max && (*max < limits.min || *max > limits.max)) {
    return InvalidParameterValue("Value ( " + std::to_string(*max) +
                                 " ) for parameter maxResults is invalid. Parameter must be between " +
                                 std::to_string(limits.min) + " and " + std::to_string(limits.max) + ".");
  }
  json::array page;
  bool more = false;
  for (auto& item : items) {
    std::string id = GetString(item.as_object(), id_member);
    if (!token.empty() && id <= token) continue;
    if (max && static_cast<int64_t>(page.size()) == *max) {
      more = true;
      break;
    }
    page.emplace_back(std::move(item));
  }
  if (more) out["NextToken"] = GetString(page.back().as_object(), id_member);
  out[result_member] = std::move(page);
  return std::nullopt;
}

Outcome Describe(Context& c, const object& in, const DescribeSpec& spec) {
  auto filters = Filters::Parse(in, spec.fields);
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  ASSIGN_OR_FAIL(auto records, ReadRecords(c.store(), spec.prefix), Ec2Error);
  std::vector<std::string> ids = spec.ids_member.empty() ? std::vector<std::string>() : Strings(in, spec.ids_member);
  json::array out;
  std::set<std::string> seen;
  for (Record& r : records) {
    if (spec.present && !spec.present(r.value)) continue;
    std::string id = GetString(r.value, spec.id_member);
    if (!ids.empty()) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
      seen.insert(id);
    }
    if (std::get<Filters>(filters).Match(r.value)) out.emplace_back(Public(std::move(r.value)));
  }
  for (const std::string& id : ids) {
    if (!seen.count(id)) return spec.not_found(id);
  }
  object result;
  if (!spec.paging) {
    result[spec.result_member] = std::move(out);
    return result;
  }
  if (auto err = PageInto(in, std::move(out), spec.id_member, spec.result_member, *spec.paging, !ids.empty(),
                          spec.ids_parameter, result)) {
    return *err;
  }
  return result;
}

}  // namespace wharf::api::ec2
