#include "api/iam/iam.h"

#include <boost/json/serialize.hpp>

#include "api/iam/handlers.h"
#include "controlplane/records.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

// The user/group/role forms of the attachment and inline-policy operations.
template <const EntityKind& kind, Outcome (*op)(const EntityKind&, const Deps&, object&)>
Outcome ForEntity(const Deps& deps, const RequestContext&, object& in) {
  return op(kind, deps, in);
}

}  // namespace

Result<ServiceEndpoint> MakeIamEndpoint(const IamDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("iam"));
  endpoint.validation_error = "ValidationError";
  endpoint.to_error = IamError;
  endpoint.signing_region = "us-east-1";
  auto shared = std::make_shared<IamDeps>(deps);
  // The password policy's AllowUsersToChangePassword lets every IAM user change its own
  // password without a policy saying so: a grant on each user's own ARN, weighed as a
  // resource policy is (an explicit Deny still wins).
  endpoint.resource_policy = [shared](std::string_view arn) -> std::string {
    if (arn.find(":user/") == std::string_view::npos) return "";
    auto policy = AccountPasswordPolicy(shared->store);
    if (!policy.ok() || !policy->allow_users_to_change_password) return "";
    std::string quoted = json::serialize(json::value(json::string(arn)));
    return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":)" + quoted +
           R"(},"Action":"iam:ChangePassword","Resource":)" + quoted + "}]}";
  };
  const std::pair<const char*, Handler> operations[] = {
      {"CreateRole", CreateRole},
      {"GetRole", GetRole},
      {"ListRoles", ListRoles},
      {"UpdateRole", UpdateRole},
      {"UpdateRoleDescription", UpdateRoleDescription},
      {"UpdateAssumeRolePolicy", UpdateAssumeRolePolicy},
      {"DeleteRole", DeleteRole},
      {"TagRole", TagRole},
      {"UntagRole", UntagRole},
      {"ListRoleTags", ListRoleTags},
      {"PutRolePermissionsBoundary", PutRolePermissionsBoundary},
      {"DeleteRolePermissionsBoundary", DeleteRolePermissionsBoundary},
      {"CreateServiceLinkedRole", CreateServiceLinkedRole},
      {"DeleteServiceLinkedRole", DeleteServiceLinkedRole},
      {"GetServiceLinkedRoleDeletionStatus", GetServiceLinkedRoleDeletionStatus},
      {"AttachRolePolicy", ForEntity<kRole, AttachPolicy>},
      {"DetachRolePolicy", ForEntity<kRole, DetachPolicy>},
      {"ListAttachedRolePolicies", ForEntity<kRole, ListAttachedPolicies>},
      {"PutRolePolicy", ForEntity<kRole, PutInlinePolicy>},
      {"GetRolePolicy", ForEntity<kRole, GetInlinePolicy>},
      {"DeleteRolePolicy", ForEntity<kRole, DeleteInlinePolicy>},
      {"ListRolePolicies", ForEntity<kRole, ListInlinePolicies>},
      {"AttachUserPolicy", ForEntity<kUser, AttachPolicy>},
      {"DetachUserPolicy", ForEntity<kUser, DetachPolicy>},
      {"ListAttachedUserPolicies", ForEntity<kUser, ListAttachedPolicies>},
      {"PutUserPolicy", ForEntity<kUser, PutInlinePolicy>},
      {"GetUserPolicy", ForEntity<kUser, GetInlinePolicy>},
      {"DeleteUserPolicy", ForEntity<kUser, DeleteInlinePolicy>},
      {"ListUserPolicies", ForEntity<kUser, ListInlinePolicies>},
      {"AttachGroupPolicy", ForEntity<kGroup, AttachPolicy>},
      {"DetachGroupPolicy", ForEntity<kGroup, DetachPolicy>},
      {"ListAttachedGroupPolicies", ForEntity<kGroup, ListAttachedPolicies>},
      {"PutGroupPolicy", ForEntity<kGroup, PutInlinePolicy>},
      {"GetGroupPolicy", ForEntity<kGroup, GetInlinePolicy>},
      {"DeleteGroupPolicy", ForEntity<kGroup, DeleteInlinePolicy>},
      {"ListGroupPolicies", ForEntity<kGroup, ListInlinePolicies>},
      {"CreatePolicy", CreatePolicy},
      {"GetPolicy", GetPolicy},
      {"ListPolicies", ListPolicies},
      {"DeletePolicy", DeletePolicy},
      {"CreatePolicyVersion", CreatePolicyVersion},
      {"GetPolicyVersion", GetPolicyVersion},
      {"ListPolicyVersions", ListPolicyVersions},
      {"DeletePolicyVersion", DeletePolicyVersion},
      {"SetDefaultPolicyVersion", SetDefaultPolicyVersion},
      {"TagPolicy", TagPolicy},
      {"UntagPolicy", UntagPolicy},
      {"ListPolicyTags", ListPolicyTags},
      {"ListEntitiesForPolicy", ListEntitiesForPolicy},
      {"CreateUser", CreateUser},
      {"GetUser", GetUser},
      {"ListUsers", ListUsers},
      {"UpdateUser", UpdateUser},
      {"DeleteUser", DeleteUser},
      {"TagUser", TagUser},
      {"UntagUser", UntagUser},
      {"ListUserTags", ListUserTags},
      {"PutUserPermissionsBoundary", PutUserPermissionsBoundary},
      {"DeleteUserPermissionsBoundary", DeleteUserPermissionsBoundary},
      {"CreateLoginProfile", CreateLoginProfile},
      {"GetLoginProfile", GetLoginProfile},
      {"UpdateLoginProfile", UpdateLoginProfile},
      {"DeleteLoginProfile", DeleteLoginProfile},
      {"UpdateAccountPasswordPolicy", UpdateAccountPasswordPolicy},
      {"GetAccountPasswordPolicy", GetAccountPasswordPolicy},
      {"DeleteAccountPasswordPolicy", DeleteAccountPasswordPolicy},
      {"ChangePassword", ChangePassword},
      {"CreateAccountAlias", CreateAccountAlias},
      {"DeleteAccountAlias", DeleteAccountAlias},
      {"ListAccountAliases", ListAccountAliases},
      {"CreateGroup", CreateGroup},
      {"GetGroup", GetGroup},
      {"ListGroups", ListGroups},
      {"UpdateGroup", UpdateGroup},
      {"DeleteGroup", DeleteGroup},
      {"AddUserToGroup", AddUserToGroup},
      {"RemoveUserFromGroup", RemoveUserFromGroup},
      {"ListGroupsForUser", ListGroupsForUser},
      {"CreateAccessKey", CreateAccessKey},
      {"ListAccessKeys", ListAccessKeys},
      {"UpdateAccessKey", UpdateAccessKey},
      {"DeleteAccessKey", DeleteAccessKey},
      {"GetAccessKeyLastUsed", GetAccessKeyLastUsed},
      {"CreateInstanceProfile", CreateInstanceProfile},
      {"GetInstanceProfile", GetInstanceProfile},
      {"ListInstanceProfiles", ListInstanceProfiles},
      {"DeleteInstanceProfile", DeleteInstanceProfile},
      {"AddRoleToInstanceProfile", AddRoleToInstanceProfile},
      {"RemoveRoleFromInstanceProfile", RemoveRoleFromInstanceProfile},
      {"ListInstanceProfilesForRole", ListInstanceProfilesForRole},
      {"GetAccountSummary", GetAccountSummary},
      {"GetAccountAuthorizationDetails", GetAccountAuthorizationDetails},
      {"SimulatePrincipalPolicy", SimulatePrincipalPolicy},
      {"SimulateCustomPolicy", SimulateCustomPolicy},
  };
  for (const auto& [name, fn] : operations) {
    endpoint.operations[name] = [shared, fn = fn](const RequestContext& ctx, object& in) { return fn(*shared, ctx, in); };
  }
  // aws:ResourceTag/<key> (IAM also names it iam:ResourceTag/<key>) of roles, users, customer
  // managed policies and instance profiles: the name is the ARN's last part, whatever the path
  // the request's ARN was built with. AWS managed policies (arn:aws:iam::aws:...) have no tags.
  endpoint.resource_tags = [shared](std::string_view arn) -> ResourceTags {
    size_t colon = arn.find(":iam::");
    if (colon == std::string_view::npos) return {};
    std::string_view resource = arn.substr(arn.find(':', colon + 6) + 1);
    std::string_view name = resource.substr(resource.rfind('/') + 1);
    if (name.empty() || name == "*") return {};
    std::string key, shape;
    if (resource.starts_with("role/")) {
      key = model::keys::IamRoleKey(name), shape = "Role";
    } else if (resource.starts_with("user/")) {
      key = model::keys::IamUserKey(name), shape = "User";
    } else if (resource.starts_with("policy/") && !arn.starts_with("arn:aws:iam::aws:")) {
      key = model::keys::IamPolicyKey(name), shape = "Policy";
    } else if (resource.starts_with("instance-profile/")) {
      key = model::keys::IamInstanceProfileKey(name), shape = "InstanceProfile";
    } else {
      return {};
    }
    auto record = controlplane::ReadRecord(shared->store, key);
    if (!record.ok() || !*record) return {};
    return TagPairs(wharf::GetArray(wharf::GetObject((*record)->value, shape), "Tags"), "Key", "Value");
  };
  endpoint.service_resource_tag_key = "iam:ResourceTag/";
  return endpoint;
}

}  // namespace wharf::api::iam
