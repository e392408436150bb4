// Managed policies attached to users, groups and roles, and their inline policies. An
// attachment is written on both sides in one transaction: the entity's attachedPolicies and
// the policy's (or AWS managed policy's attachment record's) entities.
#include <cctype>

#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

size_t InlineQuota(const EntityKind& kind) {
  if (kind.type == "user") return 2048;
  if (kind.type == "group") return 5120;
  return 10240;
}

bool IsEntry(const json::value& e, const EntityKind& kind, std::string_view name) {
  return e.is_object() && Str(e.get_object(), "type") == kind.type && NameEquals(Str(e.get_object(), "name"), name);
}

}  // namespace

std::optional<AwsError> CheckDocument(PolicyKind kind, std::string_view text) {
  Status s = ValidatePolicyDocument(kind, text);
  if (s.ok()) return std::nullopt;
  return AwsError{"MalformedPolicyDocument", s.message(), 400};
}

std::optional<AwsError> PoliciesRemain(const object& record) {
  if (!wharf::GetArray(record, fields::kAttachedPolicies).empty()) {
    return DeleteConflict("Cannot delete entity, must detach all policies first.");
  }
  if (!wharf::GetObject(record, fields::kInlinePolicies).empty()) {
    return DeleteConflict("Cannot delete entity, must delete policies first.");
  }
  return std::nullopt;
}

Status RenameInAttachments(const Deps& deps, store::Draft& draft, const object& record, std::string_view type,
                           std::string_view old_name, std::string_view new_name) {
  for (const auto& arn : wharf::GetArray(record, fields::kAttachedPolicies)) {
    auto ref = ParsePolicyArn(deps, arn.as_string());
    if (!ref) continue;
    ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(*ref)));
    if (!attachments) continue;
    for (auto& e : ArrayField(*attachments, fields::kEntities)) {
      if (Str(e.as_object(), "type") == type && NameEquals(Str(e.as_object(), "name"), old_name)) {
        e.as_object()["name"] = std::string(new_name);
      }
    }
    Write(draft, AttachmentsKey(*ref), *attachments);
  }
  return Status::OK();
}

std::variant<object, AwsError> BoundaryFor(const Deps& deps, store::Draft& draft, std::string_view arn) {
  auto ref = ParsePolicyArn(deps, arn);
  bool exists = false;
  if (ref) {
    auto found = PolicyExists(draft, *ref);
    exists = found.ok() && *found;
  }
  if (!exists) {
    return NoSuchEntity("Scope ARN: " + std::string(arn) + " does not exist or is not attachable.");
  }
  return object{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"}, {"PermissionsBoundaryArn", arn}};
}

Outcome AttachPolicy(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string arn = Arg(in, "PolicyArn");
  auto ref = ParsePolicyArn(deps, arn);
  if (!ref) {
    if (!arn.starts_with("arn:")) return InvalidInput("ARN " + arn + " is not valid.");
    return NotAttachable(arn);
  }
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kind, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    ASSIGN_OR_RETURN(bool exists, PolicyExists(draft, *ref));
    if (!exists) return Decision(NotAttachable(arn));
    array& attached = ArrayField(record, fields::kAttachedPolicies);
    if (Contains(attached, arn)) return Decision(Outcome(object()));
    if (attached.size() >= 10) {
      return Decision(LimitExceeded("Cannot exceed quota for PoliciesPer" + std::string(kind.title) + ": 10"));
    }
    attached.emplace_back(json::string(arn));
    ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(*ref)));
    object policy = attachments.value_or(object());
    if (ref->aws_managed) policy["policyArn"] = ref->arn;
    ArrayField(policy, fields::kEntities)
        .push_back(object{{"type", kind.type}, {"name", Str(wharf::GetObject(record, kind.shape), kind.name_member)}});
    Write(draft, AttachmentsKey(*ref), policy);
    Write(draft, kind.key(name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome DetachPolicy(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string arn = Arg(in, "PolicyArn");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kind, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    auto ref = ParsePolicyArn(deps, arn);
    if (!ref || !RemoveValue(ArrayField(record, fields::kAttachedPolicies), arn)) {
      return Decision(NoSuchEntity("Policy " + arn + " was not found."));
    }
    ASSIGN_OR_RETURN(auto attachments, Read(draft, AttachmentsKey(*ref)));
    if (attachments) {
      array kept;
      for (const auto& e : wharf::GetArray(*attachments, fields::kEntities)) {
        if (!IsEntry(e, kind, name)) kept.push_back(e);
      }
      (*attachments)[fields::kEntities] = std::move(kept);
      Write(draft, AttachmentsKey(*ref), *attachments);
    }
    Write(draft, kind.key(name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome ListAttachedPolicies(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string prefix = Arg(in, "PathPrefix");
  auto got = deps.store.Get(kind.key(name));
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) return NoSuchEntityOf(kind, name);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*got)->value), IamError);
  array out;
  for (const auto& arn : wharf::GetArray(record, fields::kAttachedPolicies)) {
    if (!arn.is_string()) continue;
    auto ref = ParsePolicyArn(deps, arn.get_string());
    if (!ref) continue;
    // The path is the ARN's part between "policy" and the name.
    std::string_view a = arn.get_string();
    size_t start = a.find(":policy") + 7;
    std::string path(a.substr(start, a.size() - start - ref->name.size()));
    if (!PathHasPrefix(path, prefix)) continue;
    out.push_back(object{{"PolicyName", ref->name}, {"PolicyArn", arn}});
  }
  return Paginate(std::move(out), in, "AttachedPolicies");
}

Outcome PutInlinePolicy(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string policy_name = Arg(in, "PolicyName");
  std::string document = Arg(in, "PolicyDocument");
  if (auto err = CheckDocument(PolicyKind::kIdentity, document)) return *err;
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kind, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    object& policies = ObjectField(record, fields::kInlinePolicies);
    policies[policy_name] = document;
    size_t total = 0;
    for (const auto& [_, doc] : policies) total += doc.is_string() ? PolicySize(doc.get_string()) : 0;
    if (total > InlineQuota(kind)) {
      return Decision(LimitExceeded("Maximum policy size of " + std::to_string(InlineQuota(kind)) +
                                    " bytes exceeded for " + std::string(kind.type) + " " + name));
    }
    Write(draft, kind.key(name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome GetInlinePolicy(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string policy_name = Arg(in, "PolicyName");
  auto got = deps.store.Get(kind.key(name));
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) return NoSuchEntityOf(kind, name);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*got)->value), IamError);
  const object& policies = wharf::GetObject(record, fields::kInlinePolicies);
  auto it = policies.find(policy_name);
  if (it == policies.end() || !it->value().is_string()) {
    return NoSuchEntity("The " + std::string(kind.type) + " policy with name " + policy_name + " cannot be found.");
  }
  return object{{kind.name_member, Str(wharf::GetObject(record, kind.shape), kind.name_member)},
                {"PolicyName", policy_name},
                {"PolicyDocument", EncodeDocument(it->value().get_string())}};
}

Outcome DeleteInlinePolicy(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  std::string policy_name = Arg(in, "PolicyName");
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kind, name));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object record = std::get<object>(std::move(found));
    object& policies = ObjectField(record, fields::kInlinePolicies);
    if (!policies.erase(policy_name)) {
      return Decision(NoSuchEntity("The " + std::string(kind.type) + " policy with name " + policy_name +
                                   " cannot be found."));
    }
    if (policies.empty()) record.erase(fields::kInlinePolicies);
    Write(draft, kind.key(name), record);
    return Decision(store::Commit(Outcome(object())));
  });
}

Outcome ListInlinePolicies(const EntityKind& kind, const Deps& deps, object& in) {
  std::string name = Arg(in, kind.name_member);
  auto got = deps.store.Get(kind.key(name));
  if (!got.ok()) return IamError(got.status());
  if (!got->has_value()) return NoSuchEntityOf(kind, name);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*got)->value), IamError);
  array names;
  for (const auto& [policy_name, _] : wharf::GetObject(record, fields::kInlinePolicies)) {
    names.emplace_back(json::string(policy_name));
  }
  return Paginate(std::move(names), in, "PolicyNames");
}

}  // namespace wharf::api::iam
