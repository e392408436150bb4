#include "api/query_protocol.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include "base/clock.h"
#include "base/percent.h"

namespace wharf::api {
namespace json = boost::json;

namespace {

using Form = std::map<std::string, std::string>;

// True when a parameter named `name` or beginning with `name.` exists.
bool Present(const Form& form, const std::string& name) {
  auto it = form.lower_bound(name);
  if (it == form.end()) return false;
  if (it->first == name) return true;
  return it->first.size() > name.size() && it->first.compare(0, name.size(), name) == 0 &&
         it->first[name.size()] == '.';
}

// The two dialects: "query" (lists as Name.member.N, members by their model names) and "ec2"
// (botocore's EC2Serializer: every list flattened as Name.N, members by locationName with its
// first letter upper-cased).
enum class Dialect { kQuery, kEc2 };

Result<json::value> Decode(const Shape& shape, const Form& form, const std::string& name, Dialect d);

std::string InputName(const Shape::Member& m, Dialect d) {
  if (d == Dialect::kQuery || m.location_name().empty()) return std::string(m.name());
  std::string name(m.location_name());
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

std::optional<double> ParseQueryTimestamp(const std::string& text) {
  char* end = nullptr;
  double number = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == 0 && std::isdigit(static_cast<unsigned char>(text[0]))) return number;
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  double secs = static_cast<double>(timegm(&tm));
  if (*rest == '.') {
    char* frac_end = nullptr;
    secs += std::strtod(rest, &frac_end);
    rest = frac_end;
  }
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    secs -= (*rest == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
    rest += 6;
  }
  if (*rest != 0) return std::nullopt;
  return secs;
}

Result<json::value> DecodeScalar(const Shape& shape, const std::string& text, const std::string& name) {
  using T = Shape::Type;
  switch (shape.type) {
    case T::kInteger:
    case T::kLong: {
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end) return Status::InvalidArgument("'" + text + "' is not a valid integer for " + name);
      return json::value(static_cast<int64_t>(v));
    }
    case T::kBoolean:
      if (text == "true") return json::value(true);
      if (text == "false") return json::value(false);
      return Status::InvalidArgument("'" + text + "' is not a valid boolean for " + name);
    case T::kDouble:
    case T::kFloat: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end) return Status::InvalidArgument("'" + text + "' is not a valid number for " + name);
      return json::value(v);
    }
    case T::kTimestamp: {
      // The Query protocol sends ISO 8601 ("2026-12-06T18:00:00Z", fractions and offsets
      // allowed); an epoch number is taken too. Inputs carry timestamps as epoch seconds.
      if (auto secs = ParseQueryTimestamp(text)) return json::value(*secs);
      return Status::InvalidArgument("'" + text + "' is not a valid timestamp for " + name);
    }
    default:
      return json::value(json::string(text));
  }
}

Result<json::value> DecodeList(const Shape& shape, const Form& form, const std::string& name,
                               bool flattened, Dialect d) {
  flattened = flattened || d == Dialect::kEc2;
  json::array arr;
  auto empty = form.find(name);
  if (empty != form.end() && empty->second.empty()) return json::value(std::move(arr));
  std::string base = flattened ? name : name + "." + std::string(shape.member_location_name().empty()
                                                                      ? "member"
                                                                      : shape.member_location_name());
  for (int i = 1;; ++i) {
    std::string item = base + "." + std::to_string(i);
    if (!Present(form, item)) break;
    ASSIGN_OR_RETURN(json::value v, Decode(*shape.member(), form, item, d));
    arr.push_back(std::move(v));
  }
  return json::value(std::move(arr));
}

Result<json::value> DecodeMap(const Shape& shape, const Form& form, const std::string& name,
                              Dialect d) {
  json::object obj;
  for (int i = 1;; ++i) {
    std::string entry = name + ".entry." + std::to_string(i);
    if (!Present(form, entry)) break;
    auto k = form.find(entry + ".key");
    if (k == form.end()) break;
    ASSIGN_OR_RETURN(json::value v, Decode(*shape.value(), form, entry + ".value", d));
    obj[k->second] = std::move(v);
  }
  return json::value(std::move(obj));
}

Result<json::value> DecodeStructure(const Shape& shape, const Form& form, const std::string& prefix,
                                    Dialect d) {
  json::object obj;
  for (const Shape::Member& m : shape.members()) {
    std::string name = prefix.empty() ? InputName(m, d) : prefix + "." + InputName(m, d);
    if (!Present(form, name)) continue;
    const Shape& member = *m.shape();
    if (member.type == Shape::Type::kList) {
      ASSIGN_OR_RETURN(json::value v, DecodeList(member, form, name, m.flattened || member.flattened, d));
      obj[m.name()] = std::move(v);
    } else {
      ASSIGN_OR_RETURN(json::value v, Decode(member, form, name, d));
      obj[m.name()] = std::move(v);
    }
  }
  return json::value(std::move(obj));
}

Result<json::value> Decode(const Shape& shape, const Form& form, const std::string& name, Dialect d) {
  switch (shape.type) {
    case Shape::Type::kStructure: return DecodeStructure(shape, form, name, d);
    case Shape::Type::kList: return DecodeList(shape, form, name, shape.flattened, d);
    case Shape::Type::kMap: return DecodeMap(shape, form, name, d);
    default: {
      auto it = form.find(name);
      return DecodeScalar(shape, it == form.end() ? std::string() : it->second, name);
    }
  }
}

void EncodeValue(const Shape& shape, const json::value& v, const std::string& element, std::string& out);

void EncodeScalar(const Shape& shape, const json::value& v, std::string& out) {
  if (v.is_string()) {
    out += XmlEscape(v.get_string());
  } else if (v.is_bool()) {
    out += v.get_bool() ? "true" : "false";
  } else if (shape.type == Shape::Type::kTimestamp && v.is_number()) {
    double secs = v.to_number<double>();
    auto tp = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(static_cast<int64_t>(std::llround(secs * 1000))));
    out += Iso8601(tp);
  } else if (v.is_int64()) {
    out += std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    out += std::to_string(v.get_uint64());
  } else if (v.is_double()) {
    out += json::serialize(v);
  }
}

void EncodeMembers(const Shape& shape, const json::object& obj, std::string& out) {
  for (const Shape::Member& m : shape.members()) {
    auto* v = obj.if_contains(m.name());
    if (!v || v->is_null()) continue;
    std::string element(m.location_name().empty() ? m.name() : m.location_name());
    const Shape& member = *m.shape();
    if (member.type == Shape::Type::kList && (m.flattened || member.flattened)) {
      for (const auto& item : v->get_array()) EncodeValue(*member.member(), item, element, out);
      continue;
    }
    EncodeValue(member, *v, element, out);
  }
}

void EncodeValue(const Shape& shape, const json::value& v, const std::string& element, std::string& out) {
  out += "<" + element + ">";
  switch (shape.type) {
    case Shape::Type::kStructure:
      if (v.is_object()) EncodeMembers(shape, v.get_object(), out);
      break;
    case Shape::Type::kList: {
      std::string item(shape.member_location_name().empty() ? "member" : shape.member_location_name());
      if (v.is_array()) {
        for (const auto& x : v.get_array()) EncodeValue(*shape.member(), x, item, out);
      }
      break;
    }
    case Shape::Type::kMap:
      if (v.is_object()) {
        for (const auto& [k, x] : v.get_object()) {
          out += "<entry><key>" + XmlEscape(k) + "</key>";
          EncodeValue(*shape.value(), x, "value", out);
          out += "</entry>";
        }
      }
      break;
    default:
      EncodeScalar(shape, v, out);
  }
  out += "</" + element + ">";
}

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> form;
  for (auto [key, value] : SplitParams(body)) {
    form[PercentDecode(key, true)] = PercentDecode(value, true);
  }
  return form;
}

Result<json::object> DecodeQueryInput(const Shape& input, const std::map<std::string, std::string>& form) {
  ASSIGN_OR_RETURN(json::value v, DecodeStructure(input, form, "", Dialect::kQuery));
  return std::move(v.get_object());
}

Result<json::object> DecodeEc2Input(const Shape& input, const std::map<std::string, std::string>& form) {
  ASSIGN_OR_RETURN(json::value v, DecodeStructure(input, form, "", Dialect::kEc2));
  return std::move(v.get_object());
}

std::string EncodeEc2Response(const ServiceModel& model, const Operation& op,
                              const json::object& output, const std::string& request_id) {
  std::string ns(model.xml_namespace());
  if (!ns.empty() && ns.back() != '/') ns += '/';  // as EC2 writes it
  std::string name(op.name());
  std::string out = "<" + name + "Response xmlns=\"" + ns + "\"><requestId>" +
                    XmlEscape(request_id) + "</requestId>";
  if (op.output()) EncodeMembers(*op.output(), output, out);
  out += "</" + name + "Response>";
  return out;
}

std::string EncodeEc2Error(const AwsError& error, const std::string& request_id) {
  return "<Response><Errors><Error><Code>" + XmlEscape(error.code) + "</Code><Message>" +
         XmlEscape(error.message) + "</Message></Error></Errors><RequestID>" +
         XmlEscape(request_id) + "</RequestID></Response>";
}

std::string EncodeQueryResponse(const ServiceModel& model, const Operation& op,
                                const json::object& output, const std::string& request_id) {
  std::string name(op.name());
  std::string out = "<" + name + "Response xmlns=\"" + std::string(model.xml_namespace()) + "\">";
  if (op.output()) {
    std::string wrapper = op.result_wrapper().empty() ? name + "Result" : std::string(op.result_wrapper());
    out += "<" + wrapper + ">";
    EncodeMembers(*op.output(), output, out);
    out += "</" + wrapper + ">";
  }
  out += "<ResponseMetadata><RequestId>" + request_id + "</RequestId></ResponseMetadata>";
  out += "</" + name + "Response>";
  return out;
}

std::string EncodeQueryError(std::string_view xml_namespace, const AwsError& error,
                             const std::string& request_id) {
  return "<ErrorResponse xmlns=\"" + std::string(xml_namespace) + "\"><Error><Type>" +
         (error.server_fault ? "Receiver" : "Sender") + "</Type><Code>" + XmlEscape(error.code) +
         "</Code><Message>" + XmlEscape(error.message) + "</Message></Error><RequestId>" +
         request_id + "</RequestId></ErrorResponse>";
}

}  // namespace wharf::api
