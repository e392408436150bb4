#include "cloudformation/intrinsics.h"

#include <boost/json/serialize.hpp>
#include <arpa/inet.h>

#include <cstdio>
#include <set>

#include "base/crypto.h"

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

using Resolved = Result<std::optional<json::value>>;

Status TemplateError(std::string message) { return Status::InvalidArgument("Template error: " + message); }

// Evaluation of one value; conditions are looked up in the scope.
class Evaluator {
 public:
  explicit Evaluator(const Scope& scope) : scope_(scope) {}

  Resolved Eval(const json::value& v, int depth = 0) {
    if (depth > 100) return TemplateError("the template nests too deeply");
    if (v.is_array()) {
      json::array out;
      for (const auto& item : v.get_array()) {
        ASSIGN_OR_RETURN(auto r, Eval(item, depth + 1));
        if (r) out.push_back(std::move(*r));
      }
      return std::optional<json::value>(std::move(out));
    }
    if (!v.is_object()) return std::optional<json::value>(v);
    const json::object& o = v.get_object();
    if (o.size() == 1) {
      const auto& [name, arg] = *o.begin();
      if (name == "Ref") return Ref(arg);
      if (name.starts_with("Fn::")) return Function(name, arg, depth);
    }
    json::object out;
    for (const auto& [key, member] : o) {
      ASSIGN_OR_RETURN(auto r, Eval(member, depth + 1));
      if (r) out[key] = std::move(*r);
    }
    return std::optional<json::value>(std::move(out));
  }

  // A value that must be present (not AWS::NoValue).
  Result<json::value> Value(const json::value& v, int depth, std::string_view fn) {
    ASSIGN_OR_RETURN(auto r, Eval(v, depth + 1));
    if (!r) return TemplateError(std::string(fn) + " cannot take AWS::NoValue");
    return std::move(*r);
  }

  Result<std::string> Text(const json::value& v, int depth, std::string_view fn) {
    ASSIGN_OR_RETURN(json::value r, Value(v, depth, fn));
    auto text = ScalarText(r);
    if (!text) return TemplateError("every " + std::string(fn) + " object requires a string parameter");
    return *text;
  }

  Result<json::array> List(const json::value& v, int depth, std::string_view fn) {
    ASSIGN_OR_RETURN(json::value r, Value(v, depth, fn));
    if (!r.is_array()) return TemplateError(std::string(fn) + " requires a list");
    return std::move(r.get_array());
  }

  Result<bool> Condition(std::string_view name) {
    auto it = scope_.conditions.find(name);
    if (it == scope_.conditions.end()) return TemplateError("unresolved condition dependency " + std::string(name));
    return it->second;
  }

  Result<bool> Boolean(const json::value& v, int depth, std::string_view fn) {
    if (v.is_object() && v.get_object().size() == 1 && v.get_object().contains("Condition")) {
      auto name = ScalarText(v.get_object().at("Condition"));
      if (!name) return TemplateError("Condition must name a condition");
      return Condition(*name);
    }
    ASSIGN_OR_RETURN(json::value r, Value(v, depth, fn));
    if (r.is_bool()) return r.get_bool();
    auto text = ScalarText(r);
    if (text && *text == "true") return true;
    if (text && *text == "false") return false;
    return TemplateError(std::string(fn) + " requires conditions");
  }

 private:
  Resolved Ref(const json::value& arg) {
    if (!arg.is_string()) return TemplateError("every Ref object must have a single String value.");
    std::string_view name = arg.get_string();
    if (name == "AWS::NoValue") return std::optional<json::value>();
    if (auto it = scope_.values.find(name); it != scope_.values.end()) return std::optional<json::value>(it->second);
    if (!scope_.resource_ref) return TemplateError("Unresolved resource dependencies [" + std::string(name) + "]");
    ASSIGN_OR_RETURN(json::value v, scope_.resource_ref(name));
    return std::optional<json::value>(std::move(v));
  }

  Result<json::value> GetAtt(std::string_view resource, std::string_view attribute) {
    if (!scope_.resource_attribute) {
      return TemplateError("Unresolved resource dependencies [" + std::string(resource) + "]");
    }
    return scope_.resource_attribute(resource, attribute);
  }

  Resolved Function(std::string_view name, const json::value& arg, int depth) {
    auto some = [](json::value v) { return std::optional<json::value>(std::move(v)); };
    if (name == "Fn::GetAtt") {
      json::array parts;
      if (arg.is_string()) {
        std::string text(arg.get_string());
        size_t dot = text.find('.');
        if (dot != std::string::npos) parts = {json::string(text.substr(0, dot)), json::string(text.substr(dot + 1))};
      } else if (arg.is_array()) {
        for (const auto& p : arg.get_array()) {
          ASSIGN_OR_RETURN(std::string t, Text(p, depth, name));
          parts.push_back(json::string(t));
        }
      }
      if (parts.size() != 2 || parts[0].get_string().empty() || parts[1].get_string().empty()) {
        return TemplateError("every Fn::GetAtt object requires two non-empty parameters");
      }
      ASSIGN_OR_RETURN(json::value v, GetAtt(parts[0].get_string(), parts[1].get_string()));
      return some(std::move(v));
    }
    if (name == "Fn::Sub") return Sub(arg, depth);
    if (name == "Fn::Join") {
      if (!arg.is_array() || arg.get_array().size() != 2) {
        return TemplateError("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of "
                             "strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) "
                             "to be joined.");
      }
      ASSIGN_OR_RETURN(std::string delimiter, Text(arg.get_array()[0], depth, name));
      ASSIGN_OR_RETURN(json::array items, List(arg.get_array()[1], depth, name));
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) {
        auto text = ScalarText(items[i]);
        if (!text) return TemplateError("every Fn::Join object requires a list of strings to be joined");
        out += (i ? delimiter : "") + *text;
      }
      return some(json::string(out));
    }
    if (name == "Fn::Select") {
      if (!arg.is_array() || arg.get_array().size() != 2) {
        return TemplateError("Fn::Select requires a list argument with two elements: an integer index and a list");
      }
      ASSIGN_OR_RETURN(std::string index_text, Text(arg.get_array()[0], depth, name));
      ASSIGN_OR_RETURN(json::array items, List(arg.get_array()[1], depth, name));
      char* end = nullptr;
      long index = std::strtol(index_text.c_str(), &end, 10);
      if (index_text.empty() || *end) return TemplateError("Fn::Select requires a list argument with two elements: an integer index and a list");
      if (index < 0 || static_cast<size_t>(index) >= items.size()) {
        return TemplateError("Fn::Select cannot select nonexistent value at index " + index_text);
      }
      return some(items[static_cast<size_t>(index)]);
    }
    if (name == "Fn::Split") {
      if (!arg.is_array() || arg.get_array().size() != 2) {
        return TemplateError("every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string "
                             "to be split or a function that returns a string to be split.");
      }
      ASSIGN_OR_RETURN(std::string delimiter, Text(arg.get_array()[0], depth, name));
      ASSIGN_OR_RETURN(std::string source, Text(arg.get_array()[1], depth, name));
      if (delimiter.empty()) return TemplateError("Fn::Split requires a non-empty delimiter");
      json::array out;
      size_t start = 0;
      for (size_t at; (at = source.find(delimiter, start)) != std::string::npos; start = at + delimiter.size()) {
        out.push_back(json::string(source.substr(start, at - start)));
      }
      out.push_back(json::string(source.substr(start)));
      return some(std::move(out));
    }
    if (name == "Fn::If") {
      if (!arg.is_array() || arg.get_array().size() != 3 || !arg.get_array()[0].is_string()) {
        return TemplateError("Fn::If requires a list argument with three elements");
      }
      ASSIGN_OR_RETURN(bool holds, Condition(arg.get_array()[0].get_string()));
      return Eval(arg.get_array()[holds ? 1 : 2], depth + 1);
    }
    if (name == "Fn::Equals") {
      if (!arg.is_array() || arg.get_array().size() != 2) return TemplateError("Fn::Equals requires a list of two values");
      ASSIGN_OR_RETURN(json::value a, Value(arg.get_array()[0], depth, name));
      ASSIGN_OR_RETURN(json::value b, Value(arg.get_array()[1], depth, name));
      auto ta = ScalarText(a), tb = ScalarText(b);
      return some(ta && tb ? *ta == *tb : a == b);
    }
    if (name == "Fn::And" || name == "Fn::Or") {
      if (!arg.is_array() || arg.get_array().size() < 2 || arg.get_array().size() > 10) {
        return TemplateError(std::string(name) + " requires a list of 2 to 10 conditions");
      }
      bool all = true, any = false;
      for (const auto& c : arg.get_array()) {
        ASSIGN_OR_RETURN(bool b, Boolean(c, depth, name));
        all = all && b;
        any = any || b;
      }
      return some(name == "Fn::And" ? all : any);
    }
    if (name == "Fn::Not") {
      if (!arg.is_array() || arg.get_array().size() != 1) return TemplateError("Fn::Not requires a list of one condition");
      ASSIGN_OR_RETURN(bool b, Boolean(arg.get_array()[0], depth, name));
      return some(!b);
    }
    if (name == "Fn::FindInMap") {
      // A fourth element {DefaultValue: ...} (AWS::LanguageExtensions; ParseTemplate admits it
      // only with the transform) answers when the top-level or second-level key is missing.
      const bool four = arg.is_array() && arg.get_array().size() == 4;
      if (!arg.is_array() || (arg.get_array().size() != 3 && !four)) {
        return TemplateError("every Fn::FindInMap object requires three parameters, the map name, map key and the "
                             "attribute for return value");
      }
      const json::value* fallback = nullptr;
      if (four) {
        const json::value& d = arg.get_array()[3];
        if (!d.is_object() || d.get_object().size() != 1 || !d.get_object().contains("DefaultValue")) {
          return TemplateError("Fn::FindInMap's fourth element must be an object with a single DefaultValue member");
        }
        fallback = &d.get_object().at("DefaultValue");
      }
      std::string keys[3];
      for (int i = 0; i < 3; ++i) {
        ASSIGN_OR_RETURN(keys[i], Text(arg.get_array()[i], depth, name));
      }
      const json::value* map = scope_.mappings ? scope_.mappings->if_contains(keys[0]) : nullptr;
      if (!map || !map->is_object()) return TemplateError("Mapping named '" + keys[0] + "' is not present in the 'Mappings' section of template.");
      const json::value* top = map->get_object().if_contains(keys[1]);
      const json::value* value = top && top->is_object() ? top->get_object().if_contains(keys[2]) : nullptr;
      if (!value && fallback) {
        ASSIGN_OR_RETURN(json::value d, Value(*fallback, depth, name));
        return some(std::move(d));
      }
      if (!value) return TemplateError("Unable to get mapping for " + keys[0] + "::" + keys[1] + "::" + keys[2]);
      return some(*value);
    }
    if (name == "Fn::GetAZs") {
      ASSIGN_OR_RETURN(std::string region, Text(arg, depth, name));
      std::vector<std::string> zones = scope_.availability_zones;
      auto own = scope_.values.find("AWS::Region");
      if (!region.empty() && own != scope_.values.end() && ScalarText(own->second) != region) {
        if (!scope_.availability_zones_in) return TemplateError("Fn::GetAZs cannot list the zones of region " + region);
        zones = scope_.availability_zones_in(region);
      }
      json::array out;
      for (const auto& az : zones) out.push_back(json::string(az));
      return some(std::move(out));
    }
    if (name == "Fn::Cidr") {
      if (!arg.is_array() || arg.get_array().size() != 3) {
        return TemplateError("Fn::Cidr requires a list of three elements: an ip block, a count and the cidr bits");
      }
      ASSIGN_OR_RETURN(std::string block, Text(arg.get_array()[0], depth, name));
      ASSIGN_OR_RETURN(std::string count_text, Text(arg.get_array()[1], depth, name));
      ASSIGN_OR_RETURN(std::string bits_text, Text(arg.get_array()[2], depth, name));
      char* end = nullptr;
      long count = std::strtol(count_text.c_str(), &end, 10);
      if (count_text.empty() || *end) return TemplateError("Fn::Cidr's count must be an integer");
      long bits = std::strtol(bits_text.c_str(), &end, 10);
      if (bits_text.empty() || *end) return TemplateError("Fn::Cidr's cidrBits must be an integer");
      ASSIGN_OR_RETURN(auto blocks, CidrBlocks(block, count, bits));
      json::array out;
      for (const auto& b : blocks) out.push_back(json::string(b));
      return some(std::move(out));
    }
    if (name == "Fn::Length") {
      ASSIGN_OR_RETURN(json::value list, Value(arg, depth, name));
      if (!list.is_array()) return TemplateError("Fn::Length requires a list or a function that returns a list");
      return some(static_cast<int64_t>(list.get_array().size()));
    }
    if (name == "Fn::ToJsonString") {
      ASSIGN_OR_RETURN(json::value v, Value(arg, depth, name));
      if (!v.is_object() && !v.is_array()) return TemplateError("Fn::ToJsonString requires an object or a list");
      return some(json::string(json::serialize(v)));
    }
    if (name == "Fn::Base64") {
      ASSIGN_OR_RETURN(std::string text, Text(arg, depth, name));
      return some(json::string(Base64Encode(text)));
    }
    if (name == "Fn::ImportValue") {
      ASSIGN_OR_RETURN(std::string export_name, Text(arg, depth, name));
      if (!scope_.import_value) return TemplateError("No export named " + export_name + " found.");
      ASSIGN_OR_RETURN(std::string value, scope_.import_value(export_name));
      return some(json::string(value));
    }
    return TemplateError("wharf does not support the intrinsic function " + std::string(name) + " yet");
  }

  // "${Name}", "${Resource.Attribute}" and "${!Literal}"; the list form adds its own variables.
  Resolved Sub(const json::value& arg, int depth) {
    std::string source;
    std::map<std::string, json::value, std::less<>> variables;
    if (arg.is_string()) {
      source = arg.get_string();
    } else if (arg.is_array() && arg.get_array().size() == 2 && arg.get_array()[0].is_string() &&
               arg.get_array()[1].is_object()) {
      source = arg.get_array()[0].get_string();
      for (const auto& [k, v] : arg.get_array()[1].get_object()) {
        ASSIGN_OR_RETURN(json::value r, Value(v, depth, "Fn::Sub"));
        variables[std::string(k)] = std::move(r);
      }
    } else {
      return TemplateError("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string "
                           "as first argument, and an optional second argument to specify a mapping of values to "
                           "replace in the string");
    }
    std::string out;
    size_t i = 0;
    while (i < source.size()) {
      size_t open = source.find("${", i);
      if (open == std::string::npos) break;
      out += source.substr(i, open - i);
      size_t close = source.find('}', open);
      if (close == std::string::npos) {
        out += source.substr(open);
        i = source.size();
        break;
      }
      std::string name = source.substr(open + 2, close - open - 2);
      i = close + 1;
      if (!name.empty() && name[0] == '!') {
        out += "${" + name.substr(1) + "}";
        continue;
      }
      json::value v;
      if (auto it = variables.find(name); it != variables.end()) {
        v = it->second;
      } else if (size_t dot = name.find('.'); dot != std::string::npos && !scope_.values.contains(name)) {
        ASSIGN_OR_RETURN(v, GetAtt(name.substr(0, dot), name.substr(dot + 1)));
      } else {
        ASSIGN_OR_RETURN(auto r, Ref(json::string(name)));
        if (!r) return TemplateError("Fn::Sub cannot substitute AWS::NoValue");
        v = std::move(*r);
      }
      auto text = ScalarText(v);
      if (!text) return TemplateError("Fn::Sub variable " + name + " is not a string");
      out += *text;
    }
    out += source.substr(std::min(i, source.size()));
    return std::optional<json::value>(json::string(out));
  }

  const Scope& scope_;
};

}  // namespace

Result<std::vector<std::string>> CidrBlocks(std::string_view ip_block, long count, long cidr_bits) {
  // An address of either family as 128 bits (IPv4 in the low 32), its width and prefix.
  std::string text(ip_block);
  size_t slash = text.find('/');
  std::string address = text.substr(0, slash);
  std::string prefix_text = slash == std::string::npos ? "" : text.substr(slash + 1);
  char* end = nullptr;
  unsigned long prefix = std::strtoul(prefix_text.c_str(), &end, 10);
  const bool v6 = address.find(':') != std::string::npos;
  const unsigned width = v6 ? 128 : 32;
  unsigned char bytes[16] = {};
  if (prefix_text.empty() || *end || prefix_text.size() > 3 || prefix > width ||
      inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes) != 1) {
    return TemplateError("Fn::Cidr's ip block " + text + " is not a CIDR block");
  }
  if (count < 1 || count > 256) return TemplateError("Fn::Cidr's count must be between 1 and 256");
  const long host_bits = static_cast<long>(width - prefix);
  if (cidr_bits < 1 || cidr_bits > host_bits) {
    return TemplateError("Fn::Cidr's cidrBits must be between 1 and " + std::to_string(host_bits) + " for " + text);
  }
  // count blocks of 2^cidr_bits fit in 2^host_bits when count <= 2^(host_bits - cidr_bits).
  if (host_bits - cidr_bits < 9 && count > (1L << (host_bits - cidr_bits))) {
    return TemplateError("Fn::Cidr cannot make " + std::to_string(count) + " blocks of /" +
                         std::to_string(width - cidr_bits) + " in " + text);
  }
  unsigned __int128 n = 0;
  for (unsigned i = 0; i < width / 8; ++i) n = n << 8 | bytes[i];
  const unsigned __int128 all = ~static_cast<unsigned __int128>(0);
  n &= host_bits >= 128 ? 0 : ~((static_cast<unsigned __int128>(1) << host_bits) - 1) & (v6 ? all : 0xffffffffu);
  std::vector<std::string> out;
  for (long i = 0; i < count; ++i) {
    unsigned __int128 block = n + (cidr_bits >= 128 ? 0 : static_cast<unsigned __int128>(i) << cidr_bits);
    for (unsigned b = width / 8; b-- > 0;) {
      bytes[b] = static_cast<unsigned char>(block & 0xff);
      block >>= 8;
    }
    char shown[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, shown, sizeof(shown));
    out.push_back(std::string(shown) + "/" + std::to_string(width - cidr_bits));
  }
  return out;
}

std::optional<std::string> ScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_number()) return json::serialize(v);
  return std::nullopt;
}

Resolved Resolve(const json::value& value, const Scope& scope) { return Evaluator(scope).Eval(value); }

Result<json::object> ResolveObject(const json::object& value, const Scope& scope) {
  ASSIGN_OR_RETURN(auto r, Resolve(value, scope));
  if (!r || !r->is_object()) return json::object();
  return std::move(r->get_object());
}

Result<std::map<std::string, bool, std::less<>>> EvaluateConditions(const Template& t, const Scope& scope) {
  // Conditions may name conditions defined after them: evaluate in dependency order, each
  // once, refusing a condition that reaches itself.
  Scope working = scope;
  std::set<std::string, std::less<>> visiting;
  std::function<Status(const std::string&)> visit = [&](const std::string& name) -> Status {
    if (working.conditions.contains(name)) return Status::OK();
    const json::value* definition = t.conditions.if_contains(name);
    if (!definition) return TemplateError("unresolved condition dependency " + name);
    if (!visiting.insert(name).second) return TemplateError("circular condition dependency " + name);
    // The conditions this one names first.
    std::function<Status(const json::value&)> names = [&](const json::value& v) -> Status {
      if (v.is_array()) {
        for (const auto& item : v.get_array()) RETURN_IF_ERROR(names(item));
      } else if (v.is_object()) {
        for (const auto& [k, member] : v.get_object()) {
          if (k == "Condition" && member.is_string()) {
            RETURN_IF_ERROR(visit(std::string(member.get_string())));
          } else {
            RETURN_IF_ERROR(names(member));
          }
        }
      }
      return Status::OK();
    };
    RETURN_IF_ERROR(names(*definition));
    ASSIGN_OR_RETURN(bool holds, Evaluator(working).Boolean(*definition, 0, "Conditions"));
    working.conditions[name] = holds;
    visiting.erase(name);
    return Status::OK();
  };
  for (const auto& [name, v] : t.conditions) RETURN_IF_ERROR(visit(std::string(name)));
  return working.conditions;
}

}  // namespace wharf::cloudformation
