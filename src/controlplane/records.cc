#include "controlplane/records.h"

#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace json = boost::json;

Result<std::optional<StoredRecord>> ReadRecord(store::Store& store, std::string_view key) {
  ASSIGN_OR_RETURN(auto kv, store.Get(key));
  if (!kv) return std::optional<StoredRecord>();
  ASSIGN_OR_RETURN(json::object value, ParseObject(kv->value));
  return std::optional<StoredRecord>(StoredRecord{std::string(key), std::move(value), kv->mod_revision});
}

Result<std::vector<StoredRecord>> ReadRecords(store::Store& store, std::string_view prefix) {
  ASSIGN_OR_RETURN(store::Page page, store.List(prefix, "", 0));
  std::vector<StoredRecord> out;
  out.reserve(page.items.size());
  for (auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object value, ParseObject(kv.value));
    out.push_back(StoredRecord{std::move(kv.key), std::move(value), kv.mod_revision});
  }
  return out;
}

Result<std::optional<json::object>> GetRecord(store::Draft& draft, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, draft.Get(key));
  if (!value) return std::optional<json::object>();
  ASSIGN_OR_RETURN(json::object obj, ParseObject(*value));
  return std::optional<json::object>(std::move(obj));
}

void PutRecord(store::Draft& draft, std::string key, const json::object& record) {
  draft.Put(std::move(key), Serialize(record));
}

Result<std::vector<json::object>> LoadRecords(store::Store& store, std::string_view prefix) {
  ASSIGN_OR_RETURN(store::Page page, store.List(prefix, "", 0));
  std::vector<json::object> out;
  out.reserve(page.items.size());
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object value, ParseObject(kv.value));
    out.push_back(std::move(value));
  }
  return out;
}

Result<std::vector<json::object>> LoadContainerInstances(store::Store& store, std::string_view cluster) {
  return LoadRecords(store, cluster.empty() ? std::string(model::keys::kContainerInstances)
                                            : model::keys::ContainerInstancesPrefix(cluster));
}

std::optional<TaskDefinitionReference> ParseTaskDefinitionReference(std::string_view text) {
  size_t slash = text.find(":task-definition/");
  if (text.substr(0, 4) == "arn:") {
    if (slash == std::string_view::npos) return std::nullopt;
    text = text.substr(slash + 17);
  }
  TaskDefinitionReference ref;
  size_t colon = text.rfind(':');
  ref.family = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string rev(text.substr(colon + 1));
    if (rev.empty() || rev.size() > 18 || rev.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    ref.revision = std::stoll(rev);
  }
  if (ref.family.empty()) return std::nullopt;
  return ref;
}

Result<std::optional<TaskDefinitionRevision>> FindTaskDefinitionRevision(store::Store& store,
                                                                         const TaskDefinitionReference& ref) {
  if (ref.revision) {
    std::string key = model::keys::TaskDefinitionKey(ref.family, *ref.revision);
    ASSIGN_OR_RETURN(auto found, ReadRecord(store, key));
    if (!found) return std::optional<TaskDefinitionRevision>();
    return std::optional<TaskDefinitionRevision>(TaskDefinitionRevision{std::move(found->value), found->mod_revision, key});
  }
  ASSIGN_OR_RETURN(auto family, ReadRecord(store, model::keys::FamilyKey(ref.family)));
  int64_t latest = family ? GetInt(family->value, "latestActive").value_or(0) : 0;
  if (latest == 0) return std::optional<TaskDefinitionRevision>();
  return FindTaskDefinitionRevision(store, TaskDefinitionReference{ref.family, latest});
}

Result<std::optional<json::object>> FindTaskDefinition(store::Store& store, std::string_view reference) {
  auto ref = ParseTaskDefinitionReference(reference);
  if (!ref) return std::optional<json::object>();
  ASSIGN_OR_RETURN(auto found, FindTaskDefinitionRevision(store, *ref));
  if (!found) return std::optional<json::object>();
  return std::optional<json::object>(GetObject(found->record, "taskDefinition"));
}

}  // namespace wharf::controlplane
