#include "api/cbor_protocol.h"

#include "api/cbor.h"
#include "base/crypto.h"

namespace wharf::api {
namespace json = boost::json;

namespace {

void Write(CborWriter& w, const Shape* shape, const json::value& v, size_t depth) {
  if (!shape || depth > kMaxCborDepth) return w.Json(v);
  switch (shape->type) {
    case Shape::Type::kTimestamp:
      if (!v.is_number()) break;
      w.Tag(1);
      return w.Double(v.to_number<double>());
    case Shape::Type::kBlob:
      if (!v.is_string()) break;
      if (auto bytes = Base64Decode(v.get_string())) return w.Bytes(*bytes);
      break;
    case Shape::Type::kDouble:
    case Shape::Type::kFloat:
      if (v.is_number()) return w.Double(v.to_number<double>());
      break;
    case Shape::Type::kInteger:
    case Shape::Type::kLong:
      if (v.is_double()) return w.Int(static_cast<int64_t>(v.get_double()));
      break;
    case Shape::Type::kStructure:
      if (!v.is_object()) break;
      w.MapStart(v.get_object().size());
      for (const auto& [k, e] : v.get_object()) {
        w.Text(k);
        const Shape::Member* m = shape->FindMember(k);
        Write(w, m ? m->shape() : nullptr, e, depth + 1);
      }
      return;
    case Shape::Type::kList:
      if (!v.is_array()) break;
      w.ArrayStart(v.get_array().size());
      for (const auto& e : v.get_array()) Write(w, shape->member(), e, depth + 1);
      return;
    case Shape::Type::kMap:
      if (!v.is_object()) break;
      w.MapStart(v.get_object().size());
      for (const auto& [k, e] : v.get_object()) {
        w.Text(k);
        Write(w, shape->value(), e, depth + 1);
      }
      return;
    default:
      break;
  }
  w.Json(v);
}

}  // namespace

std::string EncodeCborOutput(const Shape* shape, const json::value& output) {
  CborWriter w;
  Write(w, shape, output, 0);
  return w.Take();
}

std::string EncodeCborError(std::string_view smithy_namespace, const AwsError& error) {
  json::object body;
  body["__type"] = smithy_namespace.empty() ? error.code : std::string(smithy_namespace) + "#" + error.code;
  if (!error.message.empty()) body["message"] = error.message;
  for (const auto& [k, v] : error.extra) body[k] = v;
  CborWriter w;
  w.Json(body);
  return w.Take();
}

bool ParseRpcV2Path(std::string_view target, std::string_view& service, std::string_view& operation) {
  if (!target.starts_with(kRpcV2CborPrefix)) return false;
  std::string_view rest = target.substr(kRpcV2CborPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  service = rest.substr(0, slash);
  rest.remove_prefix(slash);
  constexpr std::string_view kOperation = "/operation/";
  if (!rest.starts_with(kOperation)) return false;
  operation = rest.substr(kOperation.size());
  return !operation.empty() && operation.find_first_of("/?") == std::string_view::npos;
}

}  // namespace wharf::api
