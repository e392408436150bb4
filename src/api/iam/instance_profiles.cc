// Instance profiles (at most one role each, as AWS allows): the role is listed on the profile
// and the profile on the role, so DeleteRole sees it.
#include <functional>

#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;
using model::keys::IamInstanceProfileKey;

AwsError NoSuchProfile(std::string_view name) {
  return NoSuchEntity("Instance Profile " + std::string(name) + " cannot be found.");
}

// The InstanceProfile shape with its roles' shapes, read through the draft.
Result<object> ProfileShape(store::Draft& draft, const object& record) {
  object profile = wharf::GetObject(record, "InstanceProfile");
  array roles;
  for (const auto& name : wharf::GetArray(record, fields::kProfileRoles)) {
    ASSIGN_OR_RETURN(auto role, Read(draft, kRole.key(name.as_string())));
    if (role) roles.push_back(RoleShape(*role, false));
  }
  profile["Roles"] = std::move(roles);
  return profile;
}

Result<std::variant<object, AwsError>> ReadProfile(store::Draft& draft, std::string_view name) {
  ASSIGN_OR_RETURN(auto record, Read(draft, IamInstanceProfileKey(name)));
  if (!record) return std::variant<object, AwsError>(NoSuchProfile(name));
  return std::variant<object, AwsError>(std::move(*record));
}

}  // namespace

Outcome CreateInstanceProfile(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "InstanceProfileName");
  std::string path = PathOf(in);
  object profile{{"Path", path},
                 {"InstanceProfileName", name},
                 {"InstanceProfileId", model::iam::NewUniqueId(deps.random, model::iam::kInstanceProfileIdPrefix)},
                 {"Arn", model::iam::IamArn(deps.account_id, "instance-profile", path, name)},
                 {"CreateDate", Now(deps)}};
  if (auto err = MergeTags(profile, in.if_contains("Tags"), "TagsPerInstanceProfile")) return *err;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, IamInstanceProfileKey(name)));
    if (existing) return Decision(EntityAlreadyExists("Instance Profile " + name + " already exists."));
    object record{{"InstanceProfile", profile}};
    Write(draft, IamInstanceProfileKey(name), record);
    ASSIGN_OR_RETURN(object shape, ProfileShape(draft, record));
    return Decision(store::Commit(Outcome(object{{"InstanceProfile", std::move(shape)}})));
  });
}

Outcome GetInstanceProfile(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "InstanceProfileName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadProfile(draft, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    ASSIGN_OR_RETURN(object shape, ProfileShape(draft, std::get<object>(found)));
    return Decision(Outcome(object{{"InstanceProfile", std::move(shape)}}));
  });
}

Outcome ListInstanceProfiles(const Deps& deps, const RequestContext&, object& in) {
  std::string prefix = Arg(in, "PathPrefix");
  ASSIGN_OR_FAIL(auto records, LoadAll(deps, model::keys::kIamInstanceProfiles), IamError);
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    array out;
    for (const auto& record : records) {
      if (!PathHasPrefix(Str(wharf::GetObject(record, "InstanceProfile"), "Path"), prefix)) continue;
      ASSIGN_OR_RETURN(object shape, ProfileShape(draft, record));
      shape.erase("Tags");
      out.push_back(std::move(shape));
    }
    return Decision(Outcome(Paginate(std::move(out), in, "InstanceProfiles")));
  });
}

Outcome DeleteInstanceProfile(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "InstanceProfileName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadProfile(draft, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    if (!wharf::GetArray(std::get<object>(found), fields::kProfileRoles).empty()) {
      return Decision(DeleteConflict("Cannot delete entity, must remove roles from instance profile first."));
    }
    draft.Delete(IamInstanceProfileKey(name));
    return Decision(store::Commit(Outcome(object())));
  });
}

namespace {

// Adding and removing a role read the profile and the role, change both, and write both in
// one transaction; `change` decides, and refuses with an error.
using ProfileRoleChange = std::function<std::optional<AwsError>(object& profile, object& role)>;

Outcome ChangeProfileRole(const Deps& deps, object& in, const ProfileRoleChange& change) {
  std::string name = Arg(in, "InstanceProfileName");
  std::string role_name = Arg(in, "RoleName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadProfile(draft, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    ASSIGN_OR_RETURN(auto role_found, ReadEntity(draft, kRole, role_name));
    if (auto* err = std::get_if<AwsError>(&role_found)) return Decision(*err);
    object profile = std::get<object>(std::move(found));
    object role = std::get<object>(std::move(role_found));
    if (auto err = change(profile, role)) return Decision(*err);
    Write(draft, IamInstanceProfileKey(name), profile);
    Write(draft, kRole.key(role_name), role);
    return Decision(store::Commit(Outcome(object())));
  });
}

}  // namespace

Outcome AddRoleToInstanceProfile(const Deps& deps, const RequestContext&, object& in) {
  return ChangeProfileRole(deps, in, [](object& profile, object& role) -> std::optional<AwsError> {
    array& roles = ArrayField(profile, fields::kProfileRoles);
    if (!roles.empty()) return LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
    roles.emplace_back(json::string(Str(wharf::GetObject(role, "Role"), "RoleName")));
    AddUnique(ArrayField(role, fields::kInstanceProfiles), Str(wharf::GetObject(profile, "InstanceProfile"), "InstanceProfileName"));
    return std::nullopt;
  });
}

Outcome RemoveRoleFromInstanceProfile(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "InstanceProfileName");
  std::string role_name = Arg(in, "RoleName");
  return ChangeProfileRole(deps, in, [&](object& profile, object& role) -> std::optional<AwsError> {
    if (!RemoveValue(ArrayField(profile, fields::kProfileRoles), role_name)) {
      return NoSuchEntity("The role with name " + role_name + " cannot be found.");
    }
    RemoveValue(ArrayField(role, fields::kInstanceProfiles), name);
    return std::nullopt;
  });
}

Outcome ListInstanceProfilesForRole(const Deps& deps, const RequestContext&, object& in) {
  std::string role_name = Arg(in, "RoleName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto role_found, ReadEntity(draft, kRole, role_name));
    if (auto* err = std::get_if<AwsError>(&role_found)) return Decision(*err);
    array out;
    for (const auto& p : wharf::GetArray(std::get<object>(role_found), fields::kInstanceProfiles)) {
      ASSIGN_OR_RETURN(auto record, Read(draft, IamInstanceProfileKey(p.as_string())));
      if (!record) continue;
      ASSIGN_OR_RETURN(object shape, ProfileShape(draft, *record));
      shape.erase("Tags");
      out.push_back(std::move(shape));
    }
    return Decision(Outcome(Paginate(std::move(out), in, "InstanceProfiles")));
  });
}

}  // namespace wharf::api::iam
