// Scalable targets: RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget,
// and their tags (TagResource, UntagResource, ListTagsForResource).
#include <set>

#include "api/application_autoscaling/handlers.h"
#include "model/scalable_target.h"

namespace wharf::api::application_autoscaling {

namespace {

namespace keys = model::keys;

constexpr size_t kMaxTags = 50;

object DefaultSuspendedState() {
  return object{{"DynamicScalingInSuspended", false},
                {"DynamicScalingOutSuspended", false},
                {"ScheduledScalingSuspended", false}};
}

std::string NewTargetArn(const ScalingApiDeps& deps) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 36; ++i) id += kHex[deps.random.Next() % 16];
  return "arn:aws:application-autoscaling:" + deps.region + ":" + deps.account_id + ":scalable-target/" + id;
}

// The target record whose ScalableTargetARN is `arn`.
Result<std::optional<controlplane::StoredRecord>> FindByArn(const ScalingApiDeps& deps, const std::string& arn) {
  ASSIGN_OR_RETURN(auto targets, controlplane::ReadRecords(deps.store, keys::kScalableTargets));
  for (auto& t : targets) {
    if (GetString(t.value, "ScalableTargetARN") == arn) return std::optional<controlplane::StoredRecord>(std::move(t));
  }
  return std::optional<controlplane::StoredRecord>();
}

AwsError ArnNotFound(const std::string& arn) {
  return AwsError::Client("ResourceNotFoundException", "Scalable target with ARN " + arn + " not found.");
}

// Tags given as a map: keys 1-128 characters, values at most 256.
std::optional<AwsError> CheckTags(const object& tags) {
  if (tags.size() > kMaxTags) return AwsError::Client("TooManyTagsException", "A resource can have at most 50 tags.");
  for (const auto& kv : tags) {
    if (kv.key().empty() || kv.key().size() > 128 || kv.key().starts_with("aws:")) {
      return Validation("Tag key " + std::string(kv.key()) + " is not valid.");
    }
    if (!kv.value().is_string() || kv.value().get_string().size() > 256) {
      return Validation("The value of tag " + std::string(kv.key()) + " is not valid.");
    }
  }
  return std::nullopt;
}

}  // namespace

Outcome RegisterScalableTarget(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  const object& tags = GetObject(in, "Tags");
  if (auto e = CheckTags(tags)) return *e;
  auto service = model::ParseEcsServiceResourceId(id.resource_id);
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto ecs_service, controlplane::GetRecord(draft, keys::ServiceKey(service->cluster, service->service)));
    if (!ecs_service || GetString(*ecs_service, "status") != "ACTIVE") {
      return store::Decision<Outcome>(Validation("ECS service doesn't exist: " + id.resource_id));
    }
    const std::string key = keys::ScalableTargetKey(id.dimension, id.resource_id);
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, key));
    object target;
    if (existing) {
      target = *existing;
    } else {
      if (!Has(in, "MinCapacity") || !Has(in, "MaxCapacity")) {
        return store::Decision<Outcome>(
            Validation("MinCapacity and MaxCapacity are required for registering a new scalable target"));
      }
      target = object{{"ServiceNamespace", id.name_space},
                      {"ResourceId", id.resource_id},
                      {"ScalableDimension", id.dimension},
                      {"RoleARN", "arn:aws:iam::" + deps.account_id +
                                      ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
                                      "AWSServiceRoleForApplicationAutoScaling_ECSService"},
                      {"CreationTime", Now(deps)},
                      {"SuspendedState", DefaultSuspendedState()},
                      {"ScalableTargetARN", NewTargetArn(deps)},
                      {model::kTargetTags, object{}}};
    }
    for (const char* bound : {"MinCapacity", "MaxCapacity"}) {
      if (!Has(in, bound)) continue;
      if (GetInt(in, bound).value_or(-1) < 0) return store::Decision<Outcome>(Validation(std::string(bound) + " must be at least 0"));
      target[bound] = *GetInt(in, bound);
    }
    if (GetInt(target, "MinCapacity").value_or(0) > GetInt(target, "MaxCapacity").value_or(0)) {
      return store::Decision<Outcome>(Validation("Minimum capacity cannot be greater than maximum capacity"));
    }
    if (Has(in, "RoleARN")) target["RoleARN"] = GetString(in, "RoleARN");
    object suspended = GetObject(target, "SuspendedState");
    for (const auto& kv : GetObject(in, "SuspendedState")) suspended[kv.key()] = kv.value();
    target["SuspendedState"] = std::move(suspended);
    object all_tags = GetObject(target, model::kTargetTags);
    for (const auto& kv : tags) all_tags[kv.key()] = kv.value();
    if (all_tags.size() > kMaxTags) {
      return store::Decision<Outcome>(AwsError::Client("TooManyTagsException", "A resource can have at most 50 tags."));
    }
    target[model::kTargetTags] = std::move(all_tags);
    controlplane::PutRecord(draft, key, target);
    return store::Decision<Outcome>(store::Commit(Outcome(object{{"ScalableTargetARN", GetString(target, "ScalableTargetARN")}})));
  });
}

Outcome DescribeScalableTargets(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckNamespace(in)) return *e;
  std::set<std::string> wanted;
  for (const auto& r : GetArray(in, "ResourceIds")) {
    if (r.is_string()) wanted.emplace(r.get_string());
  }
  const std::string dimension = GetString(in, "ScalableDimension");
  auto targets = controlplane::LoadRecords(deps.store, keys::kScalableTargets);
  if (!targets.ok()) return ScalingError(targets.status());
  std::vector<object> found;
  for (auto& t : *targets) {
    if (!wanted.empty() && !wanted.count(GetString(t, "ResourceId"))) continue;
    if (!dimension.empty() && GetString(t, "ScalableDimension") != dimension) continue;
    found.push_back(std::move(t));
  }
  auto page = Page(in, std::move(found), "ScalableTargets", 50, 50);
  if (auto* e = std::get_if<AwsError>(&page)) return *e;
  return std::get<object>(std::move(page));
}

Outcome DeregisterScalableTarget(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  auto read = ReadTargetId(in);
  if (auto* e = std::get_if<AwsError>(&read)) return *e;
  const TargetId id = std::get<TargetId>(read);
  // Its policies (with the alarms they own) and scheduled actions go with it.
  auto policies = controlplane::ReadRecords(
      deps.store, std::string(keys::kScalingPolicies) + keys::ScalableTargetPart(id.dimension, id.resource_id));
  if (!policies.ok()) return ScalingError(policies.status());
  auto actions = controlplane::ReadRecords(
      deps.store, std::string(keys::kScheduledActions) + keys::ScalableTargetPart(id.dimension, id.resource_id));
  if (!actions.ok()) return ScalingError(actions.status());
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    const std::string key = keys::ScalableTargetKey(id.dimension, id.resource_id);
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, key));
    if (!existing) return store::Decision<Outcome>(TargetNotFound(id));
    for (const auto& p : *policies) {
      ASSIGN_OR_RETURN(auto policy, controlplane::GetRecord(draft, p.key));
      if (!policy) continue;
      DeletePolicyAlarms(draft, *policy);
      draft.Delete(p.key);
    }
    for (const auto& a : *actions) draft.Delete(a.key);
    draft.Delete(key);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

namespace {

// Changes the tags of the target `arn` names.
Outcome ChangeTags(const ScalingApiDeps& deps, const std::string& arn, const std::function<std::optional<AwsError>(object&)>& change) {
  auto found = FindByArn(deps, arn);
  if (!found.ok()) return ScalingError(found.status());
  if (!*found) return ArnNotFound(arn);
  const std::string key = (*found)->key;
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto target, controlplane::GetRecord(draft, key));
    if (!target) return store::Decision<Outcome>(ArnNotFound(arn));
    object tags = GetObject(*target, model::kTargetTags);
    if (auto e = change(tags)) return store::Decision<Outcome>(*e);
    (*target)[model::kTargetTags] = std::move(tags);
    controlplane::PutRecord(draft, key, *target);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

}  // namespace

Outcome TagResource(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  const object& add = GetObject(in, "Tags");
  if (auto e = CheckTags(add)) return *e;
  return ChangeTags(deps, GetString(in, "ResourceARN"), [&](object& tags) -> std::optional<AwsError> {
    for (const auto& kv : add) tags[kv.key()] = kv.value();
    if (tags.size() > kMaxTags) return AwsError::Client("TooManyTagsException", "A resource can have at most 50 tags.");
    return std::nullopt;
  });
}

Outcome UntagResource(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  const array& remove = GetArray(in, "TagKeys");
  return ChangeTags(deps, GetString(in, "ResourceARN"), [&](object& tags) -> std::optional<AwsError> {
    for (const auto& k : remove) {
      if (k.is_string()) tags.erase(k.get_string());
    }
    return std::nullopt;
  });
}

ResourceTags ResourceTagsOf(const ScalingApiDeps& deps, std::string_view arn) {
  if (!arn.starts_with("arn:") || arn.find(":scalable-target/") == std::string_view::npos) return {};
  auto found = FindByArn(deps, std::string(arn));
  if (!found.ok() || !*found) return {};
  return TagPairs(GetObject((*found)->value, model::kTargetTags));
}

Outcome ListTagsForResource(const ScalingApiDeps& deps, const RequestContext&, object& in) {
  const std::string arn = GetString(in, "ResourceARN");
  auto found = FindByArn(deps, arn);
  if (!found.ok()) return ScalingError(found.status());
  if (!*found) return ArnNotFound(arn);
  return object{{"Tags", GetObject((*found)->value, model::kTargetTags)}};
}

}  // namespace wharf::api::application_autoscaling
