// The IAM operations, one function each, grouped by resource in the .cc files.
#pragma once

#include "api/iam/common.h"

namespace wharf::api::iam {

using Handler = Outcome (*)(const Deps&, const RequestContext&, object& in);

// roles.cc
Outcome CreateRole(const Deps&, const RequestContext&, object& in);
Outcome GetRole(const Deps&, const RequestContext&, object& in);
Outcome ListRoles(const Deps&, const RequestContext&, object& in);
Outcome UpdateRole(const Deps&, const RequestContext&, object& in);
Outcome UpdateRoleDescription(const Deps&, const RequestContext&, object& in);
Outcome UpdateAssumeRolePolicy(const Deps&, const RequestContext&, object& in);
Outcome DeleteRole(const Deps&, const RequestContext&, object& in);
Outcome TagRole(const Deps&, const RequestContext&, object& in);
Outcome UntagRole(const Deps&, const RequestContext&, object& in);
Outcome ListRoleTags(const Deps&, const RequestContext&, object& in);
Outcome PutRolePermissionsBoundary(const Deps&, const RequestContext&, object& in);
Outcome DeleteRolePermissionsBoundary(const Deps&, const RequestContext&, object& in);
Outcome CreateServiceLinkedRole(const Deps&, const RequestContext&, object& in);
Outcome DeleteServiceLinkedRole(const Deps&, const RequestContext&, object& in);
Outcome GetServiceLinkedRoleDeletionStatus(const Deps&, const RequestContext&, object& in);
// The Role shape as Get (full) or List shows it.
object RoleShape(const object& record, bool full);

// attachments.cc: managed policies attached to, and inline policies of, users/groups/roles.
Outcome AttachPolicy(const EntityKind&, const Deps&, object& in);
Outcome DetachPolicy(const EntityKind&, const Deps&, object& in);
Outcome ListAttachedPolicies(const EntityKind&, const Deps&, object& in);
Outcome PutInlinePolicy(const EntityKind&, const Deps&, object& in);
Outcome GetInlinePolicy(const EntityKind&, const Deps&, object& in);
Outcome DeleteInlinePolicy(const EntityKind&, const Deps&, object& in);
Outcome ListInlinePolicies(const EntityKind&, const Deps&, object& in);
// The DeleteConflict a user, group or role still holding policies meets; none when free.
std::optional<AwsError> PoliciesRemain(const object& record);
// A renamed user, group or role (`record`, of `type` "user"/"group"/"role") renamed in the
// attachment lists of the policies attached to it, within `draft`.
Status RenameInAttachments(const Deps&, store::Draft&, const object& record, std::string_view type,
                           std::string_view old_name, std::string_view new_name);
// A PermissionsBoundary request member checked and shaped for the record.
std::variant<object, AwsError> BoundaryFor(const Deps&, store::Draft&, std::string_view arn);

// policies.cc
Outcome CreatePolicy(const Deps&, const RequestContext&, object& in);
Outcome GetPolicy(const Deps&, const RequestContext&, object& in);
Outcome ListPolicies(const Deps&, const RequestContext&, object& in);
Outcome DeletePolicy(const Deps&, const RequestContext&, object& in);
Outcome CreatePolicyVersion(const Deps&, const RequestContext&, object& in);
Outcome GetPolicyVersion(const Deps&, const RequestContext&, object& in);
Outcome ListPolicyVersions(const Deps&, const RequestContext&, object& in);
Outcome DeletePolicyVersion(const Deps&, const RequestContext&, object& in);
Outcome SetDefaultPolicyVersion(const Deps&, const RequestContext&, object& in);
Outcome TagPolicy(const Deps&, const RequestContext&, object& in);
Outcome UntagPolicy(const Deps&, const RequestContext&, object& in);
Outcome ListPolicyTags(const Deps&, const RequestContext&, object& in);
Outcome ListEntitiesForPolicy(const Deps&, const RequestContext&, object& in);
// Every policy as ListPolicies shows it (AWS managed and this account's), with its
// AttachmentCount; `documents` adds PolicyVersionList (GetAccountAuthorizationDetails).
Result<std::vector<object>> AllPolicies(const Deps&, bool documents);
// The MalformedPolicyDocument a document meets, or none.
std::optional<AwsError> CheckDocument(PolicyKind kind, std::string_view text);

// users.cc
Outcome CreateUser(const Deps&, const RequestContext&, object& in);
Outcome GetUser(const Deps&, const RequestContext&, object& in);
Outcome ListUsers(const Deps&, const RequestContext&, object& in);
Outcome UpdateUser(const Deps&, const RequestContext&, object& in);
Outcome DeleteUser(const Deps&, const RequestContext&, object& in);
Outcome TagUser(const Deps&, const RequestContext&, object& in);
Outcome UntagUser(const Deps&, const RequestContext&, object& in);
Outcome ListUserTags(const Deps&, const RequestContext&, object& in);
Outcome PutUserPermissionsBoundary(const Deps&, const RequestContext&, object& in);
Outcome DeleteUserPermissionsBoundary(const Deps&, const RequestContext&, object& in);
Outcome CreateLoginProfile(const Deps&, const RequestContext&, object& in);
Outcome GetLoginProfile(const Deps&, const RequestContext&, object& in);
Outcome UpdateLoginProfile(const Deps&, const RequestContext&, object& in);
Outcome DeleteLoginProfile(const Deps&, const RequestContext&, object& in);

// passwords.cc: the account's password policy, ChangePassword, the account alias.
Outcome UpdateAccountPasswordPolicy(const Deps&, const RequestContext&, object& in);
Outcome GetAccountPasswordPolicy(const Deps&, const RequestContext&, object& in);
Outcome DeleteAccountPasswordPolicy(const Deps&, const RequestContext&, object& in);
Outcome ChangePassword(const Deps&, const RequestContext&, object& in);
Outcome CreateAccountAlias(const Deps&, const RequestContext&, object& in);
Outcome DeleteAccountAlias(const Deps&, const RequestContext&, object& in);
Outcome ListAccountAliases(const Deps&, const RequestContext&, object& in);
// The account's password policy as the draft reads it.
Result<model::PasswordPolicy> ReadPasswordPolicy(store::Draft& draft);
// Sets `password` on a login profile if the policy lets it (length, kinds, reuse), keeping the
// hashes the policy's PasswordReusePrevention needs; else PasswordPolicyViolation.
std::optional<AwsError> SetPassword(const Deps& deps, const model::PasswordPolicy& policy, object& profile,
                                    std::string_view password);

// groups.cc
Outcome CreateGroup(const Deps&, const RequestContext&, object& in);
Outcome GetGroup(const Deps&, const RequestContext&, object& in);
Outcome ListGroups(const Deps&, const RequestContext&, object& in);
Outcome UpdateGroup(const Deps&, const RequestContext&, object& in);
Outcome DeleteGroup(const Deps&, const RequestContext&, object& in);
Outcome AddUserToGroup(const Deps&, const RequestContext&, object& in);
Outcome RemoveUserFromGroup(const Deps&, const RequestContext&, object& in);
Outcome ListGroupsForUser(const Deps&, const RequestContext&, object& in);

// access_keys.cc
Outcome CreateAccessKey(const Deps&, const RequestContext&, object& in);
Outcome ListAccessKeys(const Deps&, const RequestContext&, object& in);
Outcome UpdateAccessKey(const Deps&, const RequestContext&, object& in);
Outcome DeleteAccessKey(const Deps&, const RequestContext&, object& in);
Outcome GetAccessKeyLastUsed(const Deps&, const RequestContext&, object& in);

// instance_profiles.cc
Outcome CreateInstanceProfile(const Deps&, const RequestContext&, object& in);
Outcome GetInstanceProfile(const Deps&, const RequestContext&, object& in);
Outcome ListInstanceProfiles(const Deps&, const RequestContext&, object& in);
Outcome DeleteInstanceProfile(const Deps&, const RequestContext&, object& in);
Outcome AddRoleToInstanceProfile(const Deps&, const RequestContext&, object& in);
Outcome RemoveRoleFromInstanceProfile(const Deps&, const RequestContext&, object& in);
Outcome ListInstanceProfilesForRole(const Deps&, const RequestContext&, object& in);

// account.cc
Outcome GetAccountSummary(const Deps&, const RequestContext&, object& in);
Outcome GetAccountAuthorizationDetails(const Deps&, const RequestContext&, object& in);
// simulate.cc
Outcome SimulatePrincipalPolicy(const Deps&, const RequestContext&, object& in);
Outcome SimulateCustomPolicy(const Deps&, const RequestContext&, object& in);

}  // namespace wharf::api::iam
