#include "cloudformation/foreach.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

constexpr std::string_view kForEach = "Fn::ForEach";
constexpr std::string_view kSections[] = {"Conditions", "Resources", "Outputs"};
// Loops inside a loop (CloudFormation: up to 5 nested within a parent loop).
constexpr size_t kMaxNested = 5;

Status TransformError(std::string message) {
  return Status::InvalidArgument("Transform AWS::LanguageExtensions failed with: " + message);
}

Status LayoutError() { return TransformError("Fn::ForEach layout is incorrect"); }

bool IsLoop(std::string_view key) { return key.starts_with(kForEach); }

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }

bool HasLoop(const json::value& v, int depth) {
  if (depth > 200) return false;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (HasLoop(item, depth + 1)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& [k, member] : v.get_object()) {
      if (IsLoop(k) || HasLoop(member, depth + 1)) return true;
    }
  }
  return false;
}

// Identifier -> item, innermost last.
using Bindings = std::vector<std::pair<std::string, std::string>>;

const std::string* Bound(const Bindings& b, std::string_view name) {
  for (auto it = b.rbegin(); it != b.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

std::string Alphanumeric(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

// `text` (a key or a Fn::Sub string) with ${Id} of every bound identifier replaced by its item
// and &{Id} by the item's alphanumeric characters. Other ${...} (parameters, attributes,
// ${!Literal}) and &{...} stay.
std::string Substitute(std::string_view text, const Bindings& b) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if ((c == '$' || c == '&') && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        if (const std::string* item = Bound(b, text.substr(i + 2, close - i - 2))) {
          out += c == '&' ? Alphanumeric(*item) : *item;
          i = close + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// Whether `key` names `identifier` as ${identifier} or &{identifier}.
bool NamesIdentifier(std::string_view key, std::string_view identifier) {
  for (char c : {'$', '&'}) {
    if (key.find(std::string(1, c) + "{" + std::string(identifier) + "}") != std::string_view::npos) return true;
  }
  return false;
}

// The name `{"Fn::Sub": "Subnet${Id}"}` became once the loop filled it in, if constant.
const json::string* ConstantSub(const json::value& v) {
  if (!v.is_object() || v.get_object().size() != 1) return nullptr;
  const json::value* sub = v.get_object().if_contains("Fn::Sub");
  if (!sub || !sub->is_string() || View(sub->get_string()).find("${") != std::string_view::npos) {
    return nullptr;
  }
  return &sub->get_string();
}

class Expander {
 public:
  Expander(const Scope& scope, const std::set<std::string>& reserved) : scope_(scope), reserved_(reserved) {}

  // Loop names are unique in the template and are no parameter's or resource's name; a nested
  // loop is one declaration however often its parent repeats it.
  Status CheckLoopNames(const json::value& v, int depth = 0) {
    if (depth > 200) return TransformError("the template nests too deeply");
    if (v.is_array()) {
      for (const auto& item : v.get_array()) RETURN_IF_ERROR(CheckLoopNames(item, depth + 1));
    } else if (v.is_object()) {
      for (const auto& [k, member] : v.get_object()) {
        if (IsLoop(k)) {
          if (!k.starts_with("Fn::ForEach::") || k.size() == kForEach.size() + 2) return LayoutError();
          std::string name(k.substr(kForEach.size() + 2));
          if (!loop_names_.insert(name).second) {
            return TransformError("The loop name " + name + " is used more than once; a loop name must be unique "
                                  "within the template");
          }
          if (reserved_.contains(name)) {
            return TransformError("The loop name " + name + " conflicts with a parameter or resource of that name");
          }
        }
        RETURN_IF_ERROR(CheckLoopNames(member, depth + 1));
      }
    }
    return Status::OK();
  }

  // `v` with the loops in it expanded and the bound identifiers substituted.
  Result<json::value> Walk(const json::value& v, const Bindings& b, int depth) {
    if (depth > 200) return TransformError("the template nests too deeply");
    if (v.is_array()) {
      json::array out;
      for (const auto& item : v.get_array()) {
        ASSIGN_OR_RETURN(auto w, Walk(item, b, depth + 1));
        out.push_back(std::move(w));
      }
      return json::value(std::move(out));
    }
    if (!v.is_object()) return v;
    const json::object& o = v.get_object();
    if (o.size() == 1) {
      const auto& [k, arg] = *o.begin();
      if (k == "Ref" && arg.is_string()) {
        if (const std::string* item = Bound(b, View(arg.get_string()))) return json::value(json::string(*item));
      }
      // AWS replaces "every instance of ${Identifier} or &{Identifier}" in the fragment's
      // keys and values: in a value that is a Fn::Sub string, &{} too (the item's
      // alphanumeric characters), so '${Name}' and '&{Name}' may name what a loop made.
      if (k == "Fn::Sub" && arg.is_string()) {
        return json::value(json::object{{"Fn::Sub", Substitute(View(arg.get_string()), b)}});
      }
      if (k == "Fn::Sub" && arg.is_array() && !arg.get_array().empty() && arg.get_array()[0].is_string()) {
        json::array sub{json::string(Substitute(View(arg.get_array()[0].get_string()), b))};
        for (size_t i = 1; i < arg.get_array().size(); ++i) {
          ASSIGN_OR_RETURN(auto w, Walk(arg.get_array()[i], b, depth + 1));
          sub.push_back(std::move(w));
        }
        return json::value(json::object{{"Fn::Sub", std::move(sub)}});
      }
    }
    json::object out;
    for (const auto& [k, member] : o) {
      if (IsLoop(k)) {
        RETURN_IF_ERROR(Loop(k, member, b, depth + 1, out));
        continue;
      }
      ASSIGN_OR_RETURN(auto w, Walk(member, b, depth + 1));
      if (out.contains(k)) return Duplicate(k);
      out[k] = std::move(w);
    }
    // Ref, Fn::GetAtt, Fn::If and Condition take names: a name a loop made constant is that
    // name (AWS's own example: a looped resource's `Condition: !Sub 'TopicCondition${Id}'`).
    if (json::value* condition = out.if_contains("Condition")) {
      if (const json::string* name = ConstantSub(*condition)) *condition = json::string(*name);
    }
    if (out.size() == 1) {
      if (json::value* when = out.if_contains("Fn::If"); when && when->is_array() && !when->get_array().empty()) {
        json::value& first = when->get_array()[0];
        if (const json::string* name = ConstantSub(first)) first = json::string(*name);
      }
      if (json::value* ref = out.if_contains("Ref")) {
        if (const json::string* name = ConstantSub(*ref)) *ref = json::string(*name);
      }
      if (json::value* att = out.if_contains("Fn::GetAtt"); att && att->is_array()) {
        for (auto& part : att->get_array()) {
          if (const json::string* name = ConstantSub(part)) part = json::string(*name);
        }
      }
    }
    return json::value(std::move(out));
  }

 private:
  static Status Duplicate(std::string_view key) {
    return TransformError("Fn::ForEach produces " + std::string(key) + ", a key its parent object already has");
  }

  // The items of a loop's collection, resolved from the parameters and mappings alone.
  Result<std::vector<std::string>> Collection(const json::value& collection, const Bindings& b, int depth) {
    const Status unresolved = TransformError("Could not find a collection or could not be resolved for Fn::ForEach");
    ASSIGN_OR_RETURN(auto walked, Walk(collection, b, depth + 1));
    auto resolved = Resolve(walked, scope_);
    if (!resolved.ok() || !*resolved || !(*resolved)->is_array()) return unresolved;
    std::vector<std::string> items;
    for (const auto& item : (*resolved)->get_array()) {
      auto text = ScalarText(item);
      if (!text) return unresolved;
      items.push_back(std::move(*text));
    }
    return items;
  }

  // Expands `Fn::ForEach::Name: [Identifier, Collection, Fragment]` into `out`.
  Status Loop(std::string_view key, const json::value& spec, const Bindings& b, int depth, json::object& out) {
    if (!spec.is_array() || spec.get_array().size() != 3) return LayoutError();
    const json::array& parts = spec.get_array();
    if (!parts[0].is_string() || parts[0].get_string().empty() || !parts[2].is_object() ||
        parts[2].get_object().empty()) {
      return LayoutError();
    }
    std::string identifier(View(parts[0].get_string()));
    if (b.size() > kMaxNested) {
      return TransformError(std::string(key) + " is nested too deeply: up to " + std::to_string(kMaxNested) +
                            " Fn::ForEach loops may nest within a loop");
    }
    if (Bound(b, identifier)) {
      return TransformError("The identifier " + identifier + " of " + std::string(key) +
                            " is already the identifier of an enclosing Fn::ForEach; nested loops need their own");
    }
    if (reserved_.contains(identifier)) {
      return TransformError("The identifier " + identifier + " of " + std::string(key) +
                            " conflicts with a parameter or resource of that name");
    }
    const json::object& fragment = parts[2].get_object();
    for (const auto& [k, member] : fragment) {
      if (!IsLoop(k) && !NamesIdentifier(k, identifier)) {
        return TransformError("The key " + std::string(k) + " of " + std::string(key) + " does not contain ${" +
                              identifier + "} or &{" + identifier + "}: every iteration would make the same key");
      }
    }
    ASSIGN_OR_RETURN(auto items, Collection(parts[1], b, depth));
    for (const auto& item : items) {
      Bindings inner = b;
      inner.emplace_back(identifier, item);
      for (const auto& [k, member] : fragment) {
        if (IsLoop(k)) {
          RETURN_IF_ERROR(Loop(k, member, inner, depth + 1, out));
          continue;
        }
        std::string produced = Substitute(k, inner);
        if (out.contains(produced)) return Duplicate(produced);
        if (++members_ > kMaxLoopMembers) {
          return TransformError("Fn::ForEach loops produce more than " + std::to_string(kMaxLoopMembers) +
                                " members; a template holds at most 500 resources");
        }
        ASSIGN_OR_RETURN(auto w, Walk(member, inner, depth + 1));
        out[produced] = std::move(w);
      }
    }
    return Status::OK();
  }

  const Scope& scope_;
  const std::set<std::string>& reserved_;
  std::set<std::string> loop_names_;
  size_t members_ = 0;
};

}  // namespace

Status ExpandForEach(json::object& body, const Scope& scope, const std::set<std::string>& reserved) {
  for (const auto& [key, v] : body) {
    std::string_view section = key;
    if (std::find(std::begin(kSections), std::end(kSections), section) != std::end(kSections)) continue;
    if (HasLoop(v, 0)) {
      return TransformError("Fn::ForEach is not supported in the " + std::string(section) +
                            " section: it is supported in the Conditions, Resources and Outputs sections");
    }
  }
  Expander expander(scope, reserved);
  for (auto section : kSections) {
    if (const json::value* v = body.if_contains(section)) RETURN_IF_ERROR(expander.CheckLoopNames(*v));
  }
  for (auto section : kSections) {
    json::value* v = body.if_contains(section);
    if (!v || !v->is_object()) continue;
    ASSIGN_OR_RETURN(auto expanded, expander.Walk(*v, {}, 0));
    *v = std::move(expanded);
  }
  return Status::OK();
}

}  // namespace wharf::cloudformation
