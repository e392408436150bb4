// Roles, their tags and boundaries, and the service-linked roles ECS and ELB make.
#include <boost/json/serialize.hpp>
#include <cctype>

#include "api/iam/handlers.h"
#include "base/random.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

std::optional<AwsError> CheckTrustPolicy(std::string_view text) {
  if (auto err = CheckDocument(PolicyKind::kTrust, text)) return err;
  if (PolicySize(text) > 2048) return LimitExceeded("Cannot exceed quota for ACLSizePerRole: 2048");
  return std::nullopt;
}

bool IsServiceLinked(const object& role) { return Str(role, "Path").starts_with("/aws-service-role/"); }

AwsError Protected(std::string_view name) {
  return UnmodifiableEntity("Cannot perform the operation on the protected role '" + std::string(name) +
                            "' - this role is only modifiable by AWS");
}

// Changes the named role's record with `change`, then answers `answer(record)`.
Outcome ChangeRole(const Deps& deps, std::string_view name, bool allow_service_linked,
                   const std::function<std::optional<AwsError>(store::Draft&, object& role)>& change,
                   const std::function<object(const object& record)>& answer) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kRole, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    object& role = ObjectField(record, "Role");
    if (!allow_service_linked && IsServiceLinked(role)) return Decision(Protected(Str(role, "RoleName")));
    if (auto err = change(draft, role)) return Decision(*err);
    Write(draft, kRole.key(name), record);
    return Decision(store::Commit(Outcome(answer(record))));
  });
}

object Empty(const object&) { return object(); }

struct ServiceLinkedRole {
  std::string_view service;
  std::string_view role_name;
  std::string_view policy_arn;
  std::string_view description;
};
constexpr ServiceLinkedRole kServiceLinkedRoles[] = {
    {"ecs.amazonaws.com", "AWSServiceRoleForECS",
     "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy",
     "Role to enable Amazon ECS to manage your cluster."},
    {"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",
     "Allows ELB to call AWS services on your behalf."},
};

}  // namespace

object RoleShape(const object& record, bool full) {
  object role = wharf::GetObject(record, "Role");
  if (auto* doc = role.if_contains("AssumeRolePolicyDocument"); doc && doc->is_string()) {
    *doc = json::string(EncodeDocument(doc->get_string()));
  }
  if (full) {
    if (!role.contains("RoleLastUsed")) role["RoleLastUsed"] = object();
  } else {
    role.erase("Tags");
    role.erase("PermissionsBoundary");
    role.erase("RoleLastUsed");
  }
  return role;
}

Outcome CreateRole(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "RoleName");
  std::string document = Arg(in, "AssumeRolePolicyDocument");
  if (auto err = CheckTrustPolicy(document)) return *err;
  std::string path = PathOf(in);
  object role{{"Path", path},
              {"RoleName", name},
              {"RoleId", model::iam::NewUniqueId(deps.random, model::iam::kRoleIdPrefix)},
              {"Arn", model::iam::IamArn(deps.account_id, "role", path, name)},
              {"CreateDate", Now(deps)},
              {"AssumeRolePolicyDocument", document},
              {"MaxSessionDuration", wharf::GetInt(in, "MaxSessionDuration").value_or(3600)}};
  if (in.contains("Description")) role["Description"] = Arg(in, "Description");
  if (auto err = MergeTags(role, in.if_contains("Tags"), "TagsPerRole")) return *err;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, kRole.key(name)));
    if (existing) return Decision(EntityAlreadyExists("Role with name " + name + " already exists."));
    object shape = role;
    if (in.contains("PermissionsBoundary")) {
      auto boundary = BoundaryFor(deps, draft, Arg(in, "PermissionsBoundary"));
      if (auto* err = std::get_if<AwsError>(&boundary)) return Decision(*err);
      shape["PermissionsBoundary"] = std::get<object>(boundary);
    }
    object record{{"Role", shape}};
    Write(draft, kRole.key(name), record);
    object answer = RoleShape(record, true);
    answer.erase("RoleLastUsed");
    return Decision(store::Commit(Outcome(object{{"Role", std::move(answer)}})));
  });
}

Outcome GetRole(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "RoleName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kRole, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    return Decision(Outcome(object{{"Role", RoleShape(std::get<object>(found), true)}}));
  });
}

Outcome ListRoles(const Deps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto records, LoadAll(deps, model::keys::kIamRoles), IamError);
  std::string prefix = Arg(in, "PathPrefix");
  array roles;
  for (const auto& record : records) {
    if (PathHasPrefix(Str(wharf::GetObject(record, "Role"), "Path"), prefix)) roles.push_back(RoleShape(record, false));
  }
  return Paginate(std::move(roles), in, "Roles");
}

Outcome UpdateRole(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), false,
      [&](store::Draft&, object& role) -> std::optional<AwsError> {
        if (in.contains("Description")) role["Description"] = Arg(in, "Description");
        if (auto max = wharf::GetInt(in, "MaxSessionDuration")) role["MaxSessionDuration"] = *max;
        return std::nullopt;
      },
      Empty);
}

Outcome UpdateRoleDescription(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), false,
      [&](store::Draft&, object& role) -> std::optional<AwsError> {
        role["Description"] = Arg(in, "Description");
        return std::nullopt;
      },
      [](const object& record) { return object{{"Role", RoleShape(record, true)}}; });
}

Outcome UpdateAssumeRolePolicy(const Deps& deps, const RequestContext&, object& in) {
  std::string document = Arg(in, "PolicyDocument");
  if (auto err = CheckTrustPolicy(document)) return *err;
  return ChangeRole(
      deps, Arg(in, "RoleName"), false,
      [&](store::Draft&, object& role) -> std::optional<AwsError> {
        role["AssumeRolePolicyDocument"] = document;
        return std::nullopt;
      },
      Empty);
}

Outcome DeleteRole(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "RoleName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kRole, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    const object& record = std::get<object>(found);
    if (IsServiceLinked(wharf::GetObject(record, "Role"))) return Decision(Protected(name));
    if (!wharf::GetArray(record, model::iam::kInstanceProfiles).empty()) {
      return Decision(DeleteConflict("Cannot delete entity, must remove roles from instance profile first."));
    }
    if (auto err = PoliciesRemain(record)) return Decision(*err);
    draft.Delete(kRole.key(name));
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome TagRole(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), true,
      [&](store::Draft&, object& role) { return MergeTags(role, in.if_contains("Tags"), "TagsPerRole"); }, Empty);
}

Outcome UntagRole(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), true,
      [&](store::Draft&, object& role) -> std::optional<AwsError> {
        RemoveTags(role, in.if_contains("TagKeys"));
        return std::nullopt;
      },
      Empty);
}

Outcome ListRoleTags(const Deps& deps, const RequestContext& ctx, object& in) {
  Outcome got = GetRole(deps, ctx, in);
  if (!got.ok()) return got;
  return Paginate(wharf::GetArray(wharf::GetObject(got.output(), "Role"), "Tags"), in, "Tags");
}

Outcome PutRolePermissionsBoundary(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), false,
      [&](store::Draft& draft, object& role) -> std::optional<AwsError> {
        auto boundary = BoundaryFor(deps, draft, Arg(in, "PermissionsBoundary"));
        if (auto* err = std::get_if<AwsError>(&boundary)) return *err;
        role["PermissionsBoundary"] = std::get<object>(boundary);
        return std::nullopt;
      },
      Empty);
}

Outcome DeleteRolePermissionsBoundary(const Deps& deps, const RequestContext&, object& in) {
  return ChangeRole(
      deps, Arg(in, "RoleName"), false,
      [&](store::Draft&, object& role) -> std::optional<AwsError> {
        role.erase("PermissionsBoundary");
        return std::nullopt;
      },
      Empty);
}

// The role is made as AWS makes it: its fixed name (plus the custom suffix), the
// /aws-service-role/<service>/ path, a trust policy for the service and its managed policy.
Outcome CreateServiceLinkedRole(const Deps& deps, const RequestContext&, object& in) {
  std::string service = Arg(in, "AWSServiceName");
  const ServiceLinkedRole* known = nullptr;
  for (const auto& r : kServiceLinkedRoles) {
    if (r.service == service) known = &r;
  }
  if (!known) {
    return InvalidInput("Service " + service + " does not support service-linked roles in wharf (it knows " +
                        "ecs.amazonaws.com and elasticloadbalancing.amazonaws.com).");
  }
  std::string suffix = Arg(in, "CustomSuffix");
  if (!suffix.empty()) {
    return InvalidInput("Custom suffix is not allowed for " + service);
  }
  std::string name(known->role_name);
  std::string path = "/aws-service-role/" + service + "/";
  std::string trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" +
                      service + "\"},\"Action\":\"sts:AssumeRole\"}]}";
  object role{{"Path", path},
              {"RoleName", name},
              {"RoleId", model::iam::NewUniqueId(deps.random, model::iam::kRoleIdPrefix)},
              {"Arn", model::iam::IamArn(deps.account_id, "role", path, name)},
              {"CreateDate", Now(deps)},
              {"AssumeRolePolicyDocument", trust},
              {"Description", in.contains("Description") ? Arg(in, "Description") : std::string(known->description)},
              {"MaxSessionDuration", 3600}};
  PolicyRef policy{std::string(known->policy_arn), "", true, FindManagedPolicy(known->policy_arn)};
  if (!policy.managed) return AwsError::Server("ServiceFailure", "managed policy missing: " + policy.arn);
  policy.name = policy.managed->name;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, kRole.key(name)));
    if (existing) {
      return Decision(InvalidInput("Service role name " + name +
                                   " has been taken in this account, please try a different suffix."));
    }
    object record{{"Role", role}, {model::iam::kAttachedPolicies, array{json::string(policy.arn)}}};
    ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(policy)));
    object entities_record = attachments.value_or(object());
    entities_record["policyArn"] = policy.arn;
    ArrayField(entities_record, model::iam::kEntities).push_back(object{{"type", "role"}, {"name", name}});
    Write(draft, AttachmentsKey(policy), entities_record);
    Write(draft, kRole.key(name), record);
    return Decision(store::Commit(Outcome(object{{"Role", RoleShape(record, false)}})));
  });
}

// Deleted at once; the task id names the role, so its status needs no record.
Outcome DeleteServiceLinkedRole(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "RoleName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kRole, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    const object& role = wharf::GetObject(record, "Role");
    std::string path = Str(role, "Path");
    if (!IsServiceLinked(role)) {
      return Decision(InvalidInput("Role " + name + " is not a service-linked role."));
    }
    for (const auto& arn : wharf::GetArray(record, model::iam::kAttachedPolicies)) {
      if (!arn.is_string()) continue;
      auto ref = ParsePolicyArn(deps, arn.get_string());
      if (!ref) continue;
      ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(*ref)));
      if (!attachments) continue;
      array kept;
      for (const auto& e : wharf::GetArray(*attachments, model::iam::kEntities)) {
        if (!(e.is_object() && Str(e.get_object(), "type") == "role" && NameEquals(Str(e.get_object(), "name"), name))) {
          kept.push_back(e);
        }
      }
      (*attachments)[model::iam::kEntities] = std::move(kept);
      Write(draft, AttachmentsKey(*ref), *attachments);
    }
    draft.Delete(kRole.key(name));
    std::string service = path.substr(std::string_view("/aws-service-role/").size());
    if (!service.empty() && service.back() == '/') service.pop_back();
    std::string task = "task/aws-service-role/" + service + "/" + Str(role, "RoleName") + "/" + RandomUuid(deps.random);
    return Decision(store::Commit(Outcome(object{{"DeletionTaskId", task}})));
  });
}

Outcome GetServiceLinkedRoleDeletionStatus(const Deps& deps, const RequestContext&, object& in) {
  std::string task = Arg(in, "DeletionTaskId");
  std::string_view rest = task;
  if (!rest.starts_with("task/aws-service-role/")) {
    return InvalidInput("Invalid deletion task id: " + task);
  }
  rest.remove_prefix(std::string_view("task/aws-service-role/").size());
  size_t last = rest.rfind('/');
  size_t name_start = last == std::string_view::npos ? 0 : rest.rfind('/', last - 1);
  if (last == std::string_view::npos || name_start == std::string_view::npos) {
    return InvalidInput("Invalid deletion task id: " + task);
  }
  std::string name(rest.substr(name_start + 1, last - name_start - 1));
  auto got = deps.store.Get(kRole.key(name));
  if (!got.ok()) return IamError(got.status());
  return object{{"Status", got->has_value() ? "IN_PROGRESS" : "SUCCEEDED"}};
}

}  // namespace wharf::api::iam
