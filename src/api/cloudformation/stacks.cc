#include <regex>
#include <set>

#include "api/cloudformation/handlers.h"
#include "cloudformation/parameters.h"

namespace wharf::api::cloudformation {


namespace {

// Items per page of DescribeStacks, ListStacks and ListExports (AWS's pages are up to 100).
constexpr size_t kPageSize = 100;

// Request members wharf does not carry out yet: refused rather than ignored.
std::optional<AwsError> Unsupported(const object& in, std::initializer_list<const char*> members) {
  for (const char* m : members) {
    if (!Has(in, m)) continue;
    const json::value& v = in.at(m);
    if ((v.is_array() && v.get_array().empty()) || (v.is_bool() && !v.get_bool())) continue;
    return ValidationError(std::string("wharf does not support ") + m + " yet");
  }
  return std::nullopt;
}

std::optional<AwsError> CheckStackName(const std::string& name) {
  static const std::regex pattern("[a-zA-Z][-a-zA-Z0-9]*");
  if (name.size() > 128 || !std::regex_match(name, pattern)) {
    return ValidationError("1 validation error detected: Value '" + name +
                           "' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*");
  }
  return std::nullopt;
}

std::vector<std::string> NoEcho(const cfn::Template& t) {
  std::vector<std::string> out;
  for (const auto& p : t.parameters) {
    if (p.no_echo) out.push_back(p.name);
  }
  return out;
}

std::vector<std::string> Capabilities(const object& in) {
  std::vector<std::string> out;
  for (const auto& c : GetArray(in, "Capabilities")) {
    if (c.is_string()) out.emplace_back(c.get_string());
  }
  return out;
}

json::array Transforms(const cfn::Template& t) {
  json::array out;
  for (const auto& name : t.transforms) out.push_back(json::string(name));
  return out;
}

// A template with a transform is expanded when CreateStack or UpdateStack takes it directly:
// AWS asks for CAPABILITY_AUTO_EXPAND (a change set shows the expansion instead).
std::optional<AwsError> MissingAutoExpand(const cfn::Template& t, const object& in) {
  if (t.transforms.empty()) return std::nullopt;
  for (const auto& c : GetArray(in, "Capabilities")) {
    if (c.is_string() && c.get_string() == "CAPABILITY_AUTO_EXPAND") return std::nullopt;
  }
  return AwsError::Client("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]");
}

// The template CreateStack or UpdateStack runs, refused when it needs capabilities (IAM,
// AUTO_EXPAND) the request does not acknowledge.
std::variant<cfn::Template, AwsError> ReadGrantedTemplate(const Deps& deps, const object& in, std::string* body) {
  auto read = ReadTemplate(deps, in, body);
  if (const auto* t = std::get_if<cfn::Template>(&read)) {
    if (auto err = MissingCapabilities(*t, in)) return *err;
    if (auto err = MissingAutoExpand(*t, in)) return *err;
  }
  return read;
}

bool Updatable(const std::string& status) {
  return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" || status == "UPDATE_ROLLBACK_COMPLETE";
}

// A parameter as ValidateTemplate's TemplateParameter shows it; GetTemplateSummary's
// ParameterDeclaration adds its type and constraints.
object ShowParameter(const cfn::ParameterDefinition& p) {
  object item{{"ParameterKey", p.name}, {"NoEcho", p.no_echo}};
  if (p.default_value) item["DefaultValue"] = *p.default_value;
  if (!p.description.empty()) item["Description"] = p.description;
  return item;
}

// What ValidateTemplate and GetTemplateSummary both say of a template: its Description and
// DeclaredTransforms, and the Capabilities it needs (with why) when it makes IAM resources.
void AddTemplateFacts(const cfn::Template& t, object& out) {
  out["DeclaredTransforms"] = Transforms(t);
  if (!t.description.empty()) out["Description"] = t.description;
  object none;
  if (auto missing = MissingCapabilities(t, none)) {
    bool named = missing->message.find("NAMED") != std::string::npos;
    out["Capabilities"] = json::array{named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM"};
    out["CapabilitiesReason"] = "The following resource(s) require capabilities: [AWS::IAM::Role]";
  }
}

}  // namespace

Result<model::Stack> PlanUpdate(const Deps& deps, const model::Stack& current, const cfn::Template& t,
                                const std::string& body, const object& in) {
  ASSIGN_OR_RETURN(auto values, cfn::ResolveParameterValues(t, ParameterInputs(in), current.parameters));
  model::Stack next = current;
  next.previous_template_body = current.template_body;
  next.previous_parameters = current.parameters;
  next.template_body = body;
  next.parameters = std::move(values);
  next.no_echo = NoEcho(t);
  next.description = t.description;
  next.capabilities = Capabilities(in);
  if (Has(in, "Tags")) next.tags = GetArray(in, "Tags");
  next.access_key_id = current.access_key_id;
  return next;
}

Outcome CreateStack(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "StackName");
  if (auto err = CheckStackName(name)) return *err;
  if (auto err = Unsupported(in, {"NotificationARNs", "RoleARN", "RollbackConfiguration", "ResourceTypes",
                                  "TimeoutInMinutes", "RetainExceptOnCreate"})) {
    return *err;
  }
  if (auto err = CheckStackPolicy(in, "StackPolicyBody", "StackPolicyURL")) return *err;
  std::string on_failure = GetString(in, "OnFailure", "ROLLBACK");
  if (on_failure == "DELETE") return ValidationError("wharf does not support OnFailure DELETE yet");
  std::string body;
  auto read = ReadGrantedTemplate(deps, in, &body);
  if (auto* err = std::get_if<AwsError>(&read)) return *err;
  const cfn::Template& t = std::get<cfn::Template>(read);
  auto values = cfn::ResolveParameterValues(t, ParameterInputs(in), {});
  if (!values.ok()) return ValidationError(values.status().message());

  model::Stack stack;
  stack.name = name;
  stack.stack_id = NewStackId(deps, name);
  stack.status = "CREATE_IN_PROGRESS";
  stack.description = t.description;
  stack.template_body = body;
  stack.parameters = std::move(*values);
  stack.no_echo = NoEcho(t);
  stack.tags = GetArray(in, "Tags");
  stack.capabilities = Capabilities(in);
  stack.disable_rollback = GetBool(in, "DisableRollback").value_or(false) || on_failure == "DO_NOTHING";
  stack.termination_protection = GetBool(in, "EnableTerminationProtection").value_or(false);
  stack.stack_policy = GetString(in, "StackPolicyBody");
  stack.created = Now(deps);
  stack.access_key_id = ctx.access_key_id;
  ASSIGN_OR_FAIL(bool made, CommitStack(deps, stack, 0, "User Initiated"), CloudFormationError);
  if (!made) return AwsError::Client("AlreadyExistsException", "Stack [" + name + "] already exists");
  deps.engine.Run(name);
  return object{{"StackId", stack.stack_id}};
}

Outcome UpdateStack(const Deps& deps, const RequestContext& ctx, object& in) {
  if (auto err = Unsupported(in, {"NotificationARNs", "RoleARN", "RollbackConfiguration", "ResourceTypes",
                                  "DisableRollback", "RetainExceptOnCreate"})) {
    return *err;
  }
  if (auto err = CheckStackPolicy(in, "StackPolicyBody", "StackPolicyURL")) return *err;
  if (auto err = CheckStackPolicy(in, "StackPolicyDuringUpdateBody", "StackPolicyDuringUpdateURL")) return *err;
  std::string name = GetString(in, "StackName");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
  if (!found || found->deleted) return StackNotFound(name);
  const model::Stack& current = found->stack;
  if (!Updatable(current.status)) {
    return ValidationError("Stack:" + current.stack_id + " is in " + current.status + " state and can not be updated.");
  }
  if (GetBool(in, "UsePreviousTemplate").value_or(false)) {
    if (Has(in, "TemplateBody")) return ValidationError("You cannot specify both usePreviousTemplate and Template Body");
    in["TemplateBody"] = current.template_body;
  }
  std::string body;
  auto read = ReadGrantedTemplate(deps, in, &body);
  if (auto* err = std::get_if<AwsError>(&read)) return *err;
  const cfn::Template& t = std::get<cfn::Template>(read);
  auto next = PlanUpdate(deps, current, t, body, in);
  if (!next.ok()) return ValidationError(next.status().message());
  if (next->template_body == current.template_body && next->parameters == current.parameters &&
      next->tags == current.tags) {
    return ValidationError("No updates are to be performed.");
  }
  next->status = "UPDATE_IN_PROGRESS";
  next->status_reason.clear();
  next->change_set_id.clear();
  // A new stack policy holds from this update on; one for the update alone overrides it meanwhile.
  if (Has(in, "StackPolicyBody")) next->stack_policy = GetString(in, "StackPolicyBody");
  next->update_policy = GetString(in, "StackPolicyDuringUpdateBody");
  next->access_key_id = ctx.access_key_id;
  ASSIGN_OR_FAIL(bool done, CommitStack(deps, *next, found->revision, "User Initiated"), CloudFormationError);
  if (!done) return ValidationError("Stack:" + current.stack_id + " is being changed by another request; retry.");
  deps.engine.Run(current.name);
  return object{{"StackId", current.stack_id}};
}

Outcome DeleteStack(const Deps& deps, const RequestContext& ctx, object& in) {
  if (auto err = Unsupported(in, {"RoleARN", "DeletionMode"})) return *err;
  std::string name = GetString(in, "StackName");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
  // Deleting a stack that does not exist (or no longer does) succeeds, as on AWS.
  if (!found || found->deleted || found->stack.status == "DELETE_IN_PROGRESS") return object{};
  model::Stack stack = found->stack;
  if (stack.termination_protection) {
    return ValidationError("Stack [" + stack.name + "] cannot be deleted while TerminationProtection is enabled");
  }
  if (stack.in_progress()) {
    return ValidationError("Stack [" + stack.name + "] cannot be deleted while in status " + stack.status);
  }
  // An export another stack imports holds its stack (AWS fails the delete in the same words).
  ASSIGN_OR_FAIL(auto others, AllStacks(deps, false), CloudFormationError);
  for (const auto& o : stack.outputs) {
    if (o.export_name.empty()) continue;
    for (const auto& other : others) {
      if (other.name == stack.name) continue;
      if (std::find(other.imports.begin(), other.imports.end(), o.export_name) != other.imports.end()) {
        return ValidationError("Export " + o.export_name + " cannot be deleted as it is in use by " + other.name);
      }
    }
  }
  if (Has(in, "RetainResources")) {
    if (stack.status != "DELETE_FAILED") {
      return ValidationError("Invalid operation on stack " + stack.stack_id +
                             ". RetainResources can only be specified when the stack is in the DELETE_FAILED state");
    }
    for (const auto& id : GetArray(in, "RetainResources")) {
      if (!id.is_string()) continue;
      if (auto* r = stack.FindResource(id.get_string())) r->deletion_policy = "Retain";
    }
  }
  stack.status = "DELETE_IN_PROGRESS";
  stack.status_reason.clear();
  std::vector<store::Op> extra;
  ASSIGN_OR_FAIL(auto change_sets, deps.store.List(model::keys::ChangeSetsPrefix(stack.name), "", 0),
                 CloudFormationError);
  for (const auto& kv : change_sets.items) extra.push_back(store::Op::Delete(kv.key));
  ASSIGN_OR_FAIL(bool done, CommitStack(deps, stack, found->revision, "User Initiated", std::move(extra)),
                 CloudFormationError);
  if (!done) return ValidationError("Stack [" + stack.name + "] is being changed by another request; retry.");
  deps.engine.Run(stack.name);
  return object{};
}

Outcome DescribeStacks(const Deps& deps, const RequestContext& ctx, object& in) {
  json::array stacks;
  if (Has(in, "StackName")) {
    std::string name = GetString(in, "StackName");
    ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
    if (!found) return StackNotFound(name);
    stacks.push_back(DescribeStack(found->stack));
    return object{{"Stacks", std::move(stacks)}};
  }
  ASSIGN_OR_FAIL(auto all, AllStacks(deps, false), CloudFormationError);
  for (const auto& s : all) stacks.push_back(DescribeStack(s));
  object out;
  if (auto err = Page(in, std::move(stacks), kPageSize, "Stacks", out)) return *err;
  return out;
}

Outcome ListStacks(const Deps& deps, const RequestContext& ctx, object& in) {
  std::set<std::string> filter;
  for (const auto& s : GetArray(in, "StackStatusFilter")) {
    if (s.is_string()) filter.insert(std::string(s.get_string()));
  }
  ASSIGN_OR_FAIL(auto all, AllStacks(deps, true), CloudFormationError);
  json::array summaries;
  for (const auto& s : all) {
    if (!filter.empty() && !filter.contains(s.status)) continue;
    object item{{"StackId", s.stack_id},
                {"StackName", s.name},
                {"CreationTime", s.created},
                {"StackStatus", s.status},
                {"DriftInformation", object{{"StackDriftStatus", "NOT_CHECKED"}}}};
    if (!s.description.empty()) item["TemplateDescription"] = s.description;
    if (!s.status_reason.empty()) item["StackStatusReason"] = s.status_reason;
    if (s.updated > 0) item["LastUpdatedTime"] = s.updated;
    if (s.deleted > 0) item["DeletionTime"] = s.deleted;
    summaries.push_back(std::move(item));
  }
  object out;
  if (auto err = Page(in, std::move(summaries), kPageSize, "StackSummaries", out)) return *err;
  return out;
}

Outcome GetTemplate(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "StackName");
  if (name.empty()) return ValidationError("StackName must be specified");
  ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
  if (!found) return StackNotFound(name);
  std::string body = found->stack.template_body;
  if (Has(in, "ChangeSetName")) {
    ASSIGN_OR_FAIL(auto kv, deps.store.Get(model::keys::ChangeSetKey(found->stack.name, GetString(in, "ChangeSetName"))),
                   CloudFormationError);
    if (!kv) return AwsError{"ChangeSetNotFound", "ChangeSet [" + GetString(in, "ChangeSetName") + "] does not exist", 404};
    ASSIGN_OR_FAIL(auto record, ParseObject(kv->value), CloudFormationError);
    body = GetString(record, "TemplateBody");
  }
  return object{{"TemplateBody", body}, {"StagesAvailable", json::array{"Original", "Processed"}}};
}

Outcome ValidateTemplate(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string body;
  auto read = ReadTemplate(deps, in, &body);
  if (auto* err = std::get_if<AwsError>(&read)) return *err;
  const cfn::Template& t = std::get<cfn::Template>(read);
  json::array parameters;
  for (const auto& p : t.parameters) parameters.push_back(ShowParameter(p));
  object out{{"Parameters", std::move(parameters)}};
  AddTemplateFacts(t, out);
  return out;
}

// What `aws cloudformation deploy` reads of a stack's template before it makes a change set
// (which parameters to pass as UsePreviousValue).
Outcome GetTemplateSummary(const Deps& deps, const RequestContext& ctx, object& in) {
  if (Has(in, "StackSetName")) return ValidationError("wharf does not serve StackSets yet");
  if (Has(in, "StackName")) {
    std::string name = GetString(in, "StackName");
    ASSIGN_OR_FAIL(auto found, FindStack(deps, name), CloudFormationError);
    if (!found) return StackNotFound(name);
    in["TemplateBody"] = found->stack.template_body;
  }
  std::string body;
  auto read = ReadTemplate(deps, in, &body);
  if (auto* err = std::get_if<AwsError>(&read)) return *err;
  const cfn::Template& t = std::get<cfn::Template>(read);
  json::array parameters;
  for (const auto& p : t.parameters) {
    object item = ShowParameter(p);
    item["ParameterType"] = p.type;
    json::array allowed;
    for (const auto& v : p.allowed_values) allowed.push_back(json::string(v));
    item["ParameterConstraints"] = object{{"AllowedValues", std::move(allowed)}};
    parameters.push_back(std::move(item));
  }
  std::set<std::string> types;
  for (const auto& r : t.resources) types.insert(r.type);
  json::array resource_types;
  for (const auto& type : types) resource_types.push_back(json::string(type));
  object out{{"Parameters", std::move(parameters)},
             {"ResourceTypes", std::move(resource_types)},
             {"Version", "2010-09-09"}};
  AddTemplateFacts(t, out);
  return out;
}

Outcome ListExports(const Deps& deps, const RequestContext& ctx, object& in) {
  ASSIGN_OR_FAIL(auto all, AllStacks(deps, false), CloudFormationError);
  json::array exports;
  for (const auto& s : all) {
    for (const auto& o : s.outputs) {
      if (o.export_name.empty()) continue;
      exports.push_back(object{{"ExportingStackId", s.stack_id}, {"Name", o.export_name}, {"Value", o.value}});
    }
  }
  object out;
  if (auto err = Page(in, std::move(exports), kPageSize, "Exports", out)) return *err;
  return out;
}

}  // namespace wharf::api::cloudformation
