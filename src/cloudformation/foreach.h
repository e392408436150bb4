// Fn::ForEach of the AWS::LanguageExtensions transform: loops in the Conditions, Resources
// (resource properties included) and Outputs sections expanded into the members they repeat,
// before anything else reads the template, as CloudFormation processes the transform.
//
//   'Fn::ForEach::LoopName': [Identifier, Collection, {'OutputKey${Identifier}': OutputValue}]
//
// The collection is a list, or anything that resolves to one from the parameters and
// mappings alone (Ref to a CommaDelimitedList parameter, Fn::FindInMap, Fn::Split, ...). For
// each item the fragment is copied with the identifier substituted where CloudFormation
// substitutes it: in the fragment's own keys (${Id}, and &{Id}, which keeps only the item's
// alphanumeric characters), in Fn::Sub strings (${Id} and &{Id}), and for Ref to the identifier. A
// Ref or Fn::GetAtt naming `{"Fn::Sub": ...}` that the loop made constant names that
// resource. Loops nest (up to 5 inside a loop), each with its own identifier.
//
// Errors are CloudFormation's: "Transform AWS::LanguageExtensions failed with: ...".
//
// Pure; thread-safe as values. Template bodies are untrusted input (fuzz/template_fuzzer.cc):
// a loop produces at most kMaxLoopMembers members in all.
#pragma once

#include <boost/json/object.hpp>
#include <set>
#include <string>

#include "base/status.h"
#include "cloudformation/intrinsics.h"

namespace wharf::cloudformation {

// Members every loop of a template may produce together (a template holds at most 500
// resources; outputs and conditions fewer).
inline constexpr size_t kMaxLoopMembers = 500;

// Expands the loops of `body`'s Conditions, Resources and Outputs in place. `scope` resolves
// collections (parameters and mappings); `reserved`: names an identifier or loop name may not
// take (parameters and resources).
Status ExpandForEach(boost::json::object& body, const Scope& scope, const std::set<std::string>& reserved);

}  // namespace wharf::cloudformation
