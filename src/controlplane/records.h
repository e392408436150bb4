// Reading the store's JSON records as the control plane and the API handlers share them.
// Keys are model/keys.h's; record shapes are drawn in docs/STATE.md.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/json.h"
#include "store/store.h"
#include "store/update.h"

namespace wharf::controlplane {

// A parsed record and the mod_revision it was read at (for a compare in the commit).
struct StoredRecord {
  std::string key;
  boost::json::object value;
  int64_t mod_revision = 0;
};

// Reads and parses the record at `key`; empty when absent. Internal when it is not a JSON
// object (the store is ours).
Result<std::optional<StoredRecord>> ReadRecord(store::Store& store, std::string_view key);
// Every record under `prefix`, in key order.
Result<std::vector<StoredRecord>> ReadRecords(store::Store& store, std::string_view prefix);

// Every record under `prefix`, parsed, in key order (the values only).
Result<std::vector<boost::json::object>> LoadRecords(store::Store& store, std::string_view prefix);

// store::Update on the JSON record at `key`:
// `mutate(std::optional<boost::json::object>& record) -> store::Decision<T>` sees the record
// (nullopt: absent) and may change, create or delete (reset) it. Internal when the stored
// value is not a JSON object. Answers as store::Update does.
template <typename Mutate>
auto UpdateRecord(store::Store& store, const std::string& key, Mutate&& mutate)
    -> Result<std::optional<store::DecisionOf<Mutate, std::optional<boost::json::object>&>>> {
  using T = store::DecisionOf<Mutate, std::optional<boost::json::object>&>;
  return store::Update(store, key, [&](std::optional<std::string>& value) -> Result<store::Decision<T>> {
    std::optional<boost::json::object> record;
    if (value) {
      ASSIGN_OR_RETURN(record, ParseObject(*value));
    }
    store::Decision<T> decision = mutate(record);
    if (decision.commits()) value = record ? std::optional<std::string>(Serialize(*record)) : std::nullopt;
    return decision;
  });
}

// The record at `key` as a multi-key store::Update's draft sees it; nullopt when absent.
Result<std::optional<boost::json::object>> GetRecord(store::Draft& draft, const std::string& key);
void PutRecord(store::Draft& draft, std::string key, const boost::json::object& record);
// Every container instance record of a cluster ("" for all clusters).
Result<std::vector<boost::json::object>> LoadContainerInstances(store::Store& store, std::string_view cluster);

// "family", "family:3" or "arn:aws:ecs:<region>:<account>:task-definition/family:3".
struct TaskDefinitionReference {
  std::string family;
  std::optional<int64_t> revision;  // none: the newest ACTIVE revision
};
std::optional<TaskDefinitionReference> ParseTaskDefinitionReference(std::string_view text);

// A stored revision: {"taskDefinition": <TaskDefinition shape>, "tags": [...]}.
struct TaskDefinitionRevision {
  boost::json::object record;
  int64_t mod_revision = 0;
  std::string key;
};
// The named revision, or the newest ACTIVE one for a bare family; empty when there is none.
Result<std::optional<TaskDefinitionRevision>> FindTaskDefinitionRevision(store::Store& store,
                                                                         const TaskDefinitionReference& ref);
// The TaskDefinition shape named by `reference`; empty when unparsable or absent.
Result<std::optional<boost::json::object>> FindTaskDefinition(store::Store& store, std::string_view reference);

}  // namespace wharf::controlplane
