// CloudFormation stacks as stored (docs/STATE.md, cloudformation/stacks/<name>): what
// DescribeStacks and DescribeStackResources answer, and what the stack engine
// (controlplane/stack_engine.h) needs to carry an operation on after a restart: the template
// and parameter values, each resource's physical id, Ref and attribute values, and the
// operation under way with what it is undoing.
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

// Stack and resource statuses are AWS's words (CREATE_IN_PROGRESS, ROLLBACK_COMPLETE, ...).
struct StackResource {
  std::string logical_id;
  std::string type;
  std::string physical_id;  // empty until made
  std::string status;       // CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, DELETE_*, UPDATE_*
  std::string status_reason;
  double updated = 0;                 // seconds since the epoch
  boost::json::value ref;             // Ref's value (usually the physical id)
  boost::json::object attributes;     // Fn::GetAtt values by attribute name
  boost::json::object properties;     // the resolved properties it was made with
  std::string deletion_policy = "Delete";
  bool retired = false;  // replaced or removed by an update, deleted in its cleanup
  // What the update under way did to it ("Add", "Modify", "Replacement"), and for Modify the
  // record before it (ToJson), which an update rollback restores.
  std::string change;
  boost::json::object previous;

  static StackResource FromJson(const boost::json::object& record);
  boost::json::object ToJson() const;
};

struct StackOutput {
  std::string key;
  std::string value;
  std::string description;
  std::string export_name;
};

struct Stack {
  std::string stack_id;  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  std::string name;
  std::string status;
  std::string status_reason;
  std::string description;
  std::string template_body;
  std::map<std::string, std::string> parameters;  // resolved values
  std::vector<std::string> no_echo;               // parameters DescribeStacks masks
  std::vector<StackOutput> outputs;
  boost::json::array tags;                 // [{Key, Value}]
  std::vector<std::string> capabilities;
  bool disable_rollback = false;
  bool termination_protection = false;  // DeleteStack is refused while set
  std::string stack_policy;             // SetStackPolicy's body (JSON); empty: none, every update allowed
  // The policy the update under way is checked against (StackPolicyDuringUpdateBody, else
  // stack_policy), kept so a restarted server checks the same one.
  std::string update_policy;
  double created = 0, updated = 0, deleted = 0;  // seconds since the epoch; 0: never
  std::string access_key_id;  // the caller whose credentials provision the resources
  std::vector<StackResource> resources;  // in creation order
  int64_t events = 0;                    // events written so far (the next one's sequence)
  std::string change_set_id;             // the change set that made the last operation
  std::vector<std::string> imports;      // the exports its template imports (Fn::ImportValue), for ListImports
  // An update under way keeps what it replaces, to roll back to.
  std::string previous_template_body;
  std::map<std::string, std::string> previous_parameters;

  std::string uuid() const;  // the stack id's last part
  StackResource* FindResource(std::string_view logical_id);
  const StackResource* FindResource(std::string_view logical_id) const;
  // An operation is under way (*_IN_PROGRESS other than REVIEW_IN_PROGRESS).
  bool in_progress() const;

  static Result<Stack> FromJson(const boost::json::object& record);
  boost::json::object ToJson() const;
};

}  // namespace wharf::model
