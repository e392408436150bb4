// MemoryStore: the Store held in an ordered map, optionally backed by a Journal.
//
// Without a journal it is the test backend. With a journal (SQLite) every commit is
// written durably to the journal first and applied to the map only once that succeeded,
// so reads never wait on disk and never see an unacknowledged write.
//
// Locking: mu_ guards the data; notify_mu_ serialises watch delivery so watchers see
// commits in revision order. Order: mu_ before notify_mu_.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "base/mutex.h"
#include "store/store.h"

namespace wharf::store {

// Where a MemoryStore makes its changes durable.
class Journal {
 public:
  virtual ~Journal() = default;
  // Makes `events` (all at `revision`) durable, atomically.
  virtual Status Append(const std::vector<Event>& events, int64_t revision) = 0;
  virtual Status Wipe(int64_t revision) = 0;
};

class MemoryStore final : public Store {
 public:
  // `initial` and `revision` are the state recovered from the journal, if any.
  explicit MemoryStore(std::unique_ptr<Journal> journal = nullptr,
                       std::vector<KeyValue> initial = {}, int64_t revision = 0);
  ~MemoryStore() override;

  Result<std::optional<KeyValue>> Get(std::string_view key) override;
  Result<Page> List(std::string_view prefix, std::string_view start_after,
                    size_t limit) override;
  Result<TxnResult> Commit(const Txn& txn) override;
  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback) override;
  Result<int64_t> CurrentRevision() override;
  Status Wipe() override;

 private:
  struct Watcher;
  class WatchHandle;
  static constexpr size_t kHistoryLimit = 10000;

  // Appends the events of one revision to the history; returns the watchers to tell.
  std::vector<std::shared_ptr<Watcher>> Record(const std::vector<Event>& events) REQUIRES(mu_);
  // Tells each watcher the events under its prefix. notify_mu_, taken before mu_ was let go,
  // keeps deliveries in revision order.
  void Deliver(const std::vector<std::shared_ptr<Watcher>>& watchers, const std::vector<Event>& events)
      REQUIRES(notify_mu_) EXCLUDES(mu_);

  // Constant after construction.
  const std::unique_ptr<Journal> journal_;

  // Protected by mu_.
  Mutex mu_ ACQUIRED_BEFORE(notify_mu_);
  std::map<std::string, KeyValue, std::less<>> data_ GUARDED_BY(mu_);
  int64_t revision_ GUARDED_BY(mu_) = 0;
  std::deque<Event> history_ GUARDED_BY(mu_);  // the newest kHistoryLimit events
  int64_t compacted_through_ GUARDED_BY(mu_) = 0;  // no events at or below this revision
  std::vector<std::shared_ptr<Watcher>> watchers_ GUARDED_BY(mu_);

  // Held while watchers are called.
  Mutex notify_mu_;
};

}  // namespace wharf::store
