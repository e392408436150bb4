#include "store/region_store.h"

namespace wharf::store {

bool RegionStore::Shared(std::string_view key) const {
  for (const auto& p : shared_) {
    if (key.starts_with(p)) return true;
  }
  return false;
}

std::string RegionStore::Outer(std::string_view key) const {
  if (prefix_.empty() || Shared(key)) return std::string(key);
  return prefix_ + std::string(key);
}

std::string RegionStore::Inner(std::string_view key) const {
  if (!prefix_.empty() && key.starts_with(prefix_)) return std::string(key.substr(prefix_.size()));
  return std::string(key);
}

Result<std::optional<KeyValue>> RegionStore::Get(std::string_view key) {
  ASSIGN_OR_RETURN(auto kv, base_.Get(Outer(key)));
  if (kv) kv->key = Inner(kv->key);
  return kv;
}

Result<Page> RegionStore::List(std::string_view prefix, std::string_view start_after, size_t limit) {
  // A prefix shorter than a shared one ("elbv2/" over "elbv2/ports/") lists the region's
  // keys only: the shared keys under it belong to every region.
  std::string outer_start = start_after.empty() ? std::string() : Outer(start_after);
  ASSIGN_OR_RETURN(Page page, base_.List(Outer(prefix), outer_start, limit));
  for (auto& kv : page.items) kv.key = Inner(kv.key);
  return page;
}

Result<TxnResult> RegionStore::Commit(const Txn& txn) {
  if (prefix_.empty()) return base_.Commit(txn);
  Txn outer;
  outer.compares.reserve(txn.compares.size());
  outer.ops.reserve(txn.ops.size());
  for (const auto& c : txn.compares) outer.compares.push_back({Outer(c.key), c.mod_revision});
  for (const auto& op : txn.ops) outer.ops.push_back({op.kind, Outer(op.key), op.value});
  return base_.Commit(outer);
}

Result<std::unique_ptr<Watch>> RegionStore::WatchPrefix(std::string_view prefix, int64_t after_revision,
                                                        WatchCallback callback) {
  if (prefix_.empty()) return base_.WatchPrefix(prefix, after_revision, std::move(callback));
  return base_.WatchPrefix(Outer(prefix), after_revision,
                           [this, callback = std::move(callback)](const std::vector<Event>& events) {
                             std::vector<Event> inner = events;
                             for (auto& e : inner) e.kv.key = Inner(e.kv.key);
                             callback(inner);
                           });
}

Status RegionStore::Wipe() {
  if (prefix_.empty()) return base_.Wipe();
  while (true) {
    ASSIGN_OR_RETURN(Page page, base_.List(prefix_, "", 500));
    if (page.items.empty()) return Status::OK();
    Txn txn;
    for (const auto& kv : page.items) txn.ops.push_back(Op::Delete(kv.key));
    RETURN_IF_ERROR(base_.Commit(txn).status());
  }
}

}  // namespace wharf::store
