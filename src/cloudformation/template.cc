#include "cloudformation/template.h"

#include <boost/json/parse.hpp>
#include <algorithm>
#include <set>

#include "cloudformation/foreach.h"
#include "cloudformation/graph.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/parameters.h"
#include "cloudformation/yaml.h"

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

Status FormatError(std::string message) { return Status::InvalidArgument("Template format error: " + message); }

constexpr std::string_view kPseudoParameters[] = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId",   "AWS::StackName",        "AWS::URLSuffix",
};

constexpr std::string_view kSections[] = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters",
                                          "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs"};

constexpr std::string_view kResourceAttributes[] = {"Type", "Properties", "DependsOn", "Condition", "DeletionPolicy",
                                                    "UpdateReplacePolicy", "Metadata", "CreationPolicy",
                                                    "UpdatePolicy"};

bool KnownParameterType(std::string_view type) {
  static const std::set<std::string_view> plain = {"String", "Number", "List<Number>", "CommaDelimitedList"};
  if (plain.contains(type)) return true;
  // AWS-specific types (AWS::EC2::Subnet::Id, List<AWS::EC2::SecurityGroup::Id>, ...) and SSM ones.
  return type.starts_with("AWS::") || type.starts_with("List<AWS::") || type.starts_with("AWS::SSM::Parameter::");
}

std::string Text(const json::value& v) { return ScalarText(v).value_or(""); }

Result<ParameterDefinition> ParseParameter(const std::string& name, const json::value& v) {
  if (!v.is_object()) return FormatError("Every Parameters object must contain a Type member.");
  const json::object& o = v.get_object();
  ParameterDefinition p;
  p.name = name;
  const json::value* type = o.if_contains("Type");
  if (!type || !type->is_string()) return FormatError("Every Parameters object must contain a Type member.");
  p.type = type->get_string();
  if (!KnownParameterType(p.type)) return FormatError("Unrecognized parameter type: " + p.type);
  if (const auto* d = o.if_contains("Default")) {
    if (d->is_array()) {
      std::string joined;
      for (const auto& item : d->get_array()) joined += (joined.empty() ? "" : ",") + Text(item);
      p.default_value = joined;
    } else {
      p.default_value = Text(*d);
    }
  }
  if (const auto* a = o.if_contains("AllowedValues")) {
    if (!a->is_array()) return FormatError("Every AllowedValues object in the Parameters section must be a list");
    for (const auto& item : a->get_array()) p.allowed_values.push_back(Text(item));
  }
  p.allowed_pattern = o.contains("AllowedPattern") ? Text(o.at("AllowedPattern")) : "";
  p.description = o.contains("Description") ? Text(o.at("Description")) : "";
  p.constraint_description = o.contains("ConstraintDescription") ? Text(o.at("ConstraintDescription")) : "";
  auto number = [&](std::string_view key) -> std::optional<double> {
    if (!o.contains(key)) return std::nullopt;
    std::string t = Text(o.at(key));
    char* end = nullptr;
    double d = std::strtod(t.c_str(), &end);
    if (t.empty() || *end) return std::nullopt;
    return d;
  };
  p.min_value = number("MinValue");
  p.max_value = number("MaxValue");
  if (auto n = number("MinLength")) p.min_length = static_cast<size_t>(*n);
  if (auto n = number("MaxLength")) p.max_length = static_cast<size_t>(*n);
  p.no_echo = o.contains("NoEcho") && Text(o.at("NoEcho")) == "true";
  return p;
}

std::vector<std::string> Strings(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.emplace_back(v.get_string());
  if (v.is_array()) {
    for (const auto& item : v.get_array()) out.push_back(Text(item));
  }
  return out;
}

Result<ResourceDefinition> ParseResource(const std::string& id, const json::value& v) {
  std::string where = "[/Resources/" + id + "] ";
  if (!v.is_object()) return FormatError(where + "Every Resources object must contain a Type member.");
  const json::object& o = v.get_object();
  for (const auto& [k, member] : o) {
    if (std::find(std::begin(kResourceAttributes), std::end(kResourceAttributes), k) == std::end(kResourceAttributes)) {
      return FormatError("Invalid template resource property '" + std::string(k) + "'");
    }
  }
  ResourceDefinition r;
  r.logical_id = id;
  const json::value* type = o.if_contains("Type");
  if (!type || !type->is_string()) return FormatError(where + "Every Resources object must contain a Type member.");
  r.type = type->get_string();
  if (const auto* p = o.if_contains("Properties")) {
    if (!p->is_object() && !p->is_null()) return FormatError(where + "Properties must be an object");
    if (p->is_object()) r.properties = p->get_object();
  }
  if (const auto* d = o.if_contains("DependsOn")) r.depends_on = Strings(*d);
  if (const auto* c = o.if_contains("Condition")) {
    // A condition's name, never a function (within Fn::ForEach a Fn::Sub the loop made
    // constant is already its name): anything else would make the resource unconditional.
    if (!c->is_string()) return FormatError(where + "Every Condition member must be a string.");
    r.condition = c->get_string();
  }
  r.deletion_policy = o.contains("DeletionPolicy") ? Text(o.at("DeletionPolicy")) : "Delete";
  r.update_replace_policy = o.contains("UpdateReplacePolicy") ? Text(o.at("UpdateReplacePolicy")) : "Delete";
  if (r.deletion_policy != "Delete" && r.deletion_policy != "Retain" && r.deletion_policy != "Snapshot" &&
      r.deletion_policy != "RetainExceptOnCreate") {
    return FormatError("Unrecognized DeletionPolicy " + r.deletion_policy + " for resource " + id);
  }
  return r;
}

// Whether `v` holds the function `fn` anywhere.
bool Holds(const json::value& v, std::string_view fn, int depth = 0) {
  if (depth > 200) return false;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (Holds(item, fn, depth + 1)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& [k, member] : v.get_object()) {
      if (k == fn || Holds(member, fn, depth + 1)) return true;
    }
  }
  return false;
}

// Fn::ImportValue's name is known before any resource is made: it may not name a resource,
// another import or the zones (CloudFormation refuses the template).
Status CheckImports(const Template& t, const json::value& v, int depth = 0) {
  if (depth > 200) return Status::OK();
  if (v.is_array()) {
    for (const auto& item : v.get_array()) RETURN_IF_ERROR(CheckImports(t, item, depth + 1));
  } else if (v.is_object()) {
    for (const auto& [k, member] : v.get_object()) {
      if (k == "Fn::ImportValue") {
        References refs;
        CollectReferences(member, refs);
        bool resource = std::any_of(refs.names.begin(), refs.names.end(),
                                    [&](const std::string& n) { return t.FindResource(n) != nullptr; });
        if (resource || Holds(member, "Fn::ImportValue") || Holds(member, "Fn::GetAZs")) {
          return Status::InvalidArgument("Template error: the attribute in Fn::ImportValue must not depend on any "
                                         "resources, imported values, or Fn::GetAZs");
        }
      }
      RETURN_IF_ERROR(CheckImports(t, member, depth + 1));
    }
  }
  return Status::OK();
}

// Every Ref, GetAtt and Sub name resolves to a parameter, pseudo parameter or resource, and
// every condition named exists.
Status CheckReferences(const Template& t, const json::value& v, std::string_view block) {
  RETURN_IF_ERROR(CheckImports(t, v));
  References refs;
  CollectReferences(v, refs);
  std::string unresolved;
  for (const auto& name : refs.names) {
    if (IsPseudoParameter(name) || t.FindParameter(name) || t.FindResource(name)) continue;
    unresolved += (unresolved.empty() ? "" : ", ") + name;
  }
  if (!unresolved.empty()) {
    return FormatError("Unresolved resource dependencies [" + unresolved + "] in the " + std::string(block) +
                       " block of the template");
  }
  for (const auto& c : refs.conditions) {
    if (!t.conditions.contains(c)) return Status::InvalidArgument("Template error: unresolved condition dependency " + c + " in Fn::If");
  }
  return Status::OK();
}

// The first function of the AWS::LanguageExtensions transform `v` uses, if any.
std::optional<std::string> LanguageExtension(const json::value& v, int depth = 0) {
  if (depth > 200) return std::nullopt;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (auto fn = LanguageExtension(item, depth + 1)) return fn;
    }
  } else if (v.is_object()) {
    for (const auto& [k, member] : v.get_object()) {
      if (k == "Fn::Length" || k == "Fn::ToJsonString" || k.starts_with("Fn::ForEach")) return std::string(k);
      if (k == "Fn::FindInMap" && member.is_array() && member.get_array().size() == 4) {
        return "Fn::FindInMap with DefaultValue";
      }
      if (auto fn = LanguageExtension(member, depth + 1)) return fn;
    }
  }
  return std::nullopt;
}

}  // namespace

bool ParameterDefinition::is_list() const {
  return type == "CommaDelimitedList" || type.starts_with("List<") ||
         type.starts_with("AWS::SSM::Parameter::Value<List<");
}

const ResourceDefinition* Template::FindResource(std::string_view logical_id) const {
  for (const auto& r : resources) {
    if (r.logical_id == logical_id) return &r;
  }
  return nullptr;
}

const ParameterDefinition* Template::FindParameter(std::string_view name) const {
  for (const auto& p : parameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool IsPseudoParameter(std::string_view name) {
  return std::find(std::begin(kPseudoParameters), std::end(kPseudoParameters), name) != std::end(kPseudoParameters);
}

Result<json::object> ParseTemplateBody(std::string_view body) {
  if (body.size() > kMaxTemplateBody) {
    return Status::InvalidArgument("1 validation error detected: Value at 'templateBody' failed to satisfy constraint: "
                                   "Member must have length less than or equal to 51200");
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  json::value doc;
  if (first != std::string_view::npos && body[first] == '{') {
    json::parse_options options;
    options.max_depth = 200;
    boost::system::error_code ec;
    doc = json::parse(body, ec, {}, options);
    if (ec) {
      // CloudFormation reads a body that is not JSON as YAML, of which JSON is nearly a subset.
      ASSIGN_OR_RETURN(doc, YamlToJson(body));
    }
  } else {
    ASSIGN_OR_RETURN(doc, YamlToJson(body));
  }
  if (!doc.is_object()) return FormatError("not a JSON or YAML object: a template is a map of sections");
  return std::move(doc.get_object());
}

Result<Template> ParseTemplate(std::string_view text, const std::map<std::string, std::string>* parameters,
                               const Scope* pseudo) {
  Template t;
  ASSIGN_OR_RETURN(t.body, ParseTemplateBody(text));
  for (const auto& [k, v] : t.body) {
    if (std::find(std::begin(kSections), std::end(kSections), k) == std::end(kSections)) {
      return FormatError("Invalid template property or properties [" + std::string(k) + "]");
    }
  }
  if (const auto* v = t.body.if_contains("AWSTemplateFormatVersion"); v && Text(*v) != "2010-09-09") {
    return FormatError("Unsupported template version " + Text(*v));
  }
  if (const auto* transform = t.body.if_contains("Transform")) {
    t.transforms = Strings(*transform);
    for (const auto& name : t.transforms) {
      if (name != kLanguageExtensions) {
        return Status::InvalidArgument("Template format error: wharf does not support the transform " + name +
                                       " yet (only " + std::string(kLanguageExtensions) + ")");
      }
    }
  }
  if (t.transforms.empty()) {
    if (auto fn = LanguageExtension(t.body)) {
      return FormatError("Unrecognized function " + *fn + ": it needs the " + std::string(kLanguageExtensions) +
                         " transform (Transform: " + std::string(kLanguageExtensions) + ")");
    }
  }
  if (const auto* d = t.body.if_contains("Description")) {
    if (!d->is_string()) return FormatError("Every Description member must be a string.");
    t.description = d->get_string();
  }
  if (const auto* params = t.body.if_contains("Parameters"); params && !params->is_null()) {
    if (!params->is_object()) return FormatError("Parameters must be an object");
    for (const auto& [name, v] : params->get_object()) {
      ASSIGN_OR_RETURN(auto p, ParseParameter(std::string(name), v));
      t.parameters.push_back(std::move(p));
    }
  }
  if (const auto* m = t.body.if_contains("Mappings"); m && !m->is_null()) {
    if (!m->is_object()) return FormatError("Mappings must be an object");
    t.mappings = m->get_object();
  }
  if (!t.transforms.empty()) {
    // AWS::LanguageExtensions: the loops expanded with the stack's parameter values (or, with
    // none yet, each parameter's Default, else an empty string).
    std::map<std::string, std::string> values;
    for (const auto& p : t.parameters) {
      values[p.name] = p.default_value.value_or("");
      if (!parameters) continue;
      if (auto given = parameters->find(p.name); given != parameters->end()) values[p.name] = given->second;
    }
    // The pseudo parameters (and the region's zones) too: a collection may be
    // !GetAZs '' or name ${AWS::Region}; without them (ValidateTemplate) the constant ones.
    Scope scope;
    if (pseudo) {
      scope.values = pseudo->values;
      scope.availability_zones = pseudo->availability_zones;
      scope.availability_zones_in = pseudo->availability_zones_in;
    } else {
      scope.values["AWS::Partition"] = json::string("aws");
      scope.values["AWS::URLSuffix"] = json::string("amazonaws.com");
    }
    AddParameters(t, values, scope);
    scope.mappings = &t.mappings;
    std::set<std::string> reserved;
    for (const auto& p : t.parameters) reserved.insert(p.name);
    if (const auto* r = t.body.if_contains("Resources"); r && r->is_object()) {
      for (const auto& [id, v] : r->get_object()) reserved.emplace(id);
    }
    RETURN_IF_ERROR(ExpandForEach(t.body, scope, reserved));
  }
  if (const auto* c = t.body.if_contains("Conditions"); c && !c->is_null()) {
    if (!c->is_object()) return FormatError("Conditions must be an object");
    t.conditions = c->get_object();
  }
  const json::value* resources = t.body.if_contains("Resources");
  if (!resources || !resources->is_object() || resources->get_object().empty()) {
    return FormatError("At least one Resources member must be defined.");
  }
  for (const auto& [id, v] : resources->get_object()) {
    ASSIGN_OR_RETURN(auto r, ParseResource(std::string(id), v));
    if (t.FindParameter(r.logical_id)) {
      return FormatError("Parameter and resource names must be unique: " + r.logical_id);
    }
    t.resources.push_back(std::move(r));
  }
  if (const auto* outputs = t.body.if_contains("Outputs"); outputs && !outputs->is_null()) {
    if (!outputs->is_object()) return FormatError("Outputs must be an object");
    for (const auto& [name, v] : outputs->get_object()) {
      if (!v.is_object() || !v.get_object().contains("Value")) {
        return FormatError("Every Outputs member must contain a Value object");
      }
      const json::object& o = v.get_object();
      if (const auto* c = o.if_contains("Condition"); c && !c->is_string()) {
        return FormatError("[/Outputs/" + std::string(name) + "] Every Condition member must be a string.");
      }
      OutputDefinition out{std::string(name), o.at("Value"), o.contains("Description") ? Text(o.at("Description")) : "",
                           std::nullopt, o.contains("Condition") ? Text(o.at("Condition")) : ""};
      if (const auto* e = o.if_contains("Export")) {
        if (!e->is_object() || !e->get_object().contains("Name")) return FormatError("Export must have a Name");
        out.export_name = e->get_object().at("Name");
      }
      t.outputs.push_back(std::move(out));
    }
  }

  // References: resources' dependencies exist, conditions exist, no cycles.
  for (const auto& r : t.resources) {
    for (const auto& d : r.depends_on) {
      if (!t.FindResource(d)) {
        return FormatError("Unresolved resource dependencies [" + d + "] in the Resources block of the template");
      }
    }
    if (!r.condition.empty() && !t.conditions.contains(r.condition)) {
      return Status::InvalidArgument("Template format error: Unresolved dependencies [" + r.condition +
                                     "]. Cannot reference resources in the Conditions block of the template");
    }
    RETURN_IF_ERROR(CheckReferences(t, r.properties, "Resources"));
  }
  for (const auto& o : t.outputs) {
    RETURN_IF_ERROR(CheckReferences(t, o.value, "Outputs"));
    if (o.export_name) RETURN_IF_ERROR(CheckReferences(t, *o.export_name, "Outputs"));
    if (!o.condition.empty() && !t.conditions.contains(o.condition)) {
      return Status::InvalidArgument("Template error: unresolved condition dependency " + o.condition);
    }
  }
  for (const auto& [name, c] : t.conditions) {
    References refs;
    CollectReferences(c, refs);
    for (const auto& n : refs.names) {
      if (!IsPseudoParameter(n) && !t.FindParameter(n)) {
        return FormatError("Unresolved dependencies [" + n + "]. Cannot reference resources in the Conditions block "
                           "of the template");
      }
    }
  }
  RETURN_IF_ERROR(CreationOrder(t).status());
  return t;
}

}  // namespace wharf::cloudformation
