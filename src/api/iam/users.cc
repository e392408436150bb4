// Users, their tags and boundaries, GetUser for the caller, and login profiles (the password
// kept only as a salted, stretched hash).
#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

object UserShape(const object& record, bool full) {
  object user = wharf::GetObject(record, "User");
  if (!full) {
    user.erase("Tags");
    user.erase("PermissionsBoundary");
  }
  return user;
}

// Changes the named user's record with `change`; answers `answer(record)`.
Outcome ChangeUser(const Deps& deps, std::string_view name,
                   const std::function<std::variant<object, AwsError>(store::Draft&, object& record)>& change) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    auto answer = change(draft, record);
    if (auto* err = std::get_if<AwsError>(&answer)) return Decision(*err);
    Write(draft, kUser.key(name), record);
    return Decision(store::Commit(Outcome(std::get<object>(std::move(answer)))));
  });
}

object LoginProfileShape(const object& record) {
  const object& profile = wharf::GetObject(record, fields::kLoginProfile);
  return object{{"UserName", Str(wharf::GetObject(record, "User"), "UserName")},
                {"CreateDate", profile.contains("CreateDate") ? profile.at("CreateDate") : json::value(0)},
                {"PasswordResetRequired", wharf::GetBool(profile, "PasswordResetRequired").value_or(false)}};
}

AwsError NoLoginProfile(std::string_view name) {
  return NoSuchEntity("Login Profile for User " + std::string(name) + " cannot be found.");
}

}  // namespace

Outcome CreateUser(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "UserName");
  std::string path = PathOf(in);
  object user{{"Path", path},
              {"UserName", name},
              {"UserId", model::iam::NewUniqueId(deps.random, model::iam::kUserIdPrefix)},
              {"Arn", model::iam::IamArn(deps.account_id, "user", path, name)},
              {"CreateDate", Now(deps)}};
  if (auto err = MergeTags(user, in.if_contains("Tags"), "TagsPerUser")) return *err;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, kUser.key(name)));
    if (existing) return Decision(EntityAlreadyExists("User with name " + name + " already exists."));
    object shape = user;
    if (in.contains("PermissionsBoundary")) {
      auto boundary = BoundaryFor(deps, draft, Arg(in, "PermissionsBoundary"));
      if (auto* err = std::get_if<AwsError>(&boundary)) return Decision(*err);
      shape["PermissionsBoundary"] = std::get<object>(boundary);
    }
    object record{{"User", shape}};
    Write(draft, kUser.key(name), record);
    return Decision(store::Commit(Outcome(object{{"User", UserShape(record, true)}})));
  });
}

Outcome GetUser(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = Arg(in, "UserName");
  if (name.empty()) {
    if (ctx.user_name.empty()) {
      // The root user, as AWS answers it: no name or path.
      return object{{"User", object{{"UserId", deps.account_id},
                                    {"Arn", "arn:aws:iam::" + deps.account_id + ":root"},
                                    {"CreateDate", 0}}}};
    }
    name = ctx.user_name;
  }
  auto got = deps.store.Get(kUser.key(name));
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) return NoSuchEntityOf(kUser, name);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*got)->value), IamError);
  return object{{"User", UserShape(record, true)}};
}

Outcome ListUsers(const Deps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto records, LoadAll(deps, model::keys::kIamUsers), IamError);
  std::string prefix = Arg(in, "PathPrefix");
  array users;
  for (const auto& record : records) {
    if (PathHasPrefix(Str(wharf::GetObject(record, "User"), "Path"), prefix)) users.push_back(UserShape(record, false));
  }
  return Paginate(std::move(users), in, "Users");
}

// A new path changes the ARN; a new name moves the record and every reference to it
// (groups' members, policies' attachments, access keys), in one transaction.
Outcome UpdateUser(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "UserName");
  std::string new_name = in.contains("NewUserName") ? Arg(in, "NewUserName") : name;
  Outcome outcome = Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    object& user = ObjectField(record, "User");
    std::string old_name = Str(user, "UserName");
    if (in.contains("NewPath")) user["Path"] = PathOf(in, "NewPath");
    bool renamed = old_name != new_name;
    if (renamed && !NameEquals(old_name, new_name)) {
      ASSIGN_OR_RETURN(auto taken, Read(draft, kUser.key(new_name)));
      if (taken) return Decision(EntityAlreadyExists("User with name " + new_name + " already exists."));
    }
    user["UserName"] = new_name;
    user["Arn"] = model::iam::IamArn(deps.account_id, "user", Str(user, "Path"), new_name);
    if (renamed) {
      for (const auto& g : wharf::GetArray(record, fields::kGroups)) {
        ASSIGN_OR_RETURN(auto group, Read(draft, kGroup.key(g.as_string())));
        if (!group) continue;
        array& members = ArrayField(*group, fields::kMembers);
        RemoveValue(members, old_name);
        members.emplace_back(json::string(new_name));
        Write(draft, kGroup.key(g.as_string()), *group);
      }
      RETURN_IF_ERROR(RenameInAttachments(deps, draft, record, "user", old_name, new_name));
      for (const auto& id : wharf::GetArray(record, fields::kAccessKeys)) {
        std::string key = model::keys::AccessKeyKey(id.as_string());
        ASSIGN_OR_RETURN(auto access_key, Read(draft, key));
        if (!access_key) continue;
        (*access_key)["userName"] = new_name;
        Write(draft, key, *access_key);
      }
      draft.Delete(kUser.key(old_name));
    }
    Write(draft, kUser.key(new_name), record);
    return Decision(store::Commit(Outcome(object())));
  });
  if (outcome.ok() && deps.credentials) deps.credentials->ForgetUser(name);
  return outcome;
}

Outcome DeleteUser(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "UserName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    const object& record = std::get<object>(found);
    if (!wharf::GetArray(record, fields::kAccessKeys).empty()) {
      return Decision(DeleteConflict("Cannot delete entity, must delete access keys first."));
    }
    if (record.contains(fields::kLoginProfile)) {
      return Decision(DeleteConflict("Cannot delete entity, must delete login profile first."));
    }
    if (!wharf::GetArray(record, fields::kGroups).empty()) {
      return Decision(DeleteConflict("Cannot delete entity, must remove users from group first."));
    }
    if (auto err = PoliciesRemain(record)) return Decision(*err);
    draft.Delete(kUser.key(name));
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome TagUser(const Deps& deps, const RequestContext&, object& in) {
  return ChangeUser(deps, Arg(in, "UserName"), [&](store::Draft&, object& record) -> std::variant<object, AwsError> {
    if (auto err = MergeTags(ObjectField(record, "User"), in.if_contains("Tags"), "TagsPerUser")) return *err;
    return object();
  });
}

Outcome UntagUser(const Deps& deps, const RequestContext&, object& in) {
  return ChangeUser(deps, Arg(in, "UserName"), [&](store::Draft&, object& record) -> std::variant<object, AwsError> {
    RemoveTags(ObjectField(record, "User"), in.if_contains("TagKeys"));
    return object();
  });
}

Outcome ListUserTags(const Deps& deps, const RequestContext& ctx, object& in) {
  if (Arg(in, "UserName").empty()) return NoSuchEntityOf(kUser, "");
  Outcome got = GetUser(deps, ctx, in);
  if (!got.ok()) return got;
  return Paginate(wharf::GetArray(wharf::GetObject(got.output(), "User"), "Tags"), in, "Tags");
}

Outcome PutUserPermissionsBoundary(const Deps& deps, const RequestContext&, object& in) {
  return ChangeUser(deps, Arg(in, "UserName"), [&](store::Draft& draft, object& record) -> std::variant<object, AwsError> {
    auto boundary = BoundaryFor(deps, draft, Arg(in, "PermissionsBoundary"));
    if (auto* err = std::get_if<AwsError>(&boundary)) return *err;
    ObjectField(record, "User")["PermissionsBoundary"] = std::get<object>(boundary);
    return object();
  });
}

Outcome DeleteUserPermissionsBoundary(const Deps& deps, const RequestContext&, object& in) {
  return ChangeUser(deps, Arg(in, "UserName"), [&](store::Draft&, object& record) -> std::variant<object, AwsError> {
    ObjectField(record, "User").erase("PermissionsBoundary");
    return object();
  });
}

Outcome CreateLoginProfile(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = Arg(in, "UserName");
  if (name.empty()) name = ctx.user_name;
  std::string password = Arg(in, "Password");
  double now = Now(deps);
  return ChangeUser(deps, name, [&](store::Draft& draft, object& record) -> std::variant<object, AwsError> {
    if (record.contains(fields::kLoginProfile)) {
      return EntityAlreadyExists("Login Profile for user " + Str(wharf::GetObject(record, "User"), "UserName") +
                                 " already exists.");
    }
    auto policy = ReadPasswordPolicy(draft);
    if (!policy.ok()) return IamError(policy.status());
    object profile{{"CreateDate", now},
                   {"PasswordResetRequired", wharf::GetBool(in, "PasswordResetRequired").value_or(false)}};
    if (auto err = SetPassword(deps, *policy, profile, password)) return *err;
    record[fields::kLoginProfile] = std::move(profile);
    return object{{"LoginProfile", LoginProfileShape(record)}};
  });
}

Outcome GetLoginProfile(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = Arg(in, "UserName");
  if (name.empty()) name = ctx.user_name;
  auto got = deps.store.Get(kUser.key(name));
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) return NoSuchEntityOf(kUser, name);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*got)->value), IamError);
  if (!record.contains(fields::kLoginProfile)) return NoLoginProfile(name);
  return object{{"LoginProfile", LoginProfileShape(record)}};
}

Outcome UpdateLoginProfile(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = Arg(in, "UserName");
  if (name.empty()) name = ctx.user_name;
  return ChangeUser(deps, name, [&](store::Draft& draft, object& record) -> std::variant<object, AwsError> {
    if (!record.contains(fields::kLoginProfile)) return NoLoginProfile(name);
    object& profile = ObjectField(record, fields::kLoginProfile);
    if (in.contains("Password")) {
      auto policy = ReadPasswordPolicy(draft);
      if (!policy.ok()) return IamError(policy.status());
      if (auto err = SetPassword(deps, *policy, profile, Arg(in, "Password"))) return *err;
    }
    if (auto reset = wharf::GetBool(in, "PasswordResetRequired")) profile["PasswordResetRequired"] = *reset;
    return object();
  });
}

Outcome DeleteLoginProfile(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string name = Arg(in, "UserName");
  if (name.empty()) name = ctx.user_name;
  return ChangeUser(deps, name, [&](store::Draft&, object& record) -> std::variant<object, AwsError> {
    if (!record.erase(fields::kLoginProfile)) return NoLoginProfile(name);
    return object();
  });
}

}  // namespace wharf::api::iam
