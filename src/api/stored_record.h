// A JSON record read from the store with the revision a later write must compare against.
// The API handlers keep their resources this way (one JSON object per key).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_util.h"
#include "base/status.h"
#include "store/store.h"
#include "store/update.h"

namespace wharf::api {

struct StoredRecord {
  std::string key;
  boost::json::object value;
  int64_t mod_revision = 0;
};

// The parsed record at `key`, or nullopt when absent. Internal when it is not a JSON object.
Result<std::optional<StoredRecord>> ReadStoredRecord(store::Store& store, const std::string& key);
// Every record under `prefix`, in key order.
Result<std::vector<StoredRecord>> ReadAllRecords(store::Store& store, std::string_view prefix);

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

}  // namespace wharf::api
