// The one set of readers for Boost.JSON objects: checked AWS requests, stored records and
// the agent's messages. They live in namespace wharf itself, so every layer calls them
// unqualified. A missing or mistyped member reads as "not given" (an empty string,
// nullopt, an empty array or object), never as an error: what must be there is checked where
// the JSON enters (the API's shape check, the agent's message decoding).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf {

std::string GetString(const boost::json::object& o, std::string_view key, std::string_view fallback = "");
// Integers, signed or unsigned; other numbers and types are "not given".
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key);
std::optional<bool> GetBool(const boost::json::object& o, std::string_view key);
const boost::json::array& GetArray(const boost::json::object& o, std::string_view key);
const boost::json::object& GetObject(const boost::json::object& o, std::string_view key);
// Present and not null.
bool Has(const boost::json::object& o, std::string_view key);

// Adds each of `items` to `into`, replacing the entry with the same `key_field` value
// (tags by "key" or "Key", settings by "name").
void MergeByKey(boost::json::array& into, const boost::json::array& items, std::string_view key_field);

// A whole decimal integer in text (ELBv2 keeps attributes and rule priorities as strings);
// `fallback` when empty or not a number.
int IntFromText(std::string_view text, int fallback);

// A stored record's text as an object; anything else is Internal (the store is ours).
Result<boost::json::object> ParseObject(std::string_view text);
std::string Serialize(const boost::json::value& v);

}  // namespace wharf
