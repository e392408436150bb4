// IAM beyond roles, as the AWS resource reference documents them:
//   AWS::IAM::Policy           an inline policy put on roles, users and groups. Ref: its
//                              physical id; GetAtt Id
//   AWS::IAM::ManagedPolicy    Ref: the policy ARN; GetAtt PolicyArn, PolicyId, DefaultVersionId,
//                              AttachmentCount, IsAttachable, Path. A new document is a new
//                              default version (the oldest other one dropped at five)
//   AWS::IAM::InstanceProfile  Ref: its name; GetAtt Arn
//   AWS::IAM::User             Ref: its name; GetAtt Arn. Inline Policies, ManagedPolicyArns,
//                              Groups and LoginProfile applied after CreateUser, removed before
//                              DeleteUser
//   AWS::IAM::AccessKey        Ref: the access key id; GetAtt SecretAccessKey. Status changes
//                              in place
#include <set>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

std::set<std::string> StringSet(const json::object& p, std::string_view name) {
  std::set<std::string> out;
  for (const auto& v : GetArray(p, name)) {
    if (v.is_string()) out.insert(std::string(v.get_string()));
  }
  return out;
}

const std::initializer_list<std::string_view> kGone = {"NoSuchEntity"};

// ---- Policy (inline, on several holders) ----

struct Holder {
  const char* list;       // the property naming them
  const char* member;     // the request member naming one
  const char* put;        // Put<Holder>Policy
  const char* remove;     // Delete<Holder>Policy
  const char* attach;     // Attach<Holder>Policy
  const char* detach;     // Detach<Holder>Policy
};
constexpr Holder kHolders[] = {
    {"Roles", "RoleName", "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy"},
    {"Users", "UserName", "PutUserPolicy", "DeleteUserPolicy", "AttachUserPolicy", "DetachUserPolicy"},
    {"Groups", "GroupName", "PutGroupPolicy", "DeleteGroupPolicy", "AttachGroupPolicy", "DetachGroupPolicy"},
};

Status PutPolicy(const Caller& c, const json::object& p) {
  for (const Holder& h : kHolders) {
    for (const auto& name : StringSet(p, h.list)) {
      RETURN_IF_ERROR(c.Call("iam", h.put,
                             {{h.member, name},
                              {"PolicyName", GetString(p, "PolicyName")},
                              {"PolicyDocument", p.contains("PolicyDocument") ? PolicyText(p.at("PolicyDocument")) : "{}"}})
                          .status());
    }
  }
  return Status::OK();
}

// Removes the policy of `before` from the holders `after` no longer puts it on (all of them
// when `after` is null or names another policy).
Status RemovePolicy(const Caller& c, const json::object& before, const json::object* after) {
  bool renamed = !after || GetString(*after, "PolicyName") != GetString(before, "PolicyName");
  for (const Holder& h : kHolders) {
    std::set<std::string> kept = renamed ? std::set<std::string>() : StringSet(*after, h.list);
    for (const auto& name : StringSet(before, h.list)) {
      if (kept.contains(name)) continue;
      RETURN_IF_ERROR(OkOr(c.Try("iam", h.remove, {{h.member, name}, {"PolicyName", GetString(before, "PolicyName")}}), kGone));
    }
  }
  return Status::OK();
}

Result<ProvisionedResource> CreatePolicy(const Caller& c, std::string_view id, const json::object& p) {
  if (GetString(p, "PolicyName").empty() || !p.contains("PolicyDocument")) {
    return Status::InvalidArgument("Properties validation failed: #: required key [PolicyName] and [PolicyDocument] not found");
  }
  if (StringSet(p, "Roles").empty() && StringSet(p, "Users").empty() && StringSet(p, "Groups").empty()) {
    return Status::InvalidArgument("At least one of [Groups,Roles,Users] must be non-empty.");
  }
  std::string physical = c.PhysicalName(id, 64);
  c.Record(physical);
  RETURN_IF_ERROR(PutPolicy(c, p));
  return Made(physical, {{"Id", physical}});
}

Result<ProvisionedResource> UpdatePolicy(const Caller& c, const model::StackResource& r, const json::object& p) {
  RETURN_IF_ERROR(PutPolicy(c, p));
  RETURN_IF_ERROR(RemovePolicy(c, r.properties, &p));
  return Made(r.physical_id, {{"Id", r.physical_id}});
}

Status DeletePolicy(const Caller& c, const model::StackResource& r) { return RemovePolicy(c, r.properties, nullptr); }

// ---- ManagedPolicy ----

Result<ProvisionedResource> ManagedPolicyMade(const Caller& c, const std::string& arn) {
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "GetPolicy", {{"PolicyArn", arn}}));
  const auto& policy = GetObject(out, "Policy");
  json::object attributes{{"PolicyArn", arn},
                          {"PolicyId", GetString(policy, "PolicyId")},
                          {"DefaultVersionId", GetString(policy, "DefaultVersionId")},
                          {"Path", GetString(policy, "Path")},
                          {"IsAttachable", GetBool(policy, "IsAttachable").value_or(true)},
                          {"AttachmentCount", GetInt(policy, "AttachmentCount").value_or(0)}};
  for (const char* date : {"CreateDate", "UpdateDate"}) {
    if (policy.contains(date)) attributes[date] = policy.at(date);
  }
  return Made(arn, std::move(attributes));
}

// Attaches to the holders `after` names that `before` did not, detaches the others.
Status Reattach(const Caller& c, const std::string& arn, const json::object& before, const json::object& after) {
  for (const Holder& h : kHolders) {
    std::set<std::string> old_names = StringSet(before, h.list), new_names = StringSet(after, h.list);
    for (const auto& name : new_names) {
      if (!old_names.contains(name)) RETURN_IF_ERROR(c.Call("iam", h.attach, {{h.member, name}, {"PolicyArn", arn}}).status());
    }
    for (const auto& name : old_names) {
      if (!new_names.contains(name)) RETURN_IF_ERROR(OkOr(c.Try("iam", h.detach, {{h.member, name}, {"PolicyArn", arn}}), kGone));
    }
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateManagedPolicy(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "ManagedPolicyName");
  if (name.empty()) name = c.PhysicalName(id, 128);
  json::object in{{"PolicyName", name},
                  {"PolicyDocument", p.contains("PolicyDocument") ? PolicyText(p.at("PolicyDocument")) : ""}};
  for (const char* member : {"Path", "Description"}) {
    if (p.contains(member)) in[member] = p.at(member);
  }
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("iam", "CreatePolicy"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "CreatePolicy", std::move(input.get_object())));
  std::string arn = GetString(GetObject(out, "Policy"), "Arn");
  c.Record(arn);
  RETURN_IF_ERROR(Reattach(c, arn, {}, p));
  return ManagedPolicyMade(c, arn);
}

Result<ProvisionedResource> UpdateManagedPolicy(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"ManagedPolicyName", "Path", "Description"})) {
    return controlplane::ReplacementNeeded("ManagedPolicyName, Path or Description changed");
  }
  const std::string& arn = r.physical_id;
  if (AnyChanged(Changed(r.properties, p), {"PolicyDocument"})) {
    // A policy keeps five versions: the oldest that is not the default makes room.
    ASSIGN_OR_RETURN(auto versions, c.Call("iam", "ListPolicyVersions", {{"PolicyArn", arn}}));
    const auto& list = GetArray(versions, "Versions");
    if (list.size() >= 5) {
      std::string oldest;
      for (const auto& v : list) {
        if (v.is_object() && !GetBool(v.get_object(), "IsDefaultVersion").value_or(false)) {
          oldest = GetString(v.get_object(), "VersionId");
        }
      }
      RETURN_IF_ERROR(c.Call("iam", "DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", oldest}}).status());
    }
    RETURN_IF_ERROR(c.Call("iam", "CreatePolicyVersion",
                           {{"PolicyArn", arn}, {"PolicyDocument", PolicyText(p.at("PolicyDocument"))}, {"SetAsDefault", true}})
                        .status());
  }
  RETURN_IF_ERROR(Reattach(c, arn, r.properties, p));
  return ManagedPolicyMade(c, arn);
}

Status DeleteManagedPolicy(const Caller& c, const model::StackResource& r) {
  const std::string& arn = r.physical_id;
  Outcome entities = c.Try("iam", "ListEntitiesForPolicy", {{"PolicyArn", arn}});
  if (!entities.ok()) return OkOr(entities, kGone);
  const std::pair<const char*, const Holder*> lists[] = {
      {"PolicyRoles", &kHolders[0]}, {"PolicyUsers", &kHolders[1]}, {"PolicyGroups", &kHolders[2]}};
  for (const auto& [list, h] : lists) {
    for (const auto& e : GetArray(entities.output(), list)) {
      if (!e.is_object()) continue;
      RETURN_IF_ERROR(OkOr(c.Try("iam", h->detach, {{h->member, GetString(e.get_object(), h->member)}, {"PolicyArn", arn}}), kGone));
    }
  }
  ASSIGN_OR_RETURN(auto versions, c.Call("iam", "ListPolicyVersions", {{"PolicyArn", arn}}));
  for (const auto& v : GetArray(versions, "Versions")) {
    if (!v.is_object() || GetBool(v.get_object(), "IsDefaultVersion").value_or(false)) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", GetString(v.get_object(), "VersionId")}}), kGone));
  }
  return OkOr(c.Try("iam", "DeletePolicy", {{"PolicyArn", arn}}), kGone);
}

// ---- InstanceProfile ----

Result<ProvisionedResource> CreateInstanceProfile(const Caller& c, std::string_view id, const json::object& p) {
  auto roles = StringSet(p, "Roles");
  if (roles.size() > 1) return Status::InvalidArgument("Roles has more than one role: an instance profile holds one");
  std::string name = GetString(p, "InstanceProfileName");
  if (name.empty()) name = c.PhysicalName(id, 128);
  json::object in{{"InstanceProfileName", name}};
  if (p.contains("Path")) in["Path"] = p.at("Path");
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "CreateInstanceProfile", std::move(in)));
  c.Record(name);
  for (const auto& role : roles) {
    RETURN_IF_ERROR(c.Call("iam", "AddRoleToInstanceProfile", {{"InstanceProfileName", name}, {"RoleName", role}}).status());
  }
  return Made(name, {{"Arn", GetString(GetObject(out, "InstanceProfile"), "Arn")}});
}

Result<ProvisionedResource> UpdateInstanceProfile(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"InstanceProfileName", "Path"})) {
    return controlplane::ReplacementNeeded("InstanceProfileName or Path changed");
  }
  auto before = StringSet(r.properties, "Roles"), after = StringSet(p, "Roles");
  if (after.size() > 1) return Status::InvalidArgument("Roles has more than one role: an instance profile holds one");
  for (const auto& role : before) {
    if (after.contains(role)) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "RemoveRoleFromInstanceProfile", {{"InstanceProfileName", r.physical_id}, {"RoleName", role}}), kGone));
  }
  for (const auto& role : after) {
    if (before.contains(role)) continue;
    RETURN_IF_ERROR(c.Call("iam", "AddRoleToInstanceProfile", {{"InstanceProfileName", r.physical_id}, {"RoleName", role}}).status());
  }
  return Made(r.physical_id, r.attributes);
}

Status DeleteInstanceProfile(const Caller& c, const model::StackResource& r) {
  Outcome out = c.Try("iam", "GetInstanceProfile", {{"InstanceProfileName", r.physical_id}});
  if (!out.ok()) return OkOr(out, kGone);
  for (const auto& role : GetArray(GetObject(out.output(), "InstanceProfile"), "Roles")) {
    if (!role.is_object()) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "RemoveRoleFromInstanceProfile",
                               {{"InstanceProfileName", r.physical_id}, {"RoleName", GetString(role.get_object(), "RoleName")}}),
                         kGone));
  }
  return OkOr(c.Try("iam", "DeleteInstanceProfile", {{"InstanceProfileName", r.physical_id}}), kGone);
}

// ---- User ----

Status ApplyUserExtras(const Caller& c, const std::string& name, const json::object& p) {
  for (const auto& policy : GetArray(p, "Policies")) {
    if (!policy.is_object()) continue;
    const auto& o = policy.get_object();
    RETURN_IF_ERROR(c.Call("iam", "PutUserPolicy",
                           {{"UserName", name},
                            {"PolicyName", GetString(o, "PolicyName")},
                            {"PolicyDocument", o.contains("PolicyDocument") ? PolicyText(o.at("PolicyDocument")) : "{}"}})
                        .status());
  }
  for (const auto& arn : StringSet(p, "ManagedPolicyArns")) {
    RETURN_IF_ERROR(c.Call("iam", "AttachUserPolicy", {{"UserName", name}, {"PolicyArn", arn}}).status());
  }
  for (const auto& group : StringSet(p, "Groups")) {
    RETURN_IF_ERROR(c.Call("iam", "AddUserToGroup", {{"UserName", name}, {"GroupName", group}}).status());
  }
  if (const auto* login = p.if_contains("LoginProfile"); login && login->is_object()) {
    json::object in{{"UserName", name}, {"Password", GetString(login->get_object(), "Password")}};
    if (login->get_object().contains("PasswordResetRequired")) {
      ASSIGN_OR_RETURN(json::value v, ToInput(InputShape("iam", "CreateLoginProfile"),
                                              json::object{{"PasswordResetRequired", login->get_object().at("PasswordResetRequired")}}));
      in["PasswordResetRequired"] = v.get_object().at("PasswordResetRequired");
    }
    RETURN_IF_ERROR(c.Call("iam", "CreateLoginProfile", std::move(in)).status());
  }
  return Status::OK();
}

// Undoes what ApplyUserExtras did (and whatever else holds the user: its access keys).
Status RemoveUserExtras(const Caller& c, const std::string& name) {
  ASSIGN_OR_RETURN(auto attached, c.Call("iam", "ListAttachedUserPolicies", {{"UserName", name}}));
  for (const auto& a : GetArray(attached, "AttachedPolicies")) {
    if (!a.is_object()) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "DetachUserPolicy", {{"UserName", name}, {"PolicyArn", GetString(a.get_object(), "PolicyArn")}}), kGone));
  }
  ASSIGN_OR_RETURN(auto inline_policies, c.Call("iam", "ListUserPolicies", {{"UserName", name}}));
  for (const auto& policy : GetArray(inline_policies, "PolicyNames")) {
    if (!policy.is_string()) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "DeleteUserPolicy", {{"UserName", name}, {"PolicyName", policy}}), kGone));
  }
  ASSIGN_OR_RETURN(auto groups, c.Call("iam", "ListGroupsForUser", {{"UserName", name}}));
  for (const auto& g : GetArray(groups, "Groups")) {
    if (!g.is_object()) continue;
    RETURN_IF_ERROR(OkOr(c.Try("iam", "RemoveUserFromGroup", {{"UserName", name}, {"GroupName", GetString(g.get_object(), "GroupName")}}), kGone));
  }
  return OkOr(c.Try("iam", "DeleteLoginProfile", {{"UserName", name}}), kGone);
}

Result<ProvisionedResource> CreateUser(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "UserName");
  if (name.empty()) name = c.PhysicalName(id, 64);
  json::object props = Without(p, {"Policies", "ManagedPolicyArns", "Groups", "LoginProfile", "UserName"});
  props["UserName"] = name;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("iam", "CreateUser"), props));
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "CreateUser", std::move(input.get_object())));
  c.Record(name);
  RETURN_IF_ERROR(ApplyUserExtras(c, name, p));
  return Made(name, {{"Arn", GetString(GetObject(out, "User"), "Arn")}});
}

Result<ProvisionedResource> UpdateUser(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"UserName", "Path", "PermissionsBoundary", "Tags"})) {
    return controlplane::ReplacementNeeded("UserName, Path, PermissionsBoundary or Tags changed");
  }
  RETURN_IF_ERROR(RemoveUserExtras(c, r.physical_id));
  RETURN_IF_ERROR(ApplyUserExtras(c, r.physical_id, p));
  return Made(r.physical_id, r.attributes);
}

Status DeleteUser(const Caller& c, const model::StackResource& r) {
  Outcome user = c.Try("iam", "GetUser", {{"UserName", r.physical_id}});
  if (!user.ok()) return OkOr(user, kGone);
  RETURN_IF_ERROR(RemoveUserExtras(c, r.physical_id));
  return OkOr(c.Try("iam", "DeleteUser", {{"UserName", r.physical_id}}), kGone);
}

// ---- AccessKey ----

Result<ProvisionedResource> CreateAccessKey(const Caller& c, std::string_view, const json::object& p) {
  std::string user = GetString(p, "UserName");
  if (user.empty()) return Status::InvalidArgument("Properties validation failed: #: required key [UserName] not found");
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "CreateAccessKey", {{"UserName", user}}));
  const auto& key = GetObject(out, "AccessKey");
  std::string id = GetString(key, "AccessKeyId");
  c.Record(id);
  if (GetString(p, "Status", "Active") != "Active") {
    RETURN_IF_ERROR(c.Call("iam", "UpdateAccessKey", {{"UserName", user}, {"AccessKeyId", id}, {"Status", GetString(p, "Status")}}).status());
  }
  return Made(id, {{"SecretAccessKey", GetString(key, "SecretAccessKey")}});
}

Result<ProvisionedResource> UpdateAccessKey(const Caller& c, const model::StackResource& r, const json::object& p) {
  if (AnyChanged(Changed(r.properties, p), {"UserName", "Serial"})) return controlplane::ReplacementNeeded("UserName or Serial changed");
  RETURN_IF_ERROR(c.Call("iam", "UpdateAccessKey",
                         {{"UserName", GetString(p, "UserName")}, {"AccessKeyId", r.physical_id}, {"Status", GetString(p, "Status", "Active")}})
                      .status());
  return Made(r.physical_id, r.attributes);
}

Status DeleteAccessKey(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("iam", "DeleteAccessKey", {{"UserName", GetString(r.properties, "UserName")}, {"AccessKeyId", r.physical_id}}), kGone);
}

}  // namespace

void AddIamUserTypes(TypeTable& types) {
  types["AWS::IAM::Policy"] = {CreatePolicy, UpdatePolicy, DeletePolicy};
  types["AWS::IAM::ManagedPolicy"] = {CreateManagedPolicy, UpdateManagedPolicy, DeleteManagedPolicy};
  types["AWS::IAM::InstanceProfile"] = {CreateInstanceProfile, UpdateInstanceProfile, DeleteInstanceProfile};
  types["AWS::IAM::User"] = {CreateUser, UpdateUser, DeleteUser};
  types["AWS::IAM::AccessKey"] = {CreateAccessKey, UpdateAccessKey, DeleteAccessKey};
}

}  // namespace wharf::api::cloudformation
