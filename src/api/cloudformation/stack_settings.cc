// A stack's settings between operations: termination protection (UpdateTerminationProtection;
// DeleteStack refuses a protected stack), its stack policy (Set/GetStackPolicy; the stack
// engine checks updates against it), and which stacks import an export (ListImports, from
// the imports the engine records as it resolves Fn::ImportValue).
//
// The engine is the only writer of a stack while an operation is under way (its commits are
// revision-checked against its own), so settings change only between operations.
#include <set>

#include "api/cloudformation/handlers.h"

namespace wharf::api::cloudformation {

namespace {

constexpr size_t kImportsPage = 100;

// The live stack a request names, for a settings change: not while an operation runs.
std::variant<StoredStack, AwsError> Settled(const Deps& deps, const object& in) {
  std::string name = GetString(in, "StackName");
  auto found = FindStack(deps, name);
  if (!found.ok()) return CloudFormationError(found.status());
  if (!*found || (*found)->deleted) return StackNotFound(name);
  const model::Stack& s = (*found)->stack;
  if (s.in_progress()) {
    return ValidationError("Stack:" + s.stack_id + " is in " + s.status +
                           " state: wharf changes its settings between operations; retry when it ends");
  }
  return std::move(**found);
}

}  // namespace

Outcome UpdateTerminationProtection(const Deps& deps, const RequestContext&, object& in) {
  auto settled = Settled(deps, in);
  if (auto* err = std::get_if<AwsError>(&settled)) return *err;
  StoredStack& found = std::get<StoredStack>(settled);
  found.stack.termination_protection = GetBool(in, "EnableTerminationProtection").value_or(false);
  ASSIGN_OR_FAIL(bool done, PutStack(deps, found.stack, found.revision), CloudFormationError);
  if (!done) return ValidationError("Stack:" + found.stack.stack_id + " is being changed by another request; retry.");
  return object{{"StackId", found.stack.stack_id}};
}

Outcome SetStackPolicy(const Deps& deps, const RequestContext&, object& in) {
  if (auto err = CheckStackPolicy(in, "StackPolicyBody", "StackPolicyURL")) return *err;
  auto settled = Settled(deps, in);
  if (auto* err = std::get_if<AwsError>(&settled)) return *err;
  StoredStack& found = std::get<StoredStack>(settled);
  found.stack.stack_policy = GetString(in, "StackPolicyBody");
  ASSIGN_OR_FAIL(bool done, PutStack(deps, found.stack, found.revision), CloudFormationError);
  if (!done) return ValidationError("Stack:" + found.stack.stack_id + " is being changed by another request; retry.");
  return object{};
}

Outcome GetStackPolicy(const Deps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "StackName");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
  if (!found) return StackNotFound(name);
  object out;
  if (!found->stack.stack_policy.empty()) out["StackPolicyBody"] = found->stack.stack_policy;
  return out;
}

Outcome ListImports(const Deps& deps, const RequestContext&, object& in) {
  std::string name = GetString(in, "ExportName");
  ASSIGN_OR_FAIL(auto all, AllStacks(deps, false), CloudFormationError);
  bool exported = false;
  json::array importers;
  for (const auto& s : all) {
    for (const auto& o : s.outputs) exported = exported || o.export_name == name;
    if (std::find(s.imports.begin(), s.imports.end(), name) != s.imports.end()) {
      importers.push_back(json::string(s.name));
    }
  }
  if (!exported || importers.empty()) return ValidationError("Export '" + name + "' is not imported by any stack.");
  object out;
  if (auto err = Page(in, std::move(importers), kImportsPage, "Imports", out)) return *err;
  return out;
}

}  // namespace wharf::api::cloudformation
