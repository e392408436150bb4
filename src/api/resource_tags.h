// A resource's tags as the pairs authorization reads (aws:ResourceTag/<key>): each service
// keeps them in its own shape, a list of {Key, Value} objects (with its own member names) or
// one object of key -> value (CloudWatch Logs). ServiceEndpoint::resource_tags returns these.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::api {

using ResourceTags = std::vector<std::pair<std::string, std::string>>;

// [{"<key_member>": k, "<value_member>": v}, ...]; entries of another shape are skipped.
inline ResourceTags TagPairs(const boost::json::array& tags, std::string_view key_member,
                             std::string_view value_member) {
  ResourceTags out;
  for (const auto& t : tags) {
    const auto* tag = t.if_object();
    if (!tag) continue;
    const auto* k = tag->if_contains(key_member);
    const auto* v = tag->if_contains(value_member);
    if (!k || !k->is_string()) continue;
    out.emplace_back(std::string(k->get_string()), v && v->is_string() ? std::string(v->get_string()) : "");
  }
  return out;
}

// {"k": "v", ...}
inline ResourceTags TagPairs(const boost::json::object& tags) {
  ResourceTags out;
  for (const auto& [k, v] : tags) {
    if (v.is_string()) out.emplace_back(std::string(k), std::string(v.get_string()));
  }
  return out;
}

}  // namespace wharf::api
