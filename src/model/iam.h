// IAM records (docs/STATE.md, keys in model/keys.h): each stores the shape IAM's Get call
// returns (User, Group, Role, Policy, InstanceProfile) under its shape's name, plus wharf's
// own bookkeeping under the field names below. Relations are kept on both sides, written in
// one transaction: a user lists its groups and a group its members; an entity lists its
// attached policy ARNs and a policy (or, for an AWS managed one, its attachment record) the
// entities attached to it; a role lists its instance profiles and a profile its roles. So a
// Delete that reads one record knows whether anything still hangs on it.
//
// Pure: names, ids and ARNs. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"

namespace wharf::model::iam {

// Record fields beside the shape.
inline constexpr std::string_view kAttachedPolicies = "attachedPolicies";  // [policy ARN]
inline constexpr std::string_view kInlinePolicies = "inlinePolicies";      // {name: document}
inline constexpr std::string_view kGroups = "groups";                      // user: [group name]
inline constexpr std::string_view kMembers = "members";                    // group: [user name]
inline constexpr std::string_view kAccessKeys = "accessKeys";              // user: [key id]
inline constexpr std::string_view kLoginProfile = "loginProfile";          // user
inline constexpr std::string_view kInstanceProfiles = "instanceProfiles";  // role: [profile name]
inline constexpr std::string_view kEntities = "entities";  // policy: [{type, name}]
inline constexpr std::string_view kVersions = "versions";  // policy: [PolicyVersion shape]
inline constexpr std::string_view kNextVersion = "nextVersion";  // policy: the next vN
inline constexpr std::string_view kProfileRoles = "roles";  // instance profile: [role name]

// Unique ids as IAM makes them: a four-letter prefix and 17 more characters.
inline constexpr std::string_view kUserIdPrefix = "AIDA";
inline constexpr std::string_view kRoleIdPrefix = "AROA";
inline constexpr std::string_view kPolicyIdPrefix = "ANPA";
inline constexpr std::string_view kGroupIdPrefix = "AGPA";
inline constexpr std::string_view kInstanceProfileIdPrefix = "AIPA";
std::string NewUniqueId(Random& random, std::string_view prefix);
// AKIA and 16 more: 20 characters.
std::string NewAccessKeyId(Random& random);

// arn:aws:iam::<account>:<type><path><name> ("user", "/", "ci").
std::string IamArn(std::string_view account, std::string_view type, std::string_view path,
                   std::string_view name);
// "arn:aws:iam::aws:policy/..." names an AWS managed policy.
bool IsAwsManagedPolicyArn(std::string_view arn);

// A login profile keeps its password only as this: salted, stretched (HMAC-SHA256, 20,000
// rounds), hex. Written by CreateLoginProfile/UpdateLoginProfile, checked by the console's
// sign-in (api/signin.h).
inline constexpr std::string_view kPasswordSalt = "salt";
inline constexpr std::string_view kPasswordHash = "passwordHash";
std::string LoginPasswordHash(std::string_view salt, std::string_view password);

}  // namespace wharf::model::iam
