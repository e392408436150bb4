// The account-wide reads: GetAccountSummary and GetAccountAuthorizationDetails.
#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

array AttachedList(const Deps& deps, const object& record) {
  array out;
  for (const auto& arn : wharf::GetArray(record, fields::kAttachedPolicies)) {
    auto ref = ParsePolicyArn(deps, arn.as_string());
    if (ref) out.push_back(object{{"PolicyName", ref->name}, {"PolicyArn", arn}});
  }
  return out;
}

array InlineList(const object& record) {
  array out;
  for (const auto& [name, doc] : wharf::GetObject(record, fields::kInlinePolicies)) {
    out.push_back(object{{"PolicyName", name}, {"PolicyDocument", EncodeDocument(doc.as_string())}});
  }
  return out;
}

bool Wanted(const object& in, std::string_view kind) {
  const array& filter = wharf::GetArray(in, "Filter");
  if (filter.empty()) return true;
  for (const auto& f : filter) {
    if (f.is_string() && f.get_string() == kind) return true;
  }
  return false;
}

}  // namespace

Outcome GetAccountSummary(const Deps& deps, const RequestContext&, object&) {
  ASSIGN_OR_FAIL(auto users, LoadAll(deps, model::keys::kIamUsers), IamError);
  ASSIGN_OR_FAIL(auto groups, LoadAll(deps, model::keys::kIamGroups), IamError);
  ASSIGN_OR_FAIL(auto roles, LoadAll(deps, model::keys::kIamRoles), IamError);
  ASSIGN_OR_FAIL(auto policies, LoadAll(deps, model::keys::kIamPolicies), IamError);
  ASSIGN_OR_FAIL(auto profiles, LoadAll(deps, model::keys::kIamInstanceProfiles), IamError);
  ASSIGN_OR_FAIL(auto keys, LoadAll(deps, model::keys::kAccessKeys), IamError);
  int64_t versions = 0;
  for (const auto& p : policies) versions += static_cast<int64_t>(wharf::GetArray(p, fields::kVersions).size());
  bool root_keys = false;
  for (const auto& k : keys) root_keys = root_keys || !k.contains("status") || wharf::GetBool(k, "root").value_or(false);
  auto n = [](const auto& v) { return static_cast<int64_t>(v.size()); };
  object summary{{"Users", n(users)},
                 {"UsersQuota", 5000},
                 {"Groups", n(groups)},
                 {"GroupsQuota", 300},
                 {"Roles", n(roles)},
                 {"RolesQuota", 1000},
                 {"Policies", n(policies)},
                 {"PoliciesQuota", 1500},
                 {"InstanceProfiles", n(profiles)},
                 {"InstanceProfilesQuota", 1000},
                 {"PolicyVersionsInUse", versions},
                 {"PolicyVersionsInUseQuota", 10000},
                 {"VersionsPerPolicyQuota", 5},
                 {"AccessKeysPerUserQuota", 2},
                 {"AttachedPoliciesPerUserQuota", 10},
                 {"AttachedPoliciesPerGroupQuota", 10},
                 {"AttachedPoliciesPerRoleQuota", 10},
                 {"GroupsPerUserQuota", 10},
                 {"PolicySizeQuota", 6144},
                 {"UserPolicySizeQuota", 2048},
                 {"GroupPolicySizeQuota", 5120},
                 {"RolePolicySizeQuota", 10240},
                 {"AssumeRolePolicySizeQuota", 2048},
                 {"SigningCertificatesPerUserQuota", 2},
                 {"ServerCertificates", 0},
                 {"ServerCertificatesQuota", 20},
                 {"MFADevices", 0},
                 {"MFADevicesInUse", 0},
                 {"AccountMFAEnabled", 0},
                 {"AccountAccessKeysPresent", root_keys ? 1 : 0},
                 {"AccountSigningCertificatesPresent", 0},
                 {"Providers", 0},
                 {"GlobalEndpointTokenVersion", 1}};
  return object{{"SummaryMap", std::move(summary)}};
}

// Everything in one answer (IsTruncated false): wharf accounts are small.
Outcome GetAccountAuthorizationDetails(const Deps& deps, const RequestContext&, object& in) {
  object out{{"IsTruncated", false}};
  if (Wanted(in, "User")) {
    ASSIGN_OR_FAIL(auto users, LoadAll(deps, model::keys::kIamUsers), IamError);
    array list;
    for (const auto& record : users) {
      object detail = wharf::GetObject(record, "User");
      detail["UserPolicyList"] = InlineList(record);
      detail["GroupList"] = wharf::GetArray(record, fields::kGroups);
      detail["AttachedManagedPolicies"] = AttachedList(deps, record);
      list.push_back(std::move(detail));
    }
    out["UserDetailList"] = std::move(list);
  }
  if (Wanted(in, "Group")) {
    ASSIGN_OR_FAIL(auto groups, LoadAll(deps, model::keys::kIamGroups), IamError);
    array list;
    for (const auto& record : groups) {
      object detail = wharf::GetObject(record, "Group");
      detail["GroupPolicyList"] = InlineList(record);
      detail["AttachedManagedPolicies"] = AttachedList(deps, record);
      list.push_back(std::move(detail));
    }
    out["GroupDetailList"] = std::move(list);
  }
  if (Wanted(in, "Role")) {
    ASSIGN_OR_FAIL(auto roles, LoadAll(deps, model::keys::kIamRoles), IamError);
    array list;
    for (const auto& record : roles) {
      object detail = RoleShape(record, true);
      array profiles;
      for (const auto& p : wharf::GetArray(record, fields::kInstanceProfiles)) {
        auto got = deps.store.Get(model::keys::IamInstanceProfileKey(p.as_string()));
        if (!got.ok() || !got->has_value()) continue;
        auto profile = wharf::ParseObject((*got)->value);
        if (!profile.ok()) continue;
        object shape = wharf::GetObject(*profile, "InstanceProfile");
        shape["Roles"] = array{RoleShape(record, false)};
        profiles.push_back(std::move(shape));
      }
      detail["InstanceProfileList"] = std::move(profiles);
      detail["RolePolicyList"] = InlineList(record);
      detail["AttachedManagedPolicies"] = AttachedList(deps, record);
      list.push_back(std::move(detail));
    }
    out["RoleDetailList"] = std::move(list);
  }
  bool local = Wanted(in, "LocalManagedPolicy");
  bool aws = Wanted(in, "AWSManagedPolicy");
  if (local || aws) {
    ASSIGN_OR_FAIL(auto policies, AllPolicies(deps, true), IamError);
    array list;
    for (auto& p : policies) {
      bool is_aws = model::iam::IsAwsManagedPolicyArn(Str(p, "Arn"));
      // AWS managed policies are listed once something in the account uses them.
      if (is_aws ? (!aws || wharf::GetInt(p, "AttachmentCount").value_or(0) == 0) : !local) continue;
      list.push_back(std::move(p));
    }
    out["Policies"] = std::move(list);
  }
  return out;
}

}  // namespace wharf::api::iam
