// A JSON record read from the store with the revision a later write must compare against.
// The API handlers keep their resources this way (one JSON object per key).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

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

}  // namespace wharf::api
