// A CloudFormation template as wharf reads it: the body (JSON or YAML with the short-form
// tags) made one JSON document, and its sections in typed form. Parsing checks what
// CloudFormation checks before it creates anything (ValidateTemplate's errors), in its words:
// "Template format error: ...", unresolved references, circular dependencies.
//
// Template bodies are untrusted input: every failure is an InvalidArgument Status whose
// message is the ValidationError AWS answers (fuzz/template_fuzzer.cc feeds this parser).
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::cloudformation {

// TemplateBody's limit (CreateStack's TemplateBody is at most 51,200 bytes).
inline constexpr size_t kMaxTemplateBody = 51200;

struct ParameterDefinition {
  std::string name;
  std::string type;  // String, Number, CommaDelimitedList, List<Number>, AWS::EC2::Subnet::Id, ...
  std::optional<std::string> default_value;
  std::vector<std::string> allowed_values;
  std::string allowed_pattern;
  std::string description;
  std::string constraint_description;
  std::optional<double> min_value, max_value;
  std::optional<size_t> min_length, max_length;
  bool no_echo = false;

  // A list type: Ref gives a list of strings (CommaDelimitedList, List<...>).
  bool is_list() const;
};

struct ResourceDefinition {
  std::string logical_id;
  std::string type;
  boost::json::object properties;
  std::vector<std::string> depends_on;
  std::string condition;        // empty: always created
  std::string deletion_policy;  // Delete (default), Retain, Snapshot
  std::string update_replace_policy;
};

struct OutputDefinition {
  std::string name;
  boost::json::value value;
  std::string description;
  std::optional<boost::json::value> export_name;
  std::string condition;
};

struct Template {
  boost::json::object body;  // the whole template as JSON (short forms made long)
  std::string description;
  std::vector<ParameterDefinition> parameters;  // in template order
  boost::json::object mappings;
  boost::json::object conditions;
  std::vector<ResourceDefinition> resources;  // in template order
  std::vector<OutputDefinition> outputs;
  std::vector<std::string> transforms;  // Transform: only AWS::LanguageExtensions is served

  const ResourceDefinition* FindResource(std::string_view logical_id) const;
  const ParameterDefinition* FindParameter(std::string_view name) const;
};

struct Scope;  // cloudformation/intrinsics.h

// JSON when the body is JSON, else YAML (CloudFormation's short-form tags !Ref, !GetAtt,
// !Sub, ... made their Fn:: forms). Anything else is "Template format error: ...".
Result<boost::json::object> ParseTemplateBody(std::string_view body);

// The body parsed and checked: sections, resource entries, references to parameters,
// resources and conditions, and the dependency graph (no cycles). With the
// AWS::LanguageExtensions transform, its Fn::ForEach loops expanded first (cloudformation/
// foreach.h): `parameters` are the stack's values their collections may name; without them
// (ValidateTemplate, before the values are known) each parameter's Default, else "".
// `pseudo`: the stack's pseudo parameters (values) and zones (availability_zones) the
// collections may name; without it only AWS::Partition and AWS::URLSuffix are known.
Result<Template> ParseTemplate(std::string_view body, const std::map<std::string, std::string>* parameters = nullptr,
                               const Scope* pseudo = nullptr);

// The transform that admits Fn::ForEach, Fn::Length and Fn::ToJsonString.
inline constexpr std::string_view kLanguageExtensions = "AWS::LanguageExtensions";

// The pseudo parameters (AWS::Region, ...): names Ref may take besides parameters and resources.
bool IsPseudoParameter(std::string_view name);

}  // namespace wharf::cloudformation
