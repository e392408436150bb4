// AddTags, RemoveTags, DescribeTags on load balancers, target groups, listeners and rules.
// Tags live in the resource's own record ("tags"; a listener's default rule: the listener
// record's "defaultRuleTags").
#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

namespace {

Lookup Resolve(Context& c, const std::string& arn) {
  auto parts = ArnParts(c.deps, arn);
  std::string kind = parts.empty() ? "" : parts[0];
  if (kind == "loadbalancer") return GetLoadBalancer(c, arn);
  if (kind == "targetgroup") return GetTargetGroup(c, arn);
  if (kind == "listener") return GetListener(c, arn);
  if (kind == "listener-rule") return GetRule(c, arn);
  return ValidationError("'" + arn + "' is not a valid resource ARN");
}

std::string_view TagField(const Record& r) {
  return r.is_default_rule ? "defaultRuleTags" : "tags";
}

// Applies `change` to the tags of every resource, all in one transaction.
Outcome Retag(Context& c, const json::array& arns,
              const std::function<std::optional<AwsError>(json::array& tags)>& change) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    std::map<std::string, Record> records;  // by key: a listener and its default rule share one
    for (const auto& a : arns) {
      std::string arn(a.get_string());
      Lookup found = Resolve(c, arn);
      if (auto* err = std::get_if<AwsError>(&found)) return *err;
      Record& fresh = std::get<Record>(found);
      auto [it, added] = records.emplace(fresh.key, fresh);
      Record& record = it->second;
      std::string field(TagField(fresh));
      json::array tags = GetArray(record.value, field);
      if (auto err = change(tags)) return *err;
      record.value[field] = std::move(tags);
    }
    store::Txn txn;
    for (const auto& [key, record] : records) {
      txn.compares.push_back({key, record.mod_revision});
      txn.ops.push_back(store::Op::Put(key, Serialize(record.value)));
    }
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    return json::object{};
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace

ResourceTags ResourceTagsOf(Context& c, const std::string& arn) {
  Lookup found = Resolve(c, arn);
  auto* record = std::get_if<Record>(&found);
  return record ? TagPairs(GetArray(record->value, TagField(*record)), "Key", "Value") : ResourceTags();
}

Outcome AddTags(Context& c, const RequestContext&, object& in) {
  const json::array& tags = GetArray(in, "Tags");
  if (auto err = CheckNewTags(tags)) return *err;
  return Retag(c, GetArray(in, "ResourceArns"),
               [&](json::array& existing) -> std::optional<AwsError> {
                 MergeByKey(existing, tags, "Key");
                 if (existing.size() > kMaxTags)
                   return AwsError::Client("TooManyTags", "A resource can have at most 50 tags");
                 return std::nullopt;
               });
}

Outcome RemoveTags(Context& c, const RequestContext&, object& in) {
  const json::array& keys = GetArray(in, "TagKeys");
  return Retag(c, GetArray(in, "ResourceArns"),
               [&](json::array& existing) -> std::optional<AwsError> {
                 json::array kept;
                 for (const auto& t : existing) {
                   bool drop = false;
                   for (const auto& k : keys)
                     drop = drop || k.get_string() == GetString(t.as_object(), "Key");
                   if (!drop) kept.push_back(t);
                 }
                 existing = std::move(kept);
                 return std::nullopt;
               });
}

Outcome DescribeTags(Context& c, const RequestContext&, object& in) {
  json::array out;
  for (const auto& a : GetArray(in, "ResourceArns")) {
    std::string arn(a.get_string());
    Lookup found = Resolve(c, arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    out.push_back(
        json::object{{"ResourceArn", arn}, {"Tags", GetArray(record.value, TagField(record))}});
  }
  return json::object{{"TagDescriptions", std::move(out)}};
}

}  // namespace wharf::api::elbv2
