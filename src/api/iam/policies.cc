// Managed policies: this account's (records with their versions, at most five) and AWS's
// (built in, managed_policies.h; their attachments in a record of their own).
#include <algorithm>

#include <cctype>

#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

std::optional<AwsError> CheckManagedDocument(std::string_view text) {
  if (auto err = CheckDocument(PolicyKind::kManaged, text)) return err;
  if (PolicySize(text) > 6144) return LimitExceeded("Cannot exceed quota for PolicySize: 6144");
  return std::nullopt;
}

AwsError PolicyNotFound(std::string_view arn) {
  return NoSuchEntity("Policy " + std::string(arn) + " was not found.");
}

// The Policy shape of an AWS managed policy.
object ManagedShape(const ManagedPolicy& p, size_t attachments) {
  return object{{"PolicyName", p.name},
                {"PolicyId", p.id},
                {"Arn", p.arn},
                {"Path", p.path},
                {"DefaultVersionId", p.default_version},
                {"AttachmentCount", attachments},
                {"PermissionsBoundaryUsageCount", 0},
                {"IsAttachable", true},
                {"CreateDate", p.create_date},
                {"UpdateDate", p.update_date}};
}

// The Policy shape of a customer policy record; `full` keeps Description and Tags.
object CustomerShape(const object& record, bool full) {
  object policy = wharf::GetObject(record, "Policy");
  policy["AttachmentCount"] = wharf::GetArray(record, fields::kEntities).size();
  if (!full) {
    policy.erase("Description");
    policy.erase("Tags");
  }
  return policy;
}

object VersionShape(const object& version, bool document) {
  object out{{"VersionId", Str(version, "VersionId")},
             {"IsDefaultVersion", wharf::GetBool(version, "IsDefaultVersion").value_or(false)},
             {"CreateDate", version.contains("CreateDate") ? version.at("CreateDate") : json::value(0)}};
  if (document) out["Document"] = EncodeDocument(Str(version, "Document"));
  return out;
}

struct Loaded {
  PolicyRef ref;
  std::optional<object> record;  // customer policies
};

// The policy named by the request's PolicyArn, read through the draft.
Result<std::variant<Loaded, AwsError>> LoadPolicy(const Deps& deps, store::Draft& draft, const object& in) {
  std::string arn = Arg(in, "PolicyArn");
  auto ref = ParsePolicyArn(deps, arn);
  if (!ref) {
    if (!arn.starts_with("arn:")) return std::variant<Loaded, AwsError>(InvalidInput("ARN " + arn + " is not valid."));
    return std::variant<Loaded, AwsError>(PolicyNotFound(arn));
  }
  if (ref->aws_managed) return std::variant<Loaded, AwsError>(Loaded{*ref, std::nullopt});
  ASSIGN_OR_RETURN(auto record, Read(draft, model::keys::IamPolicyKey(ref->name)));
  if (!record || Str(wharf::GetObject(*record, "Policy"), "Arn") != arn) {
    return std::variant<Loaded, AwsError>(PolicyNotFound(arn));
  }
  return std::variant<Loaded, AwsError>(Loaded{*ref, std::move(record)});
}

AwsError AwsPolicyUnchangeable(const RequestContext& ctx, std::string_view action, std::string_view arn) {
  return AwsError{"AccessDenied",
                  "User: " + ctx.principal_arn + " is not authorized to perform: iam:" + std::string(action) +
                      " on resource: policy " + std::string(arn) + " because no identity-based policy allows the iam:" +
                      std::string(action) + " action",
                  403};
}

// A change to a customer policy record: `change` edits it or answers an error.
Outcome ChangePolicy(const Deps& deps, const RequestContext& ctx, const object& in, std::string_view action,
                     const std::function<std::variant<object, AwsError>(object& record)>& change) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    if (!policy.record) return Decision(AwsPolicyUnchangeable(ctx, action, policy.ref.arn));
    auto answer = change(*policy.record);
    if (auto* err = std::get_if<AwsError>(&answer)) return Decision(*err);
    Write(draft, model::keys::IamPolicyKey(policy.ref.name), *policy.record);
    return Decision(store::Commit(Outcome(std::get<object>(std::move(answer)))));
  });
}

}  // namespace

Outcome CreatePolicy(const Deps& deps, const RequestContext&, object& in) {
  std::string name = Arg(in, "PolicyName");
  std::string document = Arg(in, "PolicyDocument");
  if (auto err = CheckManagedDocument(document)) return *err;
  std::string path = PathOf(in);
  double now = Now(deps);
  object policy{{"PolicyName", name},
                {"PolicyId", model::iam::NewUniqueId(deps.random, model::iam::kPolicyIdPrefix)},
                {"Arn", model::iam::IamArn(deps.account_id, "policy", path, name)},
                {"Path", path},
                {"DefaultVersionId", "v1"},
                {"PermissionsBoundaryUsageCount", 0},
                {"IsAttachable", true},
                {"CreateDate", now},
                {"UpdateDate", now}};
  if (in.contains("Description")) policy["Description"] = Arg(in, "Description");
  if (auto err = MergeTags(policy, in.if_contains("Tags"), "TagsPerPolicy")) return *err;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto existing, Read(draft, model::keys::IamPolicyKey(name)));
    if (existing) {
      return Decision(EntityAlreadyExists("A policy called " + name + " already exists. Duplicate names are not allowed."));
    }
    object record{{"Policy", policy},
                  {fields::kVersions,
                   array{object{{"VersionId", "v1"}, {"Document", document}, {"IsDefaultVersion", true}, {"CreateDate", now}}}},
                  {fields::kNextVersion, 2},
                  {fields::kEntities, array()}};
    Write(draft, model::keys::IamPolicyKey(name), record);
    object shape = CustomerShape(record, true);
    shape.erase("Description");
    return Decision(store::Commit(Outcome(object{{"Policy", std::move(shape)}})));
  });
}

Outcome GetPolicy(const Deps& deps, const RequestContext&, object& in) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    if (policy.record) return Decision(Outcome(object{{"Policy", CustomerShape(*policy.record, true)}}));
    ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(policy.ref)));
    size_t count = attachments ? wharf::GetArray(*attachments, fields::kEntities).size() : 0;
    return Decision(Outcome(object{{"Policy", ManagedShape(*policy.ref.managed, count)}}));
  });
}

Result<std::vector<object>> AllPolicies(const Deps& deps, bool documents) {
  std::vector<object> out;
  ASSIGN_OR_RETURN(auto attachments, LoadAll(deps, model::keys::kIamAwsPolicyAttachments));
  for (const auto& p : ManagedPolicies()) {
    size_t count = 0;
    for (const auto& a : attachments) {
      if (Str(a, "policyArn") == p.arn) count = wharf::GetArray(a, fields::kEntities).size();
    }
    object shape = ManagedShape(p, count);
    if (documents) {
      shape["PolicyVersionList"] = array{object{{"Document", EncodeDocument(p.document)},
                                                {"VersionId", p.default_version},
                                                {"IsDefaultVersion", true},
                                                {"CreateDate", p.update_date}}};
    }
    out.push_back(std::move(shape));
  }
  ASSIGN_OR_RETURN(auto records, LoadAll(deps, model::keys::kIamPolicies));
  for (const auto& record : records) {
    object shape = CustomerShape(record, documents);
    if (documents) {
      shape.erase("Tags");
      array versions;
      for (const auto& v : wharf::GetArray(record, fields::kVersions)) {
        if (v.is_object()) versions.push_back(VersionShape(v.get_object(), true));
      }
      shape["PolicyVersionList"] = std::move(versions);
    }
    out.push_back(std::move(shape));
  }
  return out;
}

Outcome ListPolicies(const Deps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto policies, AllPolicies(deps, false), IamError);
  std::string scope = Arg(in, "Scope");
  bool only_attached = wharf::GetBool(in, "OnlyAttached").value_or(false);
  std::string prefix = Arg(in, "PathPrefix");
  array out;
  for (auto& p : policies) {
    bool aws = model::iam::IsAwsManagedPolicyArn(Str(p, "Arn"));
    if ((scope == "AWS" && !aws) || (scope == "Local" && aws)) continue;
    if (only_attached && wharf::GetInt(p, "AttachmentCount").value_or(0) == 0) continue;
    if (!PathHasPrefix(Str(p, "Path"), prefix)) continue;
    out.push_back(std::move(p));
  }
  return Paginate(std::move(out), in, "Policies");
}

Outcome DeletePolicy(const Deps& deps, const RequestContext& ctx, object& in) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    if (!policy.record) return Decision(AwsPolicyUnchangeable(ctx, "DeletePolicy", policy.ref.arn));
    if (!wharf::GetArray(*policy.record, fields::kEntities).empty()) {
      return Decision(DeleteConflict("Cannot delete a policy attached to entities."));
    }
    if (wharf::GetArray(*policy.record, fields::kVersions).size() > 1) {
      return Decision(DeleteConflict(
          "This policy has more than one version. Before you delete a policy, you must delete the policy's "
          "versions. The default version is deleted with the policy."));
    }
    draft.Delete(model::keys::IamPolicyKey(policy.ref.name));
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome CreatePolicyVersion(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string document = Arg(in, "PolicyDocument");
  if (auto err = CheckManagedDocument(document)) return *err;
  bool set_default = wharf::GetBool(in, "SetAsDefault").value_or(false);
  double now = Now(deps);
  return ChangePolicy(deps, ctx, in, "CreatePolicyVersion", [&](object& record) -> std::variant<object, AwsError> {
    array& versions = ArrayField(record, fields::kVersions);
    if (versions.size() >= 5) {
      return LimitExceeded(
          "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
          "existing version.");
    }
    int64_t n = wharf::GetInt(record, fields::kNextVersion).value_or(static_cast<int64_t>(versions.size()) + 1);
    std::string id = "v" + std::to_string(n);
    record[fields::kNextVersion] = n + 1;
    object& policy = ObjectField(record, "Policy");
    if (set_default) {
      for (auto& v : versions) v.get_object()["IsDefaultVersion"] = false;
      policy["DefaultVersionId"] = id;
    }
    policy["UpdateDate"] = now;
    object version{{"VersionId", id}, {"Document", document}, {"IsDefaultVersion", set_default}, {"CreateDate", now}};
    versions.push_back(version);
    return object{{"PolicyVersion", VersionShape(version, false)}};
  });
}

Outcome GetPolicyVersion(const Deps& deps, const RequestContext&, object& in) {
  std::string version_id = Arg(in, "VersionId");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    AwsError missing = NoSuchEntity("Policy " + policy.ref.arn + " version " + version_id +
                                    " does not exist or is not attachable.");
    if (!policy.record) {
      const ManagedPolicy& p = *policy.ref.managed;
      if (version_id != p.default_version) return Decision(missing);
      return Decision(Outcome(object{{"PolicyVersion", object{{"Document", EncodeDocument(p.document)},
                                                              {"VersionId", p.default_version},
                                                              {"IsDefaultVersion", true},
                                                              {"CreateDate", p.update_date}}}}));
    }
    for (const auto& v : wharf::GetArray(*policy.record, fields::kVersions)) {
      if (v.is_object() && Str(v.get_object(), "VersionId") == version_id) {
        return Decision(Outcome(object{{"PolicyVersion", VersionShape(v.get_object(), true)}}));
      }
    }
    return Decision(missing);
  });
}

Outcome ListPolicyVersions(const Deps& deps, const RequestContext&, object& in) {
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    array versions;
    if (!policy.record) {
      versions.push_back(object{{"VersionId", policy.ref.managed->default_version},
                                {"IsDefaultVersion", true},
                                {"CreateDate", policy.ref.managed->update_date}});
    } else {
      // Newest first, as IAM lists them.
      const array& stored = wharf::GetArray(*policy.record, fields::kVersions);
      for (auto it = stored.rbegin(); it != stored.rend(); ++it) {
        if (it->is_object()) versions.push_back(VersionShape(it->get_object(), false));
      }
    }
    return Decision(Outcome(Paginate(std::move(versions), in, "Versions")));
  });
}

Outcome DeletePolicyVersion(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string version_id = Arg(in, "VersionId");
  return ChangePolicy(deps, ctx, in, "DeletePolicyVersion", [&](object& record) -> std::variant<object, AwsError> {
    array& versions = ArrayField(record, fields::kVersions);
    for (auto it = versions.begin(); it != versions.end(); ++it) {
      if (!it->is_object() || Str(it->get_object(), "VersionId") != version_id) continue;
      if (wharf::GetBool(it->get_object(), "IsDefaultVersion").value_or(false)) {
        return DeleteConflict("Cannot delete the default version of a policy.");
      }
      versions.erase(it);
      return object();
    }
    return NoSuchEntity("Policy " + Str(wharf::GetObject(record, "Policy"), "Arn") + " version " + version_id +
                        " does not exist or is not attachable.");
  });
}

Outcome SetDefaultPolicyVersion(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string version_id = Arg(in, "VersionId");
  double now = Now(deps);
  return ChangePolicy(deps, ctx, in, "SetDefaultPolicyVersion", [&](object& record) -> std::variant<object, AwsError> {
    array& versions = ArrayField(record, fields::kVersions);
    bool found = false;
    for (auto& v : versions) found = found || Str(v.get_object(), "VersionId") == version_id;
    if (!found) {
      return NoSuchEntity("Policy " + Str(wharf::GetObject(record, "Policy"), "Arn") + " version " + version_id +
                          " does not exist or is not attachable.");
    }
    for (auto& v : versions) v.get_object()["IsDefaultVersion"] = Str(v.get_object(), "VersionId") == version_id;
    object& policy = ObjectField(record, "Policy");
    policy["DefaultVersionId"] = version_id;
    policy["UpdateDate"] = now;
    return object();
  });
}

Outcome TagPolicy(const Deps& deps, const RequestContext& ctx, object& in) {
  return ChangePolicy(deps, ctx, in, "TagPolicy", [&](object& record) -> std::variant<object, AwsError> {
    if (auto err = MergeTags(ObjectField(record, "Policy"), in.if_contains("Tags"), "TagsPerPolicy")) return *err;
    return object();
  });
}

Outcome UntagPolicy(const Deps& deps, const RequestContext& ctx, object& in) {
  return ChangePolicy(deps, ctx, in, "UntagPolicy", [&](object& record) -> std::variant<object, AwsError> {
    RemoveTags(ObjectField(record, "Policy"), in.if_contains("TagKeys"));
    return object();
  });
}

Outcome ListPolicyTags(const Deps& deps, const RequestContext& ctx, object& in) {
  Outcome got = GetPolicy(deps, ctx, in);
  if (!got.ok()) return got;
  return Paginate(wharf::GetArray(wharf::GetObject(got.output(), "Policy"), "Tags"), in, "Tags");
}

Outcome ListEntitiesForPolicy(const Deps& deps, const RequestContext&, object& in) {
  std::string filter = Arg(in, "EntityFilter");
  std::string prefix = Arg(in, "PathPrefix");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto loaded, LoadPolicy(deps, draft, in));
    if (auto* err = std::get_if<AwsError>(&loaded)) return Decision(*err);
    Loaded& policy = std::get<Loaded>(loaded);
    std::optional<object> attachments = policy.record;
    if (!attachments) {
      ASSIGN_OR_RETURN(attachments, Read(draft, AttachmentsKey(policy.ref)));
    }
    array users, groups, roles;
    for (const auto& e : attachments ? wharf::GetArray(*attachments, fields::kEntities) : array()) {
      if (!e.is_object()) continue;
      std::string type = Str(e.get_object(), "type");
      const EntityKind& kind = type == "user" ? kUser : type == "group" ? kGroup : kRole;
      if (!filter.empty() && filter != "LocalManagedPolicy" && filter != "AWSManagedPolicy" &&
          filter != kind.title) {
        continue;
      }
      ASSIGN_OR_RETURN(auto record, Read(draft, kind.key(Str(e.get_object(), "name"))));
      if (!record) continue;
      const object& shape = wharf::GetObject(*record, kind.shape);
      if (!PathHasPrefix(Str(shape, "Path"), prefix)) continue;
      object entry{{kind.name_member, Str(shape, kind.name_member)}, {kind.id_member, Str(shape, kind.id_member)}};
      (type == "user" ? users : type == "group" ? groups : roles).push_back(std::move(entry));
    }
    object out = Paginate(std::move(roles), in, "PolicyRoles");
    out["PolicyGroups"] = std::move(groups);
    out["PolicyUsers"] = std::move(users);
    return Decision(Outcome(std::move(out)));
  });
}

}  // namespace wharf::api::iam
