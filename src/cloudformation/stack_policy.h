// Stack policies (SetStackPolicy, StackPolicyBody, StackPolicyDuringUpdateBody): which update
// actions a stack update may take on which resources. As AWS documents them: once a stack has
// a policy, every resource is protected unless a statement allows the action; an explicit
// Deny wins over any Allow. Statements name actions (Update:Modify, Update:Replace,
// Update:Delete, Update:*), resources ("LogicalResourceId/<id>", wildcards allowed; or
// NotResource), Principal "*", and optionally Condition StringEquals/StringLike on
// ResourceType.
//
// Policy bodies are untrusted input: Parse answers InvalidArgument for anything malformed.
// Pure; thread-safe as values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::cloudformation {

class StackPolicy {
 public:
  static Result<StackPolicy> Parse(std::string_view body);

  // Null when `action` ("Update:Modify", "Update:Replace", "Update:Delete") on the resource
  // is allowed; else why not, in the words the failed resource's event gives.
  std::optional<std::string> Denied(std::string_view action, std::string_view logical_id,
                                    std::string_view resource_type) const;

 private:
  struct Statement {
    bool allow = false;
    std::vector<std::string> actions, not_actions;
    std::vector<std::string> resources, not_resources;
    std::vector<std::string> types;  // Condition on ResourceType; empty: any
    bool types_like = false;         // StringLike (wildcards) rather than StringEquals
  };
  bool Applies(const Statement& s, std::string_view action, std::string_view logical_id,
               std::string_view resource_type) const;

  std::vector<Statement> statements_;
};

}  // namespace wharf::cloudformation
