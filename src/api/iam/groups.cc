// Groups and their members: a membership is written on both the user and the group.
#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

object GroupShape(const object& record) { return wharf::GetObject(record, "Group"); }

// The user and the group of a membership change, read through the draft.
struct Pair {
  object user;
  object group;
};
Result<std::variant<Pair, AwsError>> ReadPair(store::Draft& draft, std::string_view user, std::string_view group) {
  ASSIGN_OR_RETURN(auto g, ReadEntity(draft, kGroup, group));
  if (auto* err = std::get_if<AwsError>(&g)) return std::variant<Pair, AwsError>(*err);
  ASSIGN_OR_RETURN(auto u, ReadEntity(draft, kUser, user));
  if (auto* err = std::get_if<AwsError>(&u)) return std::variant<Pair, AwsError>(*err);
  return std::variant<Pair, AwsError>(Pair{std::get<object>(std::move(u)), std::get<object>(std::move(g))});
}

// A membership change (AddUserToGroup, RemoveUserFromGroup): reads the request's user and
// group, lets `change` edit both (or refuse) and writes both in one commit.
Outcome ChangeMembership(const Deps& deps, const object& in, const std::function<std::optional<AwsError>(Pair&)>& change) {
  std::string user_name = Arg(in, "UserName");
  std::string group_name = Arg(in, "GroupName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto read, ReadPair(draft, user_name, group_name));
    if (auto* err = std::get_if<AwsError>(&read)) return Decision(*err);
    Pair& pair = std::get<Pair>(read);
    if (auto refused = change(pair)) return Decision(*refused);
    Write(draft, kUser.key(user_name), pair.user);
    Write(draft, kGroup.key(group_name), pair.group);
    return Decision(store::Commit(Outcome(object())));
  });
}

}  // namespace

Outcome CreateGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "GroupName");
  std::string path = PathOf(in);
  object group{{"Path", path},
               {"GroupName", name},
               {"GroupId", model::iam::NewUniqueId(deps.random, model::iam::kGroupIdPrefix)},
               {"Arn", model::iam::IamArn(deps.account_id, "group", path, name)},
               {"CreateDate", Now(deps)}};
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, kGroup.key(name)));
    if (existing) return Decision(EntityAlreadyExists("Group with name " + name + " already exists."));
    Write(draft, kGroup.key(name), object{{"Group", group}});
    return Decision(store::Commit(Outcome(object{{"Group", group}})));
  });
}

Outcome GetGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "GroupName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kGroup, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    const object& record = std::get<object>(found);
    array users;
    for (const auto& member : wharf::GetArray(record, fields::kMembers)) {
      ASSIGN_OR_RETURN(auto user, Read(draft, kUser.key(member.as_string())));
      if (!user) continue;
      object shape = wharf::GetObject(*user, "User");
      shape.erase("Tags");
      shape.erase("PermissionsBoundary");
      users.push_back(std::move(shape));
    }
    object out = Paginate(std::move(users), in, "Users");
    out["Group"] = GroupShape(record);
    return Decision(Outcome(std::move(out)));
  });
}

Outcome ListGroups(const Deps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto records, LoadAll(deps, model::keys::kIamGroups), IamError);
  std::string prefix = Arg(in, "PathPrefix");
  array groups;
  for (const auto& record : records) {
    if (PathHasPrefix(Str(GroupShape(record), "Path"), prefix)) groups.push_back(GroupShape(record));
  }
  return Paginate(std::move(groups), in, "Groups");
}

Outcome UpdateGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "GroupName");
  std::string new_name = in.contains("NewGroupName") ? Arg(in, "NewGroupName") : name;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kGroup, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    object& group = ObjectField(record, "Group");
    std::string old_name = Str(group, "GroupName");
    if (in.contains("NewPath")) group["Path"] = PathOf(in, "NewPath");
    bool renamed = old_name != new_name;
    if (renamed && !NameEquals(old_name, new_name)) {
      ASSIGN_OR_RETURN(auto taken, Read(draft, kGroup.key(new_name)));
      if (taken) return Decision(EntityAlreadyExists("Group with name " + new_name + " already exists."));
    }
    group["GroupName"] = new_name;
    group["Arn"] = model::iam::IamArn(deps.account_id, "group", Str(group, "Path"), new_name);
    if (renamed) {
      for (const auto& m : wharf::GetArray(record, fields::kMembers)) {
        ASSIGN_OR_RETURN(auto user, Read(draft, kUser.key(m.as_string())));
        if (!user) continue;
        array& groups = ArrayField(*user, fields::kGroups);
        RemoveValue(groups, old_name);
        groups.emplace_back(json::string(new_name));
        Write(draft, kUser.key(m.as_string()), *user);
      }
      RETURN_IF_ERROR(RenameInAttachments(deps, draft, record, "group", old_name, new_name));
      draft.Delete(kGroup.key(old_name));
    }
    Write(draft, kGroup.key(new_name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome DeleteGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "GroupName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kGroup, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    const object& record = std::get<object>(found);
    if (!wharf::GetArray(record, fields::kMembers).empty()) {
      return Decision(DeleteConflict("Cannot delete entity, must remove users from group first."));
    }
    if (auto err = PoliciesRemain(record)) return Decision(*err);
    draft.Delete(kGroup.key(name));
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome AddUserToGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string group_name = Arg(in, "GroupName");
  return ChangeMembership(deps, in, [&](Pair& pair) -> std::optional<AwsError> {
    array& groups = ArrayField(pair.user, fields::kGroups);
    if (groups.size() >= 10 && !Contains(groups, group_name)) {
      return LimitExceeded("Cannot exceed quota for GroupsPerUser: 10");
    }
    AddUnique(groups, Str(GroupShape(pair.group), "GroupName"));
    AddUnique(ArrayField(pair.group, fields::kMembers), Str(wharf::GetObject(pair.user, "User"), "UserName"));
    return std::nullopt;
  });
}

Outcome RemoveUserFromGroup(const Deps& deps, const RequestContext&, object& in) {
  std::string user_name = Arg(in, "UserName");
  std::string group_name = Arg(in, "GroupName");
  return ChangeMembership(deps, in, [&](Pair& pair) -> std::optional<AwsError> {
    if (!RemoveValue(ArrayField(pair.user, fields::kGroups), group_name)) {
      return NoSuchEntity("The user with name " + user_name + " is not a member of group " + group_name + ".");
    }
    RemoveValue(ArrayField(pair.group, fields::kMembers), user_name);
    return std::nullopt;
  });
}

Outcome ListGroupsForUser(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "UserName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    array groups;
    for (const auto& g : wharf::GetArray(std::get<object>(found), fields::kGroups)) {
      ASSIGN_OR_RETURN(auto group, Read(draft, kGroup.key(g.as_string())));
      if (group) groups.push_back(GroupShape(*group));
    }
    return Decision(Outcome(Paginate(std::move(groups), in, "Groups")));
  });
}

}  // namespace wharf::api::iam
