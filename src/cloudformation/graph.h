// The dependency graph of a template's resources: a resource depends on the resources its
// properties name (Ref, Fn::GetAtt, Fn::Sub's ${X} and ${X.Attr}) and those in its DependsOn.
// Resources are created in an order where each comes after what it depends on, and deleted
// in the reverse one. A cycle is the error CloudFormation answers ("Circular dependency
// between resources: [A, B]").
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "cloudformation/template.h"

namespace wharf::cloudformation {

// Every name `value` refers to with Ref, Fn::GetAtt or Fn::Sub (parameters and pseudo
// parameters included), and every condition Fn::If names.
struct References {
  std::set<std::string> names;
  std::set<std::string> conditions;
};
void CollectReferences(const boost::json::value& value, References& out);

// Logical id -> the logical ids of the resources it depends on.
std::map<std::string, std::set<std::string>> Dependencies(const Template& t);

// The resources in an order that creates each after its dependencies (template order among
// independent ones). InvalidArgument with AWS's message on a cycle.
Result<std::vector<std::string>> CreationOrder(const Template& t);

}  // namespace wharf::cloudformation
