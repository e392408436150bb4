#include "api/cloudformation/handlers.h"

namespace wharf::api::cloudformation {

namespace {

// The stack a request names (StackName: a name or stack id), or the error to answer.
std::variant<StoredStack, AwsError> Named(const Deps& deps, const object& in) {
  std::string name = GetString(in, "StackName");
  auto found = FindStack(deps, name);
  if (!found.ok()) return CloudFormationError(found.status());
  if (!*found) return StackNotFound(name);
  return std::move(**found);
}

}  // namespace

Outcome DescribeStackEvents(const Deps& deps, const RequestContext& ctx, object& in) {
  auto named = Named(deps, in);
  if (auto* err = std::get_if<AwsError>(&named)) return *err;
  const model::Stack& stack = std::get<StoredStack>(named).stack;
  ASSIGN_OR_FAIL(auto page, deps.store.List(model::keys::StackEventsPrefix(stack.uuid()), "", 0), CloudFormationError);
  json::array events;
  for (auto it = page.items.rbegin(); it != page.items.rend(); ++it) {  // newest first
    ASSIGN_OR_FAIL(auto event, ParseObject(it->value), CloudFormationError);
    events.push_back(std::move(event));
  }
  return object{{"StackEvents", std::move(events)}};
}

Outcome DescribeStackResource(const Deps& deps, const RequestContext& ctx, object& in) {
  auto named = Named(deps, in);
  if (auto* err = std::get_if<AwsError>(&named)) return *err;
  const model::Stack& stack = std::get<StoredStack>(named).stack;
  std::string id = GetString(in, "LogicalResourceId");
  const model::StackResource* r = stack.FindResource(id);
  if (!r) return ValidationError("Resource " + id + " does not exist for stack " + stack.name);
  object detail = DescribeResource(stack, *r);
  detail.erase("Timestamp");
  detail["LastUpdatedTimestamp"] = r->updated;
  return object{{"StackResourceDetail", std::move(detail)}};
}

Outcome DescribeStackResources(const Deps& deps, const RequestContext& ctx, object& in) {
  std::vector<model::Stack> stacks;
  std::string physical = GetString(in, "PhysicalResourceId");
  if (Has(in, "StackName")) {
    auto named = Named(deps, in);
    if (auto* err = std::get_if<AwsError>(&named)) return *err;
    stacks.push_back(std::get<StoredStack>(named).stack);
  } else if (!physical.empty()) {
    ASSIGN_OR_FAIL(auto all, AllStacks(deps, false), CloudFormationError);
    for (auto& s : all) {
      for (const auto& r : s.resources) {
        if (r.physical_id == physical) {
          stacks.push_back(s);
          break;
        }
      }
    }
    if (stacks.empty()) return ValidationError("Stack for " + physical + " does not exist");
  } else {
    return ValidationError("Either StackName or PhysicalResourceId must be specified.");
  }
  std::string logical = GetString(in, "LogicalResourceId");
  json::array out;
  for (const auto& s : stacks) {
    for (const auto& r : s.resources) {
      if (r.retired) continue;
      if (!logical.empty() && r.logical_id != logical) continue;
      out.push_back(DescribeResource(s, r));
    }
  }
  return object{{"StackResources", std::move(out)}};
}

Outcome ListStackResources(const Deps& deps, const RequestContext& ctx, object& in) {
  auto named = Named(deps, in);
  if (auto* err = std::get_if<AwsError>(&named)) return *err;
  const model::Stack& stack = std::get<StoredStack>(named).stack;
  json::array out;
  for (const auto& r : stack.resources) {
    if (r.retired) continue;
    object item = DescribeResource(stack, r);
    item.erase("StackName");
    item.erase("StackId");
    item.erase("Timestamp");
    item["LastUpdatedTimestamp"] = r.updated;
    out.push_back(std::move(item));
  }
  return object{{"StackResourceSummaries", std::move(out)}};
}

}  // namespace wharf::api::cloudformation
