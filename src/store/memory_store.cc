#include "store/memory_store.h"

#include <algorithm>

namespace wharf::store {

struct MemoryStore::Watcher {
  std::string prefix;
  WatchCallback callback;
};

class MemoryStore::WatchHandle final : public Watch {
 public:
  WatchHandle(MemoryStore& store, std::shared_ptr<Watcher> watcher)
      : store_(store), watcher_(std::move(watcher)) {}
  ~WatchHandle() override {
    {
      MutexLock lock(store_.mu_);
      auto& ws = store_.watchers_;
      ws.erase(std::remove(ws.begin(), ws.end(), watcher_), ws.end());
    }
    // Wait out a delivery that may still be running with our callback.
    MutexLock wait(store_.notify_mu_);
  }

 private:
  MemoryStore& store_;
  std::shared_ptr<Watcher> watcher_;
};

namespace {

bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<Event> Matching(const std::vector<Event>& events, std::string_view prefix) {
  std::vector<Event> out;
  for (const Event& e : events) {
    if (HasPrefix(e.kv.key, prefix)) out.push_back(e);
  }
  return out;
}

}  // namespace

MemoryStore::MemoryStore(std::unique_ptr<Journal> journal, std::vector<KeyValue> initial,
                         int64_t revision)
    : journal_(std::move(journal)) {
  MutexLock lock(mu_);
  for (KeyValue& kv : initial) {
    std::string key = kv.key;
    data_.emplace(std::move(key), std::move(kv));
  }
  revision_ = revision;
  compacted_through_ = revision;
}

MemoryStore::~MemoryStore() = default;

Result<std::optional<KeyValue>> MemoryStore::Get(std::string_view key) {
  MutexLock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(it->second);
}

Result<Page> MemoryStore::List(std::string_view prefix, std::string_view start_after,
                               size_t limit) {
  MutexLock lock(mu_);
  Page page;
  page.revision = revision_;
  auto it = start_after.empty() || start_after < prefix ? data_.lower_bound(prefix)
                                                        : data_.upper_bound(start_after);
  for (; it != data_.end() && HasPrefix(it->first, prefix); ++it) {
    if (limit != 0 && page.items.size() == limit) {
      page.more = true;
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

Result<TxnResult> MemoryStore::Commit(const Txn& txn) {
  MutexLock lock(mu_);
  for (const Compare& c : txn.compares) {
    auto it = data_.find(c.key);
    int64_t actual = it == data_.end() ? 0 : it->second.mod_revision;
    if (actual != c.mod_revision) return TxnResult{false, revision_};
  }
  const int64_t next = revision_ + 1;
  // The effect of the ops in order, one event per touched key (the last op wins).
  std::map<std::string, Event> effects;
  for (const Op& op : txn.ops) {
    Event e;
    e.kv.key = op.key;
    e.kv.mod_revision = next;
    if (op.kind == Op::Kind::kPut) {
      e.type = Event::Type::kPut;
      e.kv.value = op.value;
      auto prior = effects.find(op.key);
      auto existing = data_.find(op.key);
      bool exists_before = prior != effects.end() ? prior->second.type == Event::Type::kPut
                                                  : existing != data_.end();
      if (prior != effects.end() && exists_before) {
        e.kv.create_revision = prior->second.kv.create_revision;
      } else if (prior == effects.end() && existing != data_.end()) {
        e.kv.create_revision = existing->second.create_revision;
      } else {
        e.kv.create_revision = next;
      }
    } else {
      bool exists = effects.count(op.key) ? effects[op.key].type == Event::Type::kPut
                                          : data_.count(op.key) > 0;
      if (!exists) {
        effects.erase(op.key);
        continue;
      }
      e.type = Event::Type::kDelete;
    }
    effects[op.key] = std::move(e);
  }
  std::vector<Event> events;
  for (auto& [key, e] : effects) events.push_back(std::move(e));
  if (events.empty()) return TxnResult{true, revision_};

  if (journal_) RETURN_IF_ERROR(journal_->Append(events, next).WithContext("journal"));
  for (const Event& e : events) {
    if (e.type == Event::Type::kPut) {
      data_[e.kv.key] = e.kv;
    } else {
      data_.erase(e.kv.key);
    }
  }
  revision_ = next;
  auto watchers = Record(events);
  MutexLock notify(notify_mu_);
  lock.Unlock();
  Deliver(watchers, events);
  return TxnResult{true, next};
}

std::vector<std::shared_ptr<MemoryStore::Watcher>> MemoryStore::Record(const std::vector<Event>& events) {
  for (const Event& e : events) history_.push_back(e);
  while (history_.size() > kHistoryLimit) {
    compacted_through_ = history_.front().kv.mod_revision;
    history_.pop_front();
  }
  // A revision must never be split by the trim above.
  while (!history_.empty() && history_.front().kv.mod_revision <= compacted_through_) {
    history_.pop_front();
  }
  return watchers_;
}

void MemoryStore::Deliver(const std::vector<std::shared_ptr<Watcher>>& watchers, const std::vector<Event>& events) {
  for (const auto& w : watchers) {
    auto mine = Matching(events, w->prefix);
    if (!mine.empty()) w->callback(mine);
  }
}

Result<std::unique_ptr<Watch>> MemoryStore::WatchPrefix(std::string_view prefix,
                                                        int64_t after_revision,
                                                        WatchCallback callback) {
  MutexLock lock(mu_);
  if (after_revision < compacted_through_) {
    return Status::FailedPrecondition("watch from revision " + std::to_string(after_revision) +
                                      ": compacted through " +
                                      std::to_string(compacted_through_));
  }
  auto watcher = std::make_shared<Watcher>(Watcher{std::string(prefix), std::move(callback)});
  std::vector<Event> replay;
  for (const Event& e : history_) {
    if (e.kv.mod_revision > after_revision && HasPrefix(e.kv.key, prefix)) replay.push_back(e);
  }
  watchers_.push_back(watcher);
  MutexLock notify(notify_mu_);
  lock.Unlock();
  if (!replay.empty()) watcher->callback(replay);
  return std::unique_ptr<Watch>(std::make_unique<WatchHandle>(*this, watcher));
}

Result<int64_t> MemoryStore::CurrentRevision() {
  MutexLock lock(mu_);
  return revision_;
}

Status MemoryStore::Wipe() {
  MutexLock lock(mu_);
  if (data_.empty()) return Status::OK();
  const int64_t next = revision_ + 1;
  if (journal_) RETURN_IF_ERROR(journal_->Wipe(next).WithContext("journal"));
  std::vector<Event> events;
  for (auto& [key, kv] : data_) {
    Event e;
    e.type = Event::Type::kDelete;
    e.kv.key = key;
    e.kv.mod_revision = next;
    events.push_back(std::move(e));
  }
  data_.clear();
  revision_ = next;
  auto watchers = Record(events);
  MutexLock notify(notify_mu_);
  lock.Unlock();
  Deliver(watchers, events);
  return Status::OK();
}

}  // namespace wharf::store
