#include "model/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>

namespace wharf {
namespace json = boost::json;

int IntFromText(std::string_view text, int fallback) {
  std::string s(text);
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  return s.empty() || *end ? fallback : static_cast<int>(v);
}

std::string GetString(const json::object& o, std::string_view key, std::string_view fallback) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string(fallback);
}

std::optional<int64_t> GetInt(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

std::optional<bool> GetBool(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_bool() ? std::optional<bool>(v->get_bool()) : std::nullopt;
}

const json::array& GetArray(const json::object& o, std::string_view key) {
  static const json::array kEmpty;
  auto* v = o.if_contains(key);
  return v && v->is_array() ? v->get_array() : kEmpty;
}

const json::object& GetObject(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  auto* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : kEmpty;
}

bool Has(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && !v->is_null();
}

void MergeByKey(json::array& into, const json::array& items, std::string_view key_field) {
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    std::string key = GetString(item.get_object(), key_field);
    bool replaced = false;
    for (auto& existing : into) {
      if (existing.is_object() && GetString(existing.get_object(), key_field) == key) {
        existing = item;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(item);
  }
}

Result<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Internal("stored record is not a JSON object");
  return std::move(v.get_object());
}

std::string Serialize(const json::value& v) { return json::serialize(v); }

}  // namespace wharf
