#include "store/update.h"

#include <algorithm>

namespace wharf::store {

Result<std::optional<std::string>> Draft::Get(const std::string& key) {
  auto written = std::find_if(writes_.begin(), writes_.end(),
                              [&](const Op& op) { return op.key == key; });
  if (written != writes_.end()) {
    if (written->kind == Op::Kind::kDelete) return std::optional<std::string>();
    return std::optional<std::string>(written->value);
  }
  auto it = read_.find(key);
  if (it == read_.end()) {
    ASSIGN_OR_RETURN(std::optional<KeyValue> kv, store_.Get(key));
    Read read;
    if (kv) read = Read{kv->mod_revision, std::move(kv->value)};
    it = read_.emplace(key, std::move(read)).first;
  }
  return it->second.value;
}

void Draft::Put(std::string key, std::string value) {
  std::erase_if(writes_, [&](const Op& op) { return op.key == key; });
  writes_.push_back(Op::Put(std::move(key), std::move(value)));
}

void Draft::Delete(std::string key) {
  std::erase_if(writes_, [&](const Op& op) { return op.key == key; });
  writes_.push_back(Op::Delete(std::move(key)));
}

Txn Draft::ToTxn() const {
  Txn txn;
  for (const auto& [key, read] : read_) txn.compares.push_back({key, read.mod_revision});
  txn.ops = writes_;
  return txn;
}

}  // namespace wharf::store
