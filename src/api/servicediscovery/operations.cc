// Operations (what the asynchronous calls answer) and tags on namespaces and services.
#include <boost/json/array.hpp>
#include <algorithm>

#include "api/servicediscovery/handlers.h"

namespace wharf::api::servicediscovery {
namespace json = boost::json;
namespace {

std::variant<bool, AwsError> MatchesFilter(const object& op, const object& filter, double now) {
  std::string name = GetString(filter, "Name"), condition = GetString(filter, "Condition", "EQ");
  std::vector<std::string> values;
  for (const auto& v : GetArray(filter, "Values")) values.emplace_back(v.as_string());
  if (name == "UPDATE_DATE") {
    if (condition != "BETWEEN" || values.size() != 2) {
      return InvalidInput("UPDATE_DATE takes the BETWEEN condition with two values.");
    }
    double update = model::PresentOperation(op, now).at("UpdateDate").to_number<double>();
    try {
      return update >= std::stod(values[0]) && update <= std::stod(values[1]);
    } catch (const std::exception&) {
      return InvalidInput("UPDATE_DATE values must be timestamps in seconds.");
    }
  }
  const object& targets = GetObject(op, "Targets");
  std::string field = name == "NAMESPACE_ID" ? GetString(targets, "NAMESPACE")
                      : name == "SERVICE_ID" ? GetString(targets, "SERVICE")
                      : name == "STATUS"     ? model::OperationStatusAt(op, now)
                                             : GetString(op, "Type");
  if (condition == "EQ" && values.size() != 1) return InvalidInput("The EQ condition takes exactly one value.");
  if (condition != "EQ" && condition != "IN") {
    return InvalidInput("The " + condition + " condition is not supported for the " + name + " filter.");
  }
  if (name == "NAMESPACE_ID" || name == "SERVICE_ID") {
    std::for_each(values.begin(), values.end(), [](std::string& v) { v = IdOf(v); });
  }
  return std::find(values.begin(), values.end(), field) != values.end();
}

// The stored record an ARN names (a namespace or a service) and its key.
std::variant<StoredRecord, AwsError> TaggedResource(const CloudMapDeps& deps, const std::string& arn) {
  AwsError missing = AwsError::Client("ResourceNotFoundException", "The operation can't be completed because the "
                                                                   "resource was not found: " + arn);
  std::string id = IdOf(arn);
  std::string key = arn == ResourceArn(deps, "namespace", id) ? model::keys::CloudMapNamespaceKey(id)
                    : arn == ResourceArn(deps, "service", id) ? model::keys::CloudMapServiceKey(id)
                                                              : "";
  if (key.empty()) return missing;
  auto record = controlplane::ReadRecord(deps.store, key);
  if (!record.ok()) return CloudMapError(record.status());
  if (!*record) return missing;
  return std::move(**record);
}

Outcome ChangeTags(const CloudMapDeps& deps, const std::string& arn,
                   const std::function<std::optional<AwsError>(json::array& tags)>& change) {
  auto found = TaggedResource(deps, arn);
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  std::string key = std::get<StoredRecord>(found).key;
  return Change(deps, [&](store::Draft& draft) -> Result<store::Decision<Outcome>> {
    ASSIGN_OR_RETURN(auto record, controlplane::GetRecord(draft, key));
    if (!record) return store::Decision<Outcome>(AwsError::Client("ResourceNotFoundException", "Not found: " + arn));
    json::array tags = GetArray(*record, "Tags");
    if (auto err = change(tags)) return store::Decision<Outcome>(*err);
    (*record)["Tags"] = std::move(tags);
    controlplane::PutRecord(draft, key, *record);
    return store::Decision<Outcome>(store::Commit(Outcome(object{})));
  });
}

}  // namespace

ResourceTags ResourceTagsOf(const CloudMapDeps& deps, std::string_view arn) {
  auto found = TaggedResource(deps, std::string(arn));
  const auto* stored = std::get_if<StoredRecord>(&found);
  return stored ? TagPairs(GetArray(stored->value, "Tags"), "Key", "Value") : ResourceTags();
}

Outcome GetOperation(const CloudMapDeps& deps, const RequestContext&, object& in) {
  std::string id = GetString(in, "OperationId");
  ASSIGN_OR_FAIL(auto record, controlplane::ReadRecord(deps.store, model::keys::CloudMapOperationKey(id)), CloudMapError);
  if (!record) return AwsError::Client("OperationNotFound", "No operation exists with the specified ID: " + id);
  return object{{"Operation", model::PresentOperation(record->value, Now(deps))}};
}

Outcome ListOperations(const CloudMapDeps& deps, const RequestContext&, object& in) {
  ASSIGN_OR_FAIL(auto all, LoadAll(deps, model::keys::kCloudMapOperations), CloudMapError);
  double now = Now(deps);
  auto matches = [now](const object& op, const object& filter) { return MatchesFilter(op, filter, now); };
  return ListPage(in, std::move(all), matches, [now](const object& op) -> Result<object> {
    return object{{"Id", GetString(op, "Id")}, {"Status", model::OperationStatusAt(op, now)}};
  }, "Operations");
}

Outcome TagResource(const CloudMapDeps& deps, const RequestContext&, object& in) {
  const json::array& added = GetArray(in, "Tags");
  if (auto err = CheckTags(added)) return *err;
  return ChangeTags(deps, GetString(in, "ResourceARN"), [&](json::array& tags) -> std::optional<AwsError> {
    MergeByKey(tags, added, "Key");
    return CheckTags(tags);
  });
}

Outcome UntagResource(const CloudMapDeps& deps, const RequestContext&, object& in) {
  const json::array& keys = GetArray(in, "TagKeys");
  return ChangeTags(deps, GetString(in, "ResourceARN"), [&](json::array& tags) -> std::optional<AwsError> {
    json::array kept;
    for (auto& t : tags) {
      std::string key = GetString(t.as_object(), "Key");
      bool removed = std::any_of(keys.begin(), keys.end(),
                                 [&](const json::value& k) { return std::string_view(k.as_string()) == key; });
      if (!removed) kept.push_back(std::move(t));
    }
    tags = std::move(kept);
    return std::nullopt;
  });
}

Outcome ListTagsForResource(const CloudMapDeps& deps, const RequestContext&, object& in) {
  auto found = TaggedResource(deps, GetString(in, "ResourceARN"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  return object{{"Tags", GetArray(std::get<StoredRecord>(found).value, "Tags")}};
}

}  // namespace wharf::api::servicediscovery
