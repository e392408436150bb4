#include "api/cloudformation/handlers.h"

namespace wharf::api::cloudformation {

namespace {

// Page sizes of DescribeStackEvents and ListStackResources (AWS's are up to 100).
constexpr size_t kEventsPage = 100;
constexpr size_t kResourcesPage = 100;

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
  // Newest first; a token counts the older events still to come, so events written between
  // the pages do not shift them.
  size_t older = page.items.size();
  if (Has(in, "NextToken")) {
    auto token = PageOffset(in);
    if (!token || *token > page.items.size()) return InvalidNextToken();
    older = *token;
  }
  json::array events;
  size_t end = older > kEventsPage ? older - kEventsPage : 0;
  for (size_t i = older; i > end; --i) {
    ASSIGN_OR_FAIL(auto event, ParseObject(page.items[i - 1].value), CloudFormationError);
    events.push_back(std::move(event));
  }
  object out{{"StackEvents", std::move(events)}};
  if (end > 0) out["NextToken"] = PageToken(end);
  return out;
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
  object answer;
  if (auto err = Page(in, std::move(out), kResourcesPage, "StackResourceSummaries", answer)) return *err;
  return answer;
}

}  // namespace wharf::api::cloudformation
