#include "api/authz/request.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace wharf::api::authz {

namespace json = boost::json;

namespace {
std::string_view AsStr(const json::value* v) {
  if (!v || !v->is_string()) return {};
  return std::string_view(v->get_string());
}
}  // namespace

std::string_view Request::Str(std::string_view member) const { return AsStr(Get(member)); }

std::vector<std::string_view> Request::Strs(std::string_view member) const {
  std::vector<std::string_view> out;
  const json::value* v = Get(member);
  if (!v) return out;
  if (v->is_string()) {
    out.push_back(v->get_string());
  } else if (v->is_array()) {
    for (const json::value& e : v->get_array()) {
      if (e.is_string()) out.push_back(e.get_string());
    }
  }
  return out;
}

std::string Request::Arn(std::string_view service, std::string_view resource, std::string_view account) const {
  std::string arn = "arn:aws:";
  arn.append(service).append(":").append(scope_.region).append(":");
  arn.append(account.empty() ? scope_.account : account).append(":").append(resource);
  return arn;
}

std::string Request::GlobalArn(std::string_view service, std::string_view resource) const {
  std::string arn = "arn:aws:";
  arn.append(service).append("::").append(scope_.account).append(":").append(resource);
  return arn;
}

Check& Request::Need(std::string_view action, std::string resource) {
  Check check;
  if (action.find(':') == std::string_view::npos) {
    check.action.append(prefix_).append(":").append(action);
  } else {
    check.action = std::string(action);
  }
  check.resource = std::move(resource);
  checks_.push_back(std::move(check));
  return checks_.back();
}

void AddKey(Check& check, std::string key, std::string value) {
  check.keys.emplace_back(std::move(key), std::move(value));
}

namespace {
// {"key": k, "value": v} or {"Key": k, "Value": v}.
bool TagPair(const json::value& tag, std::string_view& key, std::string_view& value) {
  const json::object* o = tag.if_object();
  if (!o) return false;
  const json::value* k = o->if_contains("key");
  if (!k) k = o->if_contains("Key");
  const json::value* v = o->if_contains("value");
  if (!v) v = o->if_contains("Value");
  if (!k || !k->is_string()) return false;
  key = k->get_string();
  value = AsStr(v);
  return true;
}
}  // namespace

void AddRequestTags(Check& check, const json::value* tags) {
  if (!tags) return;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  if (const json::array* a = tags->if_array()) {
    for (const json::value& t : *a) {
      std::string_view k, v;
      if (TagPair(t, k, v)) pairs.emplace_back(k, v);
    }
  } else if (const json::object* o = tags->if_object()) {
    for (const auto& kv : *o) pairs.emplace_back(std::string_view(kv.key()), AsStr(&kv.value()));
  }
  for (const auto& [k, v] : pairs) AddKey(check, "aws:RequestTag/" + std::string(k), std::string(v));
  for (const auto& [k, v] : pairs) AddKey(check, "aws:TagKeys", std::string(k));
}

void AddTagKeys(Check& check, const json::value* keys) {
  if (!keys || !keys->is_array()) return;
  for (const json::value& k : keys->get_array()) {
    if (k.is_string()) AddKey(check, "aws:TagKeys", std::string(k.get_string()));
  }
}

bool HasTags(const json::value* tags) {
  if (!tags) return false;
  if (const json::array* a = tags->if_array()) return !a->empty();
  if (const json::object* o = tags->if_object()) return !o->empty();
  return false;
}

void PassRole(Request& r, std::string_view role, std::string_view passed_to_service) {
  if (role.empty()) return;
  // ECS takes a role name where it takes a role ARN (CreateService's role): it means a role
  // of the caller's account.
  std::string arn = role.starts_with("arn:") ? std::string(role) : r.GlobalArn("iam", "role/" + std::string(role));
  Check& c = r.Need("iam:PassRole", std::move(arn));
  if (!passed_to_service.empty()) AddKey(c, "iam:PassedToService", std::string(passed_to_service));
}

bool RunEntry(std::span<const Entry> table, std::string_view operation, Request& r) {
  for (const Entry& e : table) {
    if (e.operation == operation) {
      e.rule(r);
      return true;
    }
  }
  return false;
}

std::vector<std::string_view> EntryNames(std::span<const Entry> table) {
  std::vector<std::string_view> names;
  for (const Entry& e : table) names.push_back(e.operation);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace wharf::api::authz
