// The API handlers' JSON records in the store: controlplane/records.h, named here.
#pragma once

#include "api/json_util.h"
#include "controlplane/records.h"

namespace wharf::api {

using controlplane::GetRecord;
using controlplane::PutRecord;
using controlplane::StoredRecord;
using controlplane::UpdateRecord;

inline Result<std::optional<StoredRecord>> ReadStoredRecord(store::Store& store, const std::string& key) {
  return controlplane::ReadRecord(store, key);
}
inline Result<std::vector<StoredRecord>> ReadAllRecords(store::Store& store, std::string_view prefix) {
  return controlplane::ReadRecords(store, prefix);
}

}  // namespace wharf::api
