#include "cloudformation/graph.h"

namespace wharf::cloudformation {
namespace json = boost::json;

namespace {

void CollectSub(std::string_view source, const json::object* variables, References& out) {
  size_t i = 0;
  while ((i = source.find("${", i)) != std::string_view::npos) {
    size_t close = source.find('}', i);
    if (close == std::string_view::npos) return;
    std::string name(source.substr(i + 2, close - i - 2));
    i = close + 1;
    if (name.empty() || name[0] == '!') continue;
    if (variables && variables->contains(name)) continue;
    size_t dot = name.find('.');
    out.names.insert(dot == std::string::npos ? name : name.substr(0, dot));
  }
}

}  // namespace

void CollectReferences(const json::value& value, References& out) {
  if (value.is_array()) {
    for (const auto& item : value.get_array()) CollectReferences(item, out);
    return;
  }
  if (!value.is_object()) return;
  const json::object& o = value.get_object();
  if (o.size() == 1) {
    const auto& [name, arg] = *o.begin();
    if (name == "Ref" && arg.is_string()) {
      out.names.insert(std::string(arg.get_string()));
      return;
    }
    if (name == "Fn::GetAtt") {
      if (arg.is_array() && !arg.get_array().empty() && arg.get_array()[0].is_string()) {
        out.names.insert(std::string(arg.get_array()[0].get_string()));
      } else if (arg.is_string()) {
        std::string text(arg.get_string());
        out.names.insert(text.substr(0, text.find('.')));
      }
      return;
    }
    if (name == "Fn::Sub") {
      if (arg.is_string()) {
        CollectSub(arg.get_string(), nullptr, out);
      } else if (arg.is_array() && arg.get_array().size() == 2 && arg.get_array()[0].is_string()) {
        const json::value& vars = arg.get_array()[1];
        CollectSub(arg.get_array()[0].get_string(), vars.is_object() ? &vars.get_object() : nullptr, out);
        CollectReferences(vars, out);
      }
      return;
    }
    if (name == "Fn::If" && arg.is_array() && !arg.get_array().empty() && arg.get_array()[0].is_string()) {
      out.conditions.insert(std::string(arg.get_array()[0].get_string()));
    }
  }
  for (const auto& [k, member] : o) CollectReferences(member, out);
}

std::map<std::string, std::set<std::string>> Dependencies(const Template& t) {
  std::map<std::string, std::set<std::string>> deps;
  for (const auto& r : t.resources) {
    References refs;
    CollectReferences(r.properties, refs);
    auto& mine = deps[r.logical_id];
    for (const auto& name : refs.names) {
      if (t.FindResource(name)) mine.insert(name);
    }
    for (const auto& d : r.depends_on) mine.insert(d);
  }
  return deps;
}

Result<std::vector<std::string>> CreationOrder(const Template& t) {
  auto deps = Dependencies(t);
  std::vector<std::string> order;
  std::set<std::string> placed;
  // Repeatedly take, in template order, every resource whose dependencies are placed.
  while (order.size() < t.resources.size()) {
    bool progress = false;
    for (const auto& r : t.resources) {
      if (placed.contains(r.logical_id)) continue;
      bool ready = true;
      for (const auto& d : deps[r.logical_id]) ready = ready && placed.contains(d);
      if (!ready) continue;
      placed.insert(r.logical_id);
      order.push_back(r.logical_id);
      progress = true;
    }
    if (!progress) {
      std::string names;
      for (const auto& r : t.resources) {
        if (!placed.contains(r.logical_id)) names += (names.empty() ? "" : ", ") + r.logical_id;
      }
      return Status::InvalidArgument("Circular dependency between resources: [" + names + "]");
    }
  }
  return order;
}

}  // namespace wharf::cloudformation
