#include "api/stored_record.h"

#include "api/json_util.h"

namespace wharf::api {

Result<std::optional<StoredRecord>> ReadStoredRecord(store::Store& store, const std::string& key) {
  ASSIGN_OR_RETURN(auto kv, store.Get(key));
  if (!kv) return std::optional<StoredRecord>();
  ASSIGN_OR_RETURN(boost::json::object obj, ParseObject(kv->value));
  return std::optional<StoredRecord>(StoredRecord{key, std::move(obj), kv->mod_revision});
}

Result<std::vector<StoredRecord>> ReadAllRecords(store::Store& store, std::string_view prefix) {
  ASSIGN_OR_RETURN(store::Page page, store.List(prefix, "", 0));
  std::vector<StoredRecord> out;
  out.reserve(page.items.size());
  for (auto& kv : page.items) {
    ASSIGN_OR_RETURN(boost::json::object obj, ParseObject(kv.value));
    out.push_back(StoredRecord{std::move(kv.key), std::move(obj), kv.mod_revision});
  }
  return out;
}

Result<std::optional<boost::json::object>> GetRecord(store::Draft& draft, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, draft.Get(key));
  if (!value) return std::optional<boost::json::object>();
  ASSIGN_OR_RETURN(boost::json::object obj, ParseObject(*value));
  return std::optional<boost::json::object>(std::move(obj));
}

void PutRecord(store::Draft& draft, std::string key, const boost::json::object& record) {
  draft.Put(std::move(key), Serialize(record));
}

}  // namespace wharf::api
