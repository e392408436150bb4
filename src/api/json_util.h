// Small readers for Boost.JSON objects that hold already-checked AWS requests and stored
// records. Missing or mistyped members read as "not given".
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::api {

std::string GetString(const boost::json::object& o, std::string_view key, std::string_view fallback = "");
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key);
std::optional<bool> GetBool(const boost::json::object& o, std::string_view key);
const boost::json::array& GetArray(const boost::json::object& o, std::string_view key);
const boost::json::object& GetObject(const boost::json::object& o, std::string_view key);
bool Has(const boost::json::object& o, std::string_view key);

// Adds each of `items` to `into`, replacing the entry with the same `key_field` value
// (tags by "key" or "Key", settings by "name").
void MergeByKey(boost::json::array& into, const boost::json::array& items, std::string_view key_field);

Result<boost::json::object> ParseObject(std::string_view text);
std::string Serialize(const boost::json::value& v);

}  // namespace wharf::api
