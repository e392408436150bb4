// The ECS cluster query language: the expressions of memberOf placement constraints and of
// ListContainerInstances --filter. Parse once, then evaluate against instance snapshots.
//
// Grammar (AWS "Create expressions to define container instances for Amazon ECS tasks"):
//   expression := term { ("or" | "||") term }
//   term       := factor { ("and" | "&&") factor }
//   factor     := ("not" | "!") factor | "(" expression ")" | simple
//   simple     := subject operator [argument]
//   argument   := value | "[" value { "," value } "]"      (lists only for in / not_in)
//   value      := bare word | 'single quoted' | "double quoted"
// Subjects: attribute:<name>, task:group, ec2InstanceId, registeredAt, runningTasksCount,
//   agentConnected, agentVersion. Operators: == equals, != not_equals, > greater_than,
//   >= greater_than_equal, < less_than, <= less_than_equal, exists, !exists not_exists,
//   in, !in not_in, =~ matches, !~ not_matches. Each subject accepts only the operators AWS
//   lists for it. and/or/not are case-insensitive; and binds tighter than or.
//
// Semantics, where the AWS guide is silent, are chosen to agree with its examples:
//   - == and != compare strings exactly; wildcards are regular expressions with =~
//     (`attribute:ecs.instance-type =~ t2.*`), matched against the whole value (Java's
//     Pattern.matches, which AWS names; ECMAScript syntax here, the same for common patterns).
//   - A negative operator (!=, !in, !~) needs the subject to exist: "attribute:stack != prod"
//     lists the instances that HAVE stack unless it is prod (AWS's own example). Use
//     not(...) for "anything but".
//   - task:group looks at every task on the instance: ==, in, =~ hold when some task's group
//     matches; !=, !in, !~ hold when the instance runs tasks and none matches.
//   - >, <, ... compare numbers as numbers, dotted versions (1.14.5) part by part, anything
//     else as strings. registeredAt takes 2018-06-18T22:28:28+00:00, ...Z, a bare time (UTC)
//     or 2018-06-18 (midnight UTC). runningTasksCount counts Instance::task_groups.
//
// A parsed query is an immutable value: copy it freely, use it from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "scheduler/instance.h"

namespace wharf::scheduler {

class ClusterQuery {
 public:
  // InvalidArgument with a message fit for an InvalidParameterException when `expression`
  // is not in the language (unknown subject, operator not valid for the subject, bad regex
  // or date, unbalanced parentheses, trailing text, longer than 2000 characters).
  static Result<ClusterQuery> Parse(std::string_view expression);

  bool Matches(const Instance& instance) const;

  // True when the answer can change as tasks are placed (task:group, runningTasksCount):
  // the scheduler re-evaluates such queries after every placement and caches the others.
  bool DependsOnTasks() const { return depends_on_tasks_; }
  const std::string& expression() const { return expression_; }

  struct Node;  // the parsed tree, defined in cluster_query.cc

 private:
  ClusterQuery() = default;
  std::string expression_;
  std::shared_ptr<const Node> root_;
  bool depends_on_tasks_ = false;
};

}  // namespace wharf::scheduler
