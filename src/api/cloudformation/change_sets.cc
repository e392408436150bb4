#include <boost/json/serialize.hpp>
#include <set>

#include "api/cloudformation/handlers.h"
#include "base/random.h"
#include "cloudformation/graph.h"
#include "cloudformation/parameters.h"

namespace wharf::api::cloudformation {


namespace {

// Members of a change set record that DescribeChangeSet does not answer.
constexpr const char* kInternal[] = {"TemplateBody", "ParameterValues"};

AwsError ChangeSetNotFound(std::string_view name) {
  return AwsError{"ChangeSetNotFound", "ChangeSet [" + std::string(name) + "] does not exist", 404};
}

struct StoredChangeSet {
  std::string key;
  object record;
  int64_t revision = 0;
};

// A change set by ARN, or by name within the stack `stack_name`.
Result<std::optional<StoredChangeSet>> FindChangeSet(const Deps& deps, const std::string& name,
                                                     const std::string& stack_name) {
  if (!name.starts_with("arn:")) {
    std::string stack = stack_name;
    if (stack.starts_with("arn:")) {
      ASSIGN_OR_RETURN(auto found, FindStack(deps, stack));
      if (!found) return std::optional<StoredChangeSet>();
      stack = found->stack.name;
    }
    std::string key = model::keys::ChangeSetKey(stack, name);
    ASSIGN_OR_RETURN(auto kv, deps.store.Get(key));
    if (!kv) return std::optional<StoredChangeSet>();
    ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
    return std::optional<StoredChangeSet>(StoredChangeSet{key, std::move(record), kv->mod_revision});
  }
  ASSIGN_OR_RETURN(auto page, deps.store.List(model::keys::kChangeSets, "", 0));
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
    if (GetString(record, "ChangeSetId") == name) {
      return std::optional<StoredChangeSet>(StoredChangeSet{kv.key, std::move(record), kv.mod_revision});
    }
  }
  return std::optional<StoredChangeSet>();
}

object Change(const std::string& action, const cfn::ResourceDefinition* def, const model::StackResource* current,
              const std::string& logical_id) {
  object rc{{"Action", action}, {"LogicalResourceId", logical_id},
            {"ResourceType", def ? def->type : current->type}, {"Scope", json::array()}, {"Details", json::array()}};
  if (current && !current->physical_id.empty()) rc["PhysicalResourceId"] = current->physical_id;
  if (action == "Modify") rc["Replacement"] = "Conditional";
  return object{{"Type", "Resource"}, {"ResourceChange", std::move(rc)}};
}

// What executing the change set would do to `current` (null for a new stack). A resource is
// modified when its definition changed or it names a parameter whose value changed; whether
// that replaces it is known only when it is carried out ("Conditional").
json::array Changes(const cfn::Template& next, const model::Stack* current,
                    const std::map<std::string, std::string>& values, const cfn::Scope& pseudo) {
  json::array changes;
  std::optional<cfn::Template> before;
  if (current) {
    if (auto t = cfn::ParseTemplate(current->template_body, &current->parameters, &pseudo); t.ok()) {
      before = std::move(*t);
    }
  }
  for (const auto& r : next.resources) {
    const model::StackResource* existing = current ? current->FindResource(r.logical_id) : nullptr;
    if (!existing) {
      changes.push_back(Change("Add", &r, nullptr, r.logical_id));
      continue;
    }
    const cfn::ResourceDefinition* old = before ? before->FindResource(r.logical_id) : nullptr;
    bool changed = !old || old->type != r.type || old->properties != r.properties;
    cfn::References refs;
    cfn::CollectReferences(r.properties, refs);
    for (const auto& name : refs.names) {
      auto was = current->parameters.find(name);
      auto now = values.find(name);
      if (now != values.end() && (was == current->parameters.end() || was->second != now->second)) changed = true;
    }
    if (changed) changes.push_back(Change("Modify", &r, existing, r.logical_id));
  }
  if (current) {
    for (const auto& r : current->resources) {
      if (!r.retired && !next.FindResource(r.logical_id)) changes.push_back(Change("Remove", nullptr, &r, r.logical_id));
    }
  }
  return changes;
}

}  // namespace

Outcome CreateChangeSet(const Deps& deps, const RequestContext& ctx, object& in) {
  for (const char* m : {"NotificationARNs", "RoleARN", "RollbackConfiguration", "ResourceTypes", "ResourcesToImport",
                        "IncludeNestedStacks", "OnStackFailure", "ImportExistingResources"}) {
    if (!Has(in, m)) continue;
    const json::value& v = in.at(m);
    if ((v.is_array() && v.get_array().empty()) || (v.is_bool() && !v.get_bool())) continue;
    return ValidationError(std::string("wharf does not support ") + m + " yet");
  }
  std::string stack_name = GetString(in, "StackName");
  std::string name = GetString(in, "ChangeSetName");
  std::string type = GetString(in, "ChangeSetType", "UPDATE");
  if (type == "IMPORT") return ValidationError("wharf does not support IMPORT change sets yet");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, stack_name), CloudFormationError);
  if (found && found->deleted) found.reset();
  if (type == "CREATE" && found && found->stack.status != "REVIEW_IN_PROGRESS") {
    return AwsError::Client("AlreadyExistsException", "Stack [" + stack_name + "] already exists and cannot be "
                                                      "created again with the changeSet [" + name + "].");
  }
  if (type == "UPDATE" && (!found || found->stack.status == "REVIEW_IN_PROGRESS")) {
    return ValidationError("Stack [" + stack_name + "] does not exist");
  }
  if (type == "UPDATE" && !(found->stack.status == "CREATE_COMPLETE" || found->stack.status == "UPDATE_COMPLETE" ||
                            found->stack.status == "UPDATE_ROLLBACK_COMPLETE")) {
    return ValidationError("Stack:" + found->stack.stack_id + " is in " + found->stack.status +
                           " state and can not be updated.");
  }
  if (GetBool(in, "UsePreviousTemplate").value_or(false)) {
    if (!found) return ValidationError("Stack [" + stack_name + "] does not exist");
    in["TemplateBody"] = found->stack.template_body;
  }
  std::string body;
  auto read = ReadTemplate(deps, in, &body);
  if (auto* err = std::get_if<AwsError>(&read)) return *err;
  const cfn::Template& t = std::get<cfn::Template>(read);
  if (auto err = MissingCapabilities(t, in)) return *err;
  std::map<std::string, std::string> previous = found ? found->stack.parameters : std::map<std::string, std::string>{};
  auto values = cfn::ResolveParameterValues(t, ParameterInputs(in), previous);
  if (!values.ok()) return ValidationError(values.status().message());

  // A CREATE change set makes the stack, REVIEW_IN_PROGRESS until it is executed.
  model::Stack stack;
  int64_t stack_revision = 0;
  std::vector<store::Op> ops;
  if (found) {
    stack = found->stack;
    stack_revision = found->revision;
  } else {
    stack.name = stack_name;
    stack.stack_id = NewStackId(deps, stack_name);
    stack.status = "REVIEW_IN_PROGRESS";
    stack.created = Now(deps);
    stack.access_key_id = ctx.access_key_id;
  }
  // The transform's loops expanded with these values: a failure fails the change set, as
  // CloudFormation's processing of the template does.
  cfn::Scope pseudo = deps.engine.PseudoParameters(stack.name, stack.stack_id);
  auto processed = cfn::ParseTemplate(body, &*values, &pseudo);
  json::array changes =
      processed.ok() ? Changes(*processed, type == "UPDATE" ? &stack : nullptr, *values, pseudo) : json::array();
  bool empty = type == "UPDATE" && changes.empty() && body == stack.template_body && *values == stack.parameters;
  bool failed = empty || !processed.ok();
  std::string id = "arn:aws:cloudformation:" + deps.region + ":" + deps.account_id + ":changeSet/" + name + "/" +
                   RandomUuid(deps.random);
  json::array parameters;
  for (const auto& [k, v] : *values) parameters.push_back(object{{"ParameterKey", k}, {"ParameterValue", v}});
  object values_record;
  for (const auto& [k, v] : *values) values_record[k] = v;
  object record{{"ChangeSetName", name},
                {"ChangeSetId", id},
                {"StackId", stack.stack_id},
                {"StackName", stack.name},
                {"Parameters", std::move(parameters)},
                {"CreationTime", Now(deps)},
                {"ExecutionStatus", failed ? "UNAVAILABLE" : "AVAILABLE"},
                {"Status", failed ? "FAILED" : "CREATE_COMPLETE"},
                {"NotificationARNs", json::array()},
                {"Capabilities", GetArray(in, "Capabilities")},
                {"Tags", GetArray(in, "Tags")},
                {"Changes", std::move(changes)},
                {"IncludeNestedStacks", false},
                {"ChangeSetType", type},
                {"TemplateBody", body},
                {"ParameterValues", std::move(values_record)}};
  if (Has(in, "Description")) record["Description"] = GetString(in, "Description");
  if (!processed.ok()) {
    record["StatusReason"] = processed.status().message();
  } else if (empty) {
    record["StatusReason"] = "The submitted information didn't contain changes. Submit different information to "
                             "create a change set.";
  }
  std::string key = model::keys::ChangeSetKey(stack.name, name);
  if (found) {
    store::Txn txn{{{key, 0}}, {store::Op::Put(key, Serialize(record))}};
    ASSIGN_OR_FAIL(auto result, deps.store.Commit(txn), CloudFormationError);
    if (!result.succeeded) return AwsError::Client("AlreadyExistsException", "ChangeSet " + name + " already exists");
  } else {
    ops.push_back(store::Op::Put(key, Serialize(record)));
    ASSIGN_OR_FAIL(bool made, CommitStack(deps, stack, stack_revision, "User Initiated", std::move(ops)),
                   CloudFormationError);
    if (!made) return AwsError::Client("AlreadyExistsException", "Stack [" + stack_name + "] already exists");
  }
  return object{{"Id", id}, {"StackId", stack.stack_id}};
}

Outcome DescribeChangeSet(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "ChangeSetName");
  ASSIGN_OR_FAIL(auto found, FindChangeSet(deps, name, GetString(in, "StackName")), CloudFormationError);
  if (!found) return ChangeSetNotFound(name);
  object out = std::move(found->record);
  for (const char* m : kInternal) out.erase(m);
  return out;
}

Outcome ExecuteChangeSet(const Deps& deps, const RequestContext& ctx, object& in) {
  if (Has(in, "DisableRollback") || Has(in, "RetainExceptOnCreate")) {
    if (GetBool(in, "DisableRollback").value_or(false) || GetBool(in, "RetainExceptOnCreate").value_or(false)) {
      return ValidationError("wharf does not support DisableRollback or RetainExceptOnCreate on ExecuteChangeSet yet");
    }
  }
  std::string name = GetString(in, "ChangeSetName");
  ASSIGN_OR_FAIL(auto cs, FindChangeSet(deps, name, GetString(in, "StackName")), CloudFormationError);
  if (!cs) return ChangeSetNotFound(name);
  const object& record = cs->record;
  if (GetString(record, "Status") != "CREATE_COMPLETE" || GetString(record, "ExecutionStatus") != "AVAILABLE") {
    return AwsError::Client("InvalidChangeSetStatus", "ChangeSet [" + GetString(record, "ChangeSetId") +
                                                          "] cannot be executed in its current status of [" +
                                                          GetString(record, "Status") + "]");
  }
  ASSIGN_OR_FAIL(auto found, FindStack(deps, GetString(record, "StackId")), CloudFormationError);
  if (!found || found->deleted) return StackNotFound(GetString(record, "StackName"));
  model::Stack stack = found->stack;
  std::string body = GetString(record, "TemplateBody");
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : GetObject(record, "ParameterValues")) {
    if (v.is_string()) values[std::string(k)] = v.get_string();
  }
  cfn::Scope pseudo = deps.engine.PseudoParameters(stack.name, stack.stack_id);
  auto t = cfn::ParseTemplate(body, &values, &pseudo);
  if (!t.ok()) return ValidationError(t.status().message());
  std::vector<std::string> no_echo;
  for (const auto& p : t->parameters) {
    if (p.no_echo) no_echo.push_back(p.name);
  }
  std::vector<std::string> capabilities;
  for (const auto& c : GetArray(record, "Capabilities")) {
    if (c.is_string()) capabilities.emplace_back(c.get_string());
  }
  if (GetString(record, "ChangeSetType") == "CREATE") {
    if (stack.status != "REVIEW_IN_PROGRESS") {
      return AwsError::Client("InvalidChangeSetStatus", "ChangeSet [" + name + "] cannot be executed: the stack is " + stack.status);
    }
    stack.status = "CREATE_IN_PROGRESS";
    stack.tags = GetArray(record, "Tags");
  } else {
    if (!(stack.status == "CREATE_COMPLETE" || stack.status == "UPDATE_COMPLETE" ||
          stack.status == "UPDATE_ROLLBACK_COMPLETE")) {
      return ValidationError("Stack:" + stack.stack_id + " is in " + stack.status + " state and can not be updated.");
    }
    stack.previous_template_body = stack.template_body;
    stack.previous_parameters = stack.parameters;
    stack.status = "UPDATE_IN_PROGRESS";
    if (!GetArray(record, "Tags").empty()) stack.tags = GetArray(record, "Tags");
  }
  stack.template_body = body;
  stack.parameters = std::move(values);
  stack.no_echo = std::move(no_echo);
  stack.description = t->description;
  stack.capabilities = std::move(capabilities);
  stack.status_reason.clear();
  stack.change_set_id = GetString(record, "ChangeSetId");
  stack.access_key_id = ctx.access_key_id;
  // Executing a change set removes every change set of the stack, as on AWS.
  std::vector<store::Op> extra;
  ASSIGN_OR_FAIL(auto all, deps.store.List(model::keys::ChangeSetsPrefix(stack.name), "", 0), CloudFormationError);
  for (const auto& kv : all.items) extra.push_back(store::Op::Delete(kv.key));
  ASSIGN_OR_FAIL(bool done, CommitStack(deps, stack, found->revision, "User Initiated", std::move(extra)),
                 CloudFormationError);
  if (!done) return ValidationError("Stack [" + stack.name + "] is being changed by another request; retry.");
  deps.engine.Run(stack.name);
  return object{};
}

Outcome DeleteChangeSet(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "ChangeSetName");
  ASSIGN_OR_FAIL(auto cs, FindChangeSet(deps, name, GetString(in, "StackName")), CloudFormationError);
  if (!cs) return ChangeSetNotFound(name);
  store::Txn txn{{{cs->key, cs->revision}}, {store::Op::Delete(cs->key)}};
  ASSIGN_OR_FAIL(auto result, deps.store.Commit(txn), CloudFormationError);
  (void)result;  // lost to a concurrent delete or execute: gone either way
  return object{};
}

Outcome ListChangeSets(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string stack_name = GetString(in, "StackName");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, stack_name), CloudFormationError);
  if (!found) return StackNotFound(stack_name);
  ASSIGN_OR_FAIL(auto page, deps.store.List(model::keys::ChangeSetsPrefix(found->stack.name), "", 0),
                 CloudFormationError);
  json::array out;
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(auto r, ParseObject(kv.value), CloudFormationError);
    object item{{"StackId", GetString(r, "StackId")},
                {"StackName", GetString(r, "StackName")},
                {"ChangeSetId", GetString(r, "ChangeSetId")},
                {"ChangeSetName", GetString(r, "ChangeSetName")},
                {"ExecutionStatus", GetString(r, "ExecutionStatus")},
                {"Status", GetString(r, "Status")},
                {"CreationTime", r.contains("CreationTime") ? r.at("CreationTime") : json::value(0)}};
    if (Has(r, "StatusReason")) item["StatusReason"] = GetString(r, "StatusReason");
    if (Has(r, "Description")) item["Description"] = GetString(r, "Description");
    out.push_back(std::move(item));
  }
  return object{{"Summaries", std::move(out)}};
}

}  // namespace wharf::api::cloudformation
