#include "api/cloudformation/common.h"

#include <set>

#include "base/crypto.h"
#include "base/random.h"
#include "cloudformation/stack_policy.h"

namespace wharf::api::cloudformation {
namespace {

constexpr std::string_view kStackArnMarker = ":stack/";

}  // namespace

AwsError ValidationError(std::string message) { return AwsError::Client("ValidationError", std::move(message)); }

AwsError StackNotFound(std::string_view name_or_id) {
  return ValidationError("Stack with id " + std::string(name_or_id) + " does not exist");
}

AwsError CloudFormationError(const Status& status) {
  if (status.IsInvalidArgument() || status.IsNotFound() || status.IsFailedPrecondition()) {
    return ValidationError(status.message());
  }
  if (status.IsAlreadyExists()) return AwsError::Client("AlreadyExistsException", status.message());
  return AwsError::Server("InternalFailure", status.message());
}

double Now(const Deps& deps) { return EpochSeconds(deps.clock.Now()); }

std::string NewStackId(const Deps& deps, const std::string& name) {
  return "arn:aws:cloudformation:" + deps.region + ":" + deps.account_id + ":stack/" + name + "/" +
         RandomUuid(deps.random);
}

Result<std::optional<StoredStack>> FindStack(const Deps& deps, std::string_view name_or_id) {
  std::string name(name_or_id);
  std::string uuid;
  if (size_t at = name.find(kStackArnMarker); name.starts_with("arn:") && at != std::string::npos) {
    std::string rest = name.substr(at + kStackArnMarker.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return std::optional<StoredStack>();
    name = rest.substr(0, slash);
    uuid = rest.substr(slash + 1);
  }
  ASSIGN_OR_RETURN(auto kv, deps.store.Get(model::keys::StackKey(name)));
  if (kv) {
    ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
    ASSIGN_OR_RETURN(auto stack, model::Stack::FromJson(record));
    if (uuid.empty() || stack.uuid() == uuid) return std::optional<StoredStack>(StoredStack{std::move(stack), kv->mod_revision, false});
  }
  if (uuid.empty()) return std::optional<StoredStack>();
  ASSIGN_OR_RETURN(auto gone, deps.store.Get(model::keys::DeletedStackKey(uuid)));
  if (!gone) return std::optional<StoredStack>();
  ASSIGN_OR_RETURN(auto record, ParseObject(gone->value));
  ASSIGN_OR_RETURN(auto stack, model::Stack::FromJson(record));
  return std::optional<StoredStack>(StoredStack{std::move(stack), gone->mod_revision, true});
}

ResourceTags ResourceTagsOf(const Deps& deps, std::string_view arn) {
  size_t at = arn.find(kStackArnMarker);
  if (!arn.starts_with("arn:") || at == std::string_view::npos) return {};
  std::string_view name_or_id = arn;
  if (arn.ends_with("/*")) {  // the stack of that name, whatever its id
    name_or_id = arn.substr(at + kStackArnMarker.size());
    name_or_id = name_or_id.substr(0, name_or_id.find('/'));
  }
  if (name_or_id.empty() || name_or_id.find('*') != std::string_view::npos) return {};
  auto found = FindStack(deps, name_or_id);
  if (!found.ok() || !*found) return {};
  return TagPairs((*found)->stack.tags, "Key", "Value");
}

Result<std::vector<model::Stack>> AllStacks(const Deps& deps, bool with_deleted) {
  std::vector<model::Stack> out;
  for (std::string_view prefix : {model::keys::kStacks, model::keys::kDeletedStacks}) {
    if (prefix == model::keys::kDeletedStacks && !with_deleted) break;
    ASSIGN_OR_RETURN(auto page, deps.store.List(prefix, "", 0));
    for (const auto& kv : page.items) {
      ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
      ASSIGN_OR_RETURN(auto stack, model::Stack::FromJson(record));
      out.push_back(std::move(stack));
    }
  }
  return out;
}

json::array ParameterList(const model::Stack& stack) {
  json::array out;
  for (const auto& [key, value] : stack.parameters) {
    bool hidden = std::find(stack.no_echo.begin(), stack.no_echo.end(), key) != stack.no_echo.end();
    out.push_back(json::object{{"ParameterKey", key}, {"ParameterValue", hidden ? "****" : value}});
  }
  return out;
}

json::object DescribeStack(const model::Stack& s) {
  json::object out{{"StackId", s.stack_id},
                   {"StackName", s.name},
                   {"Parameters", ParameterList(s)},
                   {"CreationTime", s.created},
                   {"StackStatus", s.status},
                   {"DisableRollback", s.disable_rollback},
                   {"NotificationARNs", json::array()},
                   {"Tags", s.tags},
                   {"EnableTerminationProtection", s.termination_protection},
                   {"DriftInformation", json::object{{"StackDriftStatus", "NOT_CHECKED"}}}};
  if (!s.description.empty()) out["Description"] = s.description;
  if (!s.status_reason.empty()) out["StackStatusReason"] = s.status_reason;
  if (s.updated > 0) out["LastUpdatedTime"] = s.updated;
  if (s.deleted > 0) out["DeletionTime"] = s.deleted;
  if (!s.change_set_id.empty()) out["ChangeSetId"] = s.change_set_id;
  json::array capabilities;
  for (const auto& c : s.capabilities) capabilities.push_back(json::string(c));
  if (!capabilities.empty()) out["Capabilities"] = std::move(capabilities);
  json::array outputs;
  for (const auto& o : s.outputs) {
    json::object item{{"OutputKey", o.key}, {"OutputValue", o.value}};
    if (!o.description.empty()) item["Description"] = o.description;
    if (!o.export_name.empty()) item["ExportName"] = o.export_name;
    outputs.push_back(std::move(item));
  }
  if (!outputs.empty()) out["Outputs"] = std::move(outputs);
  return out;
}

json::object DescribeResource(const model::Stack& stack, const model::StackResource& r) {
  json::object out{{"StackName", stack.name},
                   {"StackId", stack.stack_id},
                   {"LogicalResourceId", r.logical_id},
                   {"ResourceType", r.type},
                   {"Timestamp", r.updated},
                   {"ResourceStatus", r.status},
                   {"DriftInformation", json::object{{"StackResourceDriftStatus", "NOT_CHECKED"}}}};
  if (!r.physical_id.empty()) out["PhysicalResourceId"] = r.physical_id;
  if (!r.status_reason.empty()) out["ResourceStatusReason"] = r.status_reason;
  return out;
}

std::variant<cfn::Template, AwsError> ReadTemplate(const Deps& deps, const json::object& in, std::string* body) {
  if (Has(in, "TemplateURL")) {
    return ValidationError("wharf does not serve S3 yet: give the template as TemplateBody");
  }
  if (!Has(in, "TemplateBody")) return ValidationError("Either Template URL or Template Body must be specified.");
  *body = GetString(in, "TemplateBody");
  cfn::Scope pseudo = deps.engine.PseudoParameters(GetString(in, "StackName"), "");
  auto t = cfn::ParseTemplate(*body, nullptr, &pseudo);
  if (!t.ok()) return ValidationError(t.status().message());
  return std::move(*t);
}

std::optional<AwsError> MissingCapabilities(const cfn::Template& t, const json::object& in) {
  bool iam = false, named = false;
  for (const auto& r : t.resources) {
    if (!r.type.starts_with("AWS::IAM::")) continue;
    iam = true;
    for (const char* name : {"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"}) {
      named = named || r.properties.contains(name);
    }
  }
  std::set<std::string> given;
  for (const auto& c : GetArray(in, "Capabilities")) {
    if (c.is_string()) given.insert(std::string(c.get_string()));
  }
  if (named && !given.contains("CAPABILITY_NAMED_IAM")) {
    return AwsError::Client("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]");
  }
  if (iam && !given.contains("CAPABILITY_IAM") && !given.contains("CAPABILITY_NAMED_IAM")) {
    return AwsError::Client("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]");
  }
  return std::nullopt;
}

std::vector<cfn::ParameterInput> ParameterInputs(const json::object& in) {
  std::vector<cfn::ParameterInput> out;
  for (const auto& p : GetArray(in, "Parameters")) {
    if (!p.is_object()) continue;
    const auto& o = p.get_object();
    out.push_back({GetString(o, "ParameterKey"), GetString(o, "ParameterValue"),
                   GetBool(o, "UsePreviousValue").value_or(false)});
  }
  return out;
}

Result<bool> CommitStack(const Deps& deps, const model::Stack& stack, int64_t revision, std::string_view reason,
                         std::vector<store::Op> extra) {
  json::object event{{"StackId", stack.stack_id},
                     {"EventId", RandomUuid(deps.random)},
                     {"StackName", stack.name},
                     {"LogicalResourceId", stack.name},
                     {"PhysicalResourceId", stack.stack_id},
                     {"ResourceType", "AWS::CloudFormation::Stack"},
                     {"Timestamp", Now(deps)},
                     {"ResourceStatus", stack.status}};
  if (!reason.empty()) event["ResourceStatusReason"] = reason;
  model::Stack next = stack;
  int64_t sequence = next.events++;
  store::Txn txn;
  std::string key = model::keys::StackKey(stack.name);
  txn.compares.push_back({key, revision});
  txn.ops.push_back(store::Op::Put(key, Serialize(next.ToJson())));
  txn.ops.push_back(store::Op::Put(model::keys::StackEventKey(stack.uuid(), sequence), Serialize(event)));
  for (auto& op : extra) txn.ops.push_back(std::move(op));
  ASSIGN_OR_RETURN(auto result, deps.store.Commit(txn));
  return result.succeeded;
}

Result<bool> PutStack(const Deps& deps, const model::Stack& stack, int64_t revision) {
  store::Txn txn;
  std::string key = model::keys::StackKey(stack.name);
  txn.compares.push_back({key, revision});
  txn.ops.push_back(store::Op::Put(key, Serialize(stack.ToJson())));
  ASSIGN_OR_RETURN(auto result, deps.store.Commit(txn));
  return result.succeeded;
}

std::string PageToken(size_t next) { return Base64Encode("cloudformation:" + std::to_string(next)); }

std::optional<size_t> PageOffset(const json::object& in) {
  if (!Has(in, "NextToken")) return 0;
  constexpr std::string_view kPrefix = "cloudformation:";
  auto token = Base64Decode(GetString(in, "NextToken"));
  if (!token || !token->starts_with(kPrefix) || token->size() == kPrefix.size() || token->size() > kPrefix.size() + 9 ||
      token->find_first_not_of("0123456789", kPrefix.size()) != std::string::npos) {
    return std::nullopt;
  }
  return std::stoul(token->substr(kPrefix.size()));
}

AwsError InvalidNextToken() { return ValidationError("Invalid NextToken"); }

std::optional<AwsError> Page(const json::object& in, json::array items, size_t page, std::string_view member,
                             json::object& out) {
  auto offset = PageOffset(in);
  if (!offset || *offset > items.size()) return InvalidNextToken();
  size_t end = std::min(items.size(), *offset + page);
  json::array chosen;
  for (size_t i = *offset; i < end; ++i) chosen.push_back(std::move(items[i]));
  out[member] = std::move(chosen);
  if (end < items.size()) out["NextToken"] = PageToken(end);
  return std::nullopt;
}

std::optional<AwsError> CheckStackPolicy(const json::object& in, std::string_view body_member, std::string_view url_member) {
  if (Has(in, url_member)) {
    return ValidationError("wharf does not serve S3 yet: give the stack policy as " + std::string(body_member));
  }
  if (!Has(in, body_member)) return std::nullopt;
  auto policy = cfn::StackPolicy::Parse(GetString(in, body_member));
  if (!policy.ok()) return ValidationError(policy.status().message());
  return std::nullopt;
}

}  // namespace wharf::api::cloudformation
