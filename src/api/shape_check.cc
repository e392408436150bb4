#include "api/shape_check.h"

#include <boost/json/object.hpp>
#include <cmath>

namespace wharf::api {
namespace json = boost::json;

namespace {

std::optional<ShapeViolation> Serialization(const std::string& path, const char* what) {
  return ShapeViolation{true, std::string(what) + " found where not expected at '" + path + "'"};
}

std::optional<ShapeViolation> Invalid(std::string message) {
  return ShapeViolation{false, std::move(message)};
}

std::string Num(double d) {
  if (d == std::floor(d)) return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

const char* JsonKind(const json::value& v) {
  if (v.is_object()) return "Start of structure or map";
  if (v.is_array()) return "Start of list";
  if (v.is_string()) return "String value";
  if (v.is_bool()) return "Boolean value";
  return "Number value";
}

}  // namespace

std::optional<ShapeViolation> CheckShape(const Shape& shape, json::value& value,
                                         const std::string& path) {
  using T = Shape::Type;
  if (value.is_null()) return std::nullopt;  // JSON null reads as "not given"
  switch (shape.type) {
    case T::kStructure: {
      if (!value.is_object()) return Serialization(path, JsonKind(value));
      json::object& obj = value.get_object();
      for (auto it = obj.begin(); it != obj.end();) {
        const Shape::Member* m = shape.FindMember(it->key());
        if (!m || !m->shape()) {
          it = obj.erase(it);
          continue;
        }
        std::string child = path.empty() ? std::string(it->key()) : path + "." + std::string(it->key());
        if (auto v = CheckShape(*m->shape(), it->value(), child)) return v;
        ++it;
      }
      for (std::string_view r : shape.required()) {
        auto* v = obj.if_contains(r);
        if (!v || v->is_null()) {
          return Invalid("Missing required parameter " +
                         (path.empty() ? std::string(r) : path + "." + std::string(r)) + ".");
        }
      }
      return std::nullopt;
    }
    case T::kList: {
      if (!value.is_array()) return Serialization(path, JsonKind(value));
      json::array& arr = value.get_array();
      if (shape.min && arr.size() < *shape.min) {
        return Invalid(path + " must contain at least " + Num(*shape.min) + " item(s).");
      }
      if (shape.max && arr.size() > *shape.max) {
        return Invalid(path + " must contain at most " + Num(*shape.max) + " item(s).");
      }
      for (size_t i = 0; i < arr.size(); ++i) {
        std::string item = path + "[" + std::to_string(i) + "]";
        if (arr[i].is_null()) return Serialization(item, "Null value");
        if (auto v = CheckShape(*shape.member(), arr[i], item)) return v;
      }
      return std::nullopt;
    }
    case T::kMap: {
      if (!value.is_object()) return Serialization(path, JsonKind(value));
      for (auto& [k, v] : value.get_object()) {
        if (auto bad = CheckShape(*shape.value(), v, path + "." + std::string(k))) return bad;
      }
      return std::nullopt;
    }
    case T::kString: {
      if (!value.is_string()) return Serialization(path, JsonKind(value));
      const json::string& s = value.get_string();
      if (!shape.enum_values().empty()) {
        bool known = false;
        for (std::string_view e : shape.enum_values()) known = known || e == s;
        if (!known) {
          std::string allowed;
          for (std::string_view e : shape.enum_values()) (allowed += allowed.empty() ? "" : ", ") += e;
          return Invalid("Invalid value '" + std::string(s) + "' for " + path +
                         ". Valid values: " + allowed + ".");
        }
      }
      if (shape.min && s.size() < *shape.min) {
        return Invalid(path + " must be at least " + Num(*shape.min) + " characters long.");
      }
      if (shape.max && s.size() > *shape.max) {
        return Invalid(path + " must be at most " + Num(*shape.max) + " characters long.");
      }
      return std::nullopt;
    }
    case T::kBlob:
      if (!value.is_string()) return Serialization(path, JsonKind(value));
      return std::nullopt;
    case T::kBoolean:
      if (!value.is_bool()) return Serialization(path, JsonKind(value));
      return std::nullopt;
    case T::kInteger:
    case T::kLong: {
      if (value.is_double()) {
        double d = value.get_double();
        if (d != std::floor(d)) return Serialization(path, "Fractional number");
        value = static_cast<int64_t>(d);
      }
      if (!value.is_int64() && !value.is_uint64()) return Serialization(path, JsonKind(value));
      double d = value.to_number<double>();
      if (shape.min && d < *shape.min) {
        return Invalid(path + " must be greater than or equal to " + Num(*shape.min) + ".");
      }
      if (shape.max && d > *shape.max) {
        return Invalid(path + " must be less than or equal to " + Num(*shape.max) + ".");
      }
      return std::nullopt;
    }
    case T::kDouble:
    case T::kFloat:
    case T::kTimestamp:
      if (!value.is_number()) return Serialization(path, JsonKind(value));
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace wharf::api
