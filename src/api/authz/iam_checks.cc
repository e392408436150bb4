// AWS IAM (prefix iam, global: ARNs have no region). Resource types:
//   user/<path><name>, group/<path><name>, role/<path><name>, policy/<path><name>,
//   instance-profile/<path><name>
// The path is part of the ARN but only a create's input carries it: every other operation
// names the entity by name alone, so its ARN is built with the path "/" (user/NAME). A policy
// written for an entity with another path (role/service/NAME) does not match then; the
// front door can rebuild the ARN from the stored entity where that matters.
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

// "/" + name, or the create's Path ("/team/") + name.
std::string Entity(const Request& r, std::string_view type, std::string_view name, std::string_view path = "/") {
  if (path.empty()) path = "/";
  return r.GlobalArn("iam", std::string(type) + std::string(path) + std::string(name));
}

std::string RoleArn(const Request& r) { return Entity(r, "role", r.Str("RoleName")); }
std::string GroupArn(const Request& r) { return Entity(r, "group", r.Str("GroupName")); }
std::string ProfileArn(const Request& r) { return Entity(r, "instance-profile", r.Str("InstanceProfileName")); }
std::string PolicyArn(const Request& r) { return std::string(r.Str("PolicyArn")); }

// UserName is optional where it defaults to the caller (GetUser, the access key operations):
// then the signing user, or "*" when the caller is not an IAM user.
std::string UserArn(const Request& r) {
  std::string_view name = r.Str("UserName");
  if (name.empty()) name = r.scope().user_name;
  return name.empty() ? std::string("*") : Entity(r, "user", name);
}

void OnRole(Request& r, std::string_view action) { r.Need(action, RoleArn(r)); }
void OnUser(Request& r, std::string_view action) { r.Need(action, UserArn(r)); }
void OnGroup(Request& r, std::string_view action) { r.Need(action, GroupArn(r)); }
void OnPolicy(Request& r, std::string_view action) { r.Need(action, PolicyArn(r)); }
void OnProfile(Request& r, std::string_view action) { r.Need(action, ProfileArn(r)); }
void Everything(Request& r, std::string_view action) { r.Need(action); }

// Attach*/Detach*Policy carry the policy as iam:PolicyARN.
void WithPolicyArn(Check& c, const Request& r) { AddKey(c, "iam:PolicyARN", PolicyArn(r)); }
void WithBoundary(Check& c, const Request& r) {
  if (!r.Str("PermissionsBoundary").empty()) AddKey(c, "iam:PermissionsBoundary", std::string(r.Str("PermissionsBoundary")));
}

// A create with Tags is also authorized as the entity's Tag action (iam:TagRole, ...).
void Create(Request& r, std::string_view action, std::string_view tag_action, std::string arn, bool boundary) {
  Check& c = r.Need(action, arn);
  AddRequestTags(c, r.Get("Tags"));
  if (boundary) WithBoundary(c, r);
  if (HasTags(r.Get("Tags"))) AddRequestTags(r.Need(tag_action, std::move(arn)), r.Get("Tags"));
}

void Tag(Request& r, std::string_view action, std::string arn) { AddRequestTags(r.Need(action, std::move(arn)), r.Get("Tags")); }
void Untag(Request& r, std::string_view action, std::string arn) { AddTagKeys(r.Need(action, std::move(arn)), r.Get("TagKeys")); }

// The service-linked role's name is chosen by IAM (AWSServiceRoleForECS): the new role is
// role/aws-service-role/<service>/*, with iam:AWSServiceName.
void CreateServiceLinkedRole(Request& r) {
  std::string_view service = r.Str("AWSServiceName");
  std::string arn = Entity(r, "role", "*", "/aws-service-role/" + std::string(service) + "/");
  AddKey(r.Need("CreateServiceLinkedRole", arn), "iam:AWSServiceName", std::string(service));
  // IAM writes the role's permissions as an inline policy: iam:PutRolePolicy, a dependent action.
  r.Need("PutRolePolicy", std::move(arn));
}

// DeletionTaskId is task/aws-service-role/<service>/<role name>/<id>: the role is in it.
void GetServiceLinkedRoleDeletionStatus(Request& r) {
  std::string_view task = r.Str("DeletionTaskId");
  constexpr std::string_view kPrefix = "task/";
  size_t last = task.rfind('/');
  if (!task.starts_with(kPrefix) || last == std::string_view::npos || last <= kPrefix.size()) {
    r.Need("GetServiceLinkedRoleDeletionStatus");
    return;
  }
  std::string_view role = task.substr(kPrefix.size(), last - kPrefix.size());  // aws-service-role/<svc>/<name>
  r.Need("GetServiceLinkedRoleDeletionStatus", r.GlobalArn("iam", "role/" + std::string(role)));
}

// Adding a role to an instance profile passes the role to EC2, which hands it to the
// instances that use the profile.
void AddRoleToInstanceProfile(Request& r) {
  OnProfile(r, "AddRoleToInstanceProfile");
  PassRole(r, RoleArn(r), "ec2.amazonaws.com");
}

constexpr Entry kEntries[] = {
    {"CreateRole",
     [](Request& r) { Create(r, "CreateRole", "TagRole", Entity(r, "role", r.Str("RoleName"), r.Str("Path")), true); }},
    {"GetRole", [](Request& r) { OnRole(r, "GetRole"); }},
    {"ListRoles", [](Request& r) { Everything(r, "ListRoles"); }},
    {"UpdateRole", [](Request& r) { OnRole(r, "UpdateRole"); }},
    {"UpdateRoleDescription", [](Request& r) { OnRole(r, "UpdateRoleDescription"); }},
    {"UpdateAssumeRolePolicy", [](Request& r) { OnRole(r, "UpdateAssumeRolePolicy"); }},
    {"DeleteRole", [](Request& r) { OnRole(r, "DeleteRole"); }},
    {"TagRole", [](Request& r) { Tag(r, "TagRole", RoleArn(r)); }},
    {"UntagRole", [](Request& r) { Untag(r, "UntagRole", RoleArn(r)); }},
    {"ListRoleTags", [](Request& r) { OnRole(r, "ListRoleTags"); }},
    {"PutRolePermissionsBoundary",
     [](Request& r) { WithBoundary(r.Need("PutRolePermissionsBoundary", RoleArn(r)), r); }},
    {"DeleteRolePermissionsBoundary", [](Request& r) { OnRole(r, "DeleteRolePermissionsBoundary"); }},
    {"CreateServiceLinkedRole", CreateServiceLinkedRole},
    {"DeleteServiceLinkedRole", [](Request& r) { OnRole(r, "DeleteServiceLinkedRole"); }},
    {"GetServiceLinkedRoleDeletionStatus", GetServiceLinkedRoleDeletionStatus},
    {"AttachRolePolicy", [](Request& r) { WithPolicyArn(r.Need("AttachRolePolicy", RoleArn(r)), r); }},
    {"DetachRolePolicy", [](Request& r) { WithPolicyArn(r.Need("DetachRolePolicy", RoleArn(r)), r); }},
    {"ListAttachedRolePolicies", [](Request& r) { OnRole(r, "ListAttachedRolePolicies"); }},
    {"PutRolePolicy", [](Request& r) { OnRole(r, "PutRolePolicy"); }},
    {"GetRolePolicy", [](Request& r) { OnRole(r, "GetRolePolicy"); }},
    {"DeleteRolePolicy", [](Request& r) { OnRole(r, "DeleteRolePolicy"); }},
    {"ListRolePolicies", [](Request& r) { OnRole(r, "ListRolePolicies"); }},
    {"AttachUserPolicy", [](Request& r) { WithPolicyArn(r.Need("AttachUserPolicy", UserArn(r)), r); }},
    {"DetachUserPolicy", [](Request& r) { WithPolicyArn(r.Need("DetachUserPolicy", UserArn(r)), r); }},
    {"ListAttachedUserPolicies", [](Request& r) { OnUser(r, "ListAttachedUserPolicies"); }},
    {"PutUserPolicy", [](Request& r) { OnUser(r, "PutUserPolicy"); }},
    {"GetUserPolicy", [](Request& r) { OnUser(r, "GetUserPolicy"); }},
    {"DeleteUserPolicy", [](Request& r) { OnUser(r, "DeleteUserPolicy"); }},
    {"ListUserPolicies", [](Request& r) { OnUser(r, "ListUserPolicies"); }},
    {"AttachGroupPolicy", [](Request& r) { WithPolicyArn(r.Need("AttachGroupPolicy", GroupArn(r)), r); }},
    {"DetachGroupPolicy", [](Request& r) { WithPolicyArn(r.Need("DetachGroupPolicy", GroupArn(r)), r); }},
    {"ListAttachedGroupPolicies", [](Request& r) { OnGroup(r, "ListAttachedGroupPolicies"); }},
    {"PutGroupPolicy", [](Request& r) { OnGroup(r, "PutGroupPolicy"); }},
    {"GetGroupPolicy", [](Request& r) { OnGroup(r, "GetGroupPolicy"); }},
    {"DeleteGroupPolicy", [](Request& r) { OnGroup(r, "DeleteGroupPolicy"); }},
    {"ListGroupPolicies", [](Request& r) { OnGroup(r, "ListGroupPolicies"); }},
    {"CreatePolicy",
     [](Request& r) {
       Create(r, "CreatePolicy", "TagPolicy", Entity(r, "policy", r.Str("PolicyName"), r.Str("Path")), false);
     }},
    {"GetPolicy", [](Request& r) { OnPolicy(r, "GetPolicy"); }},
    {"ListPolicies", [](Request& r) { Everything(r, "ListPolicies"); }},
    {"DeletePolicy", [](Request& r) { OnPolicy(r, "DeletePolicy"); }},
    {"CreatePolicyVersion", [](Request& r) { OnPolicy(r, "CreatePolicyVersion"); }},
    {"GetPolicyVersion", [](Request& r) { OnPolicy(r, "GetPolicyVersion"); }},
    {"ListPolicyVersions", [](Request& r) { OnPolicy(r, "ListPolicyVersions"); }},
    {"DeletePolicyVersion", [](Request& r) { OnPolicy(r, "DeletePolicyVersion"); }},
    {"SetDefaultPolicyVersion", [](Request& r) { OnPolicy(r, "SetDefaultPolicyVersion"); }},
    {"TagPolicy", [](Request& r) { Tag(r, "TagPolicy", PolicyArn(r)); }},
    {"UntagPolicy", [](Request& r) { Untag(r, "UntagPolicy", PolicyArn(r)); }},
    {"ListPolicyTags", [](Request& r) { OnPolicy(r, "ListPolicyTags"); }},
    {"ListEntitiesForPolicy", [](Request& r) { OnPolicy(r, "ListEntitiesForPolicy"); }},
    {"CreateUser",
     [](Request& r) { Create(r, "CreateUser", "TagUser", Entity(r, "user", r.Str("UserName"), r.Str("Path")), true); }},
    {"GetUser", [](Request& r) { OnUser(r, "GetUser"); }},
    {"ListUsers", [](Request& r) { Everything(r, "ListUsers"); }},
    {"UpdateUser", [](Request& r) { OnUser(r, "UpdateUser"); }},
    {"DeleteUser", [](Request& r) { OnUser(r, "DeleteUser"); }},
    {"TagUser", [](Request& r) { Tag(r, "TagUser", UserArn(r)); }},
    {"UntagUser", [](Request& r) { Untag(r, "UntagUser", UserArn(r)); }},
    {"ListUserTags", [](Request& r) { OnUser(r, "ListUserTags"); }},
    {"PutUserPermissionsBoundary",
     [](Request& r) { WithBoundary(r.Need("PutUserPermissionsBoundary", UserArn(r)), r); }},
    {"DeleteUserPermissionsBoundary", [](Request& r) { OnUser(r, "DeleteUserPermissionsBoundary"); }},
    {"CreateLoginProfile", [](Request& r) { OnUser(r, "CreateLoginProfile"); }},
    {"GetLoginProfile", [](Request& r) { OnUser(r, "GetLoginProfile"); }},
    {"UpdateLoginProfile", [](Request& r) { OnUser(r, "UpdateLoginProfile"); }},
    {"DeleteLoginProfile", [](Request& r) { OnUser(r, "DeleteLoginProfile"); }},
    // The caller's own user (ChangePassword takes no UserName).
    {"ChangePassword", [](Request& r) { OnUser(r, "ChangePassword"); }},
    {"UpdateAccountPasswordPolicy", [](Request& r) { Everything(r, "UpdateAccountPasswordPolicy"); }},
    {"GetAccountPasswordPolicy", [](Request& r) { Everything(r, "GetAccountPasswordPolicy"); }},
    {"DeleteAccountPasswordPolicy", [](Request& r) { Everything(r, "DeleteAccountPasswordPolicy"); }},
    {"CreateAccountAlias", [](Request& r) { Everything(r, "CreateAccountAlias"); }},
    {"DeleteAccountAlias", [](Request& r) { Everything(r, "DeleteAccountAlias"); }},
    {"ListAccountAliases", [](Request& r) { Everything(r, "ListAccountAliases"); }},
    {"CreateGroup", [](Request& r) { r.Need("CreateGroup", Entity(r, "group", r.Str("GroupName"), r.Str("Path"))); }},
    {"GetGroup", [](Request& r) { OnGroup(r, "GetGroup"); }},
    {"ListGroups", [](Request& r) { Everything(r, "ListGroups"); }},
    {"UpdateGroup", [](Request& r) { OnGroup(r, "UpdateGroup"); }},
    {"DeleteGroup", [](Request& r) { OnGroup(r, "DeleteGroup"); }},
    // Membership is the group's: the reference lists only group* for both.
    {"AddUserToGroup", [](Request& r) { OnGroup(r, "AddUserToGroup"); }},
    {"RemoveUserFromGroup", [](Request& r) { OnGroup(r, "RemoveUserFromGroup"); }},
    {"ListGroupsForUser", [](Request& r) { OnUser(r, "ListGroupsForUser"); }},
    {"CreateAccessKey", [](Request& r) { OnUser(r, "CreateAccessKey"); }},
    {"ListAccessKeys", [](Request& r) { OnUser(r, "ListAccessKeys"); }},
    {"UpdateAccessKey", [](Request& r) { OnUser(r, "UpdateAccessKey"); }},
    {"DeleteAccessKey", [](Request& r) { OnUser(r, "DeleteAccessKey"); }},
    // The key's owner is not in the request (only the key id): "*".
    {"GetAccessKeyLastUsed", [](Request& r) { Everything(r, "GetAccessKeyLastUsed"); }},
    {"CreateInstanceProfile",
     [](Request& r) {
       Create(r, "CreateInstanceProfile", "TagInstanceProfile",
              Entity(r, "instance-profile", r.Str("InstanceProfileName"), r.Str("Path")), false);
     }},
    {"GetInstanceProfile", [](Request& r) { OnProfile(r, "GetInstanceProfile"); }},
    {"ListInstanceProfiles", [](Request& r) { Everything(r, "ListInstanceProfiles"); }},
    {"DeleteInstanceProfile", [](Request& r) { OnProfile(r, "DeleteInstanceProfile"); }},
    {"AddRoleToInstanceProfile", AddRoleToInstanceProfile},
    {"RemoveRoleFromInstanceProfile", [](Request& r) { OnProfile(r, "RemoveRoleFromInstanceProfile"); }},
    {"ListInstanceProfilesForRole", [](Request& r) { OnRole(r, "ListInstanceProfilesForRole"); }},
    {"GetAccountSummary", [](Request& r) { Everything(r, "GetAccountSummary"); }},
    {"GetAccountAuthorizationDetails", [](Request& r) { Everything(r, "GetAccountAuthorizationDetails"); }},
    // On the user, group or role simulated; the custom simulation reads nothing stored.
    {"SimulatePrincipalPolicy", [](Request& r) { r.Need("SimulatePrincipalPolicy", std::string(r.Str("PolicySourceArn"))); }},
    {"SimulateCustomPolicy", [](Request& r) { Everything(r, "SimulateCustomPolicy"); }},
};

}  // namespace

const ServiceTable kIamTable = {
    "iam", "iam", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
