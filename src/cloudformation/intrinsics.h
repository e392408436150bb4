// The intrinsic functions and Ref (and Fn::Length, Fn::ToJsonString of the
// AWS::LanguageExtensions transform, which ParseTemplate admits only with it), evaluated over what a stack knows when a resource is made:
// its parameters and the pseudo parameters, its conditions and mappings, and the resources
// already created (their Ref and Fn::GetAtt values). Errors are CloudFormation's
// ("Template error: ..."), as InvalidArgument.
//
// Pure; thread-safe as values (the Scope's callbacks are the caller's).
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cloudformation/template.h"

namespace wharf::cloudformation {

struct Scope {
  // Parameters and pseudo parameters by name: a string, or an array of strings (list types).
  std::map<std::string, boost::json::value, std::less<>> values;
  const boost::json::object* mappings = nullptr;
  std::map<std::string, bool, std::less<>> conditions;
  std::vector<std::string> availability_zones;  // Fn::GetAZs of the stack's region ('' or AWS::Region)
  // Fn::GetAZs of another region (none: only the stack's own region is known).
  std::function<std::vector<std::string>(std::string_view region)> availability_zones_in;
  // A created resource's Ref and attribute; NotFound when it was not created.
  std::function<Result<boost::json::value>(std::string_view logical_id)> resource_ref;
  std::function<Result<boost::json::value>(std::string_view logical_id, std::string_view attribute)>
      resource_attribute;
  // Fn::ImportValue: an export's value; NotFound when no stack exports the name.
  std::function<Result<std::string>(std::string_view export_name)> import_value;
};

// `value` with every intrinsic function evaluated; nullopt when it is AWS::NoValue (a
// property or list element to leave out).
Result<std::optional<boost::json::value>> Resolve(const boost::json::value& value, const Scope& scope);
// As Resolve, for a whole object of properties: members that are AWS::NoValue are left out.
Result<boost::json::object> ResolveObject(const boost::json::object& value, const Scope& scope);

// The Conditions section: each condition's truth (a condition may name others, never itself).
Result<std::map<std::string, bool, std::less<>>> EvaluateConditions(const Template& t, const Scope& scope);

// A scalar as CloudFormation makes it a string (numbers and booleans as written).
std::optional<std::string> ScalarText(const boost::json::value& v);

// Fn::Cidr: `count` blocks of 2^`cidr_bits` addresses each, in order from the start of
// `ip_block`, IPv4 or IPv6 (a VPC's /56 split into /64s with cidr bits 64; IPv6 written as
// inet_ntop compresses it, as AWS answers); AWS's "Template error" when they do not fit.
Result<std::vector<std::string>> CidrBlocks(std::string_view ip_block, long count, long cidr_bits);

}  // namespace wharf::cloudformation
