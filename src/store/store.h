// The Store: wharf's only durable state.
//
// A flat, ordered key space of byte-string values, each key carrying the revision that
// created it and the revision that last changed it. Every successful Commit bumps the
// store-wide revision by one, so a revision names one consistent state (the etcd model).
//
// Writes go through Commit: a transaction that first checks each Compare (a key's
// mod_revision, 0 meaning "absent") and then applies all its Ops atomically. A failed
// compare is not an error: Commit returns succeeded=false and changes nothing. An
// acknowledged Commit is durable in the backend (fsync'd in SQLite, quorum in etcd).
//
// Watch delivers every change under a prefix after a revision, in revision order. A
// backend keeps a bounded history; a watch from a revision older than that history fails
// with FailedPrecondition ("compacted"), and the watcher re-lists.
//
// Thread-safety: every method may be called from any thread. Watch callbacks run on a
// backend thread, one batch at a time, and must not call back into Watch/Cancel.
//
// The key layout used by wharf is drawn in docs/STATE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::store {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

// Holds when the key's mod_revision equals `mod_revision` (0: the key is absent).
struct Compare {
  std::string key;
  int64_t mod_revision = 0;
};

struct Op {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // for kPut

  static Op Put(std::string key, std::string value) {
    return Op{Kind::kPut, std::move(key), std::move(value)};
  }
  static Op Delete(std::string key) { return Op{Kind::kDelete, std::move(key), {}}; }
};

struct Txn {
  std::vector<Compare> compares;
  std::vector<Op> ops;
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // the new revision on success, the current one otherwise
};

struct Page {
  std::vector<KeyValue> items;  // ascending by key
  bool more = false;            // further keys under the prefix follow the last item
  int64_t revision = 0;         // the revision the page was read at
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete: key and mod_revision (the deleting revision) only
};

// A live watch; destroying it stops delivery.
class Watch {
 public:
  virtual ~Watch() = default;
};

using WatchCallback = std::function<void(const std::vector<Event>&)>;

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<KeyValue>> Get(std::string_view key) = 0;
  // Keys under `prefix` strictly after `start_after` ("" for the first page), at most
  // `limit` of them (0: no limit).
  virtual Result<Page> List(std::string_view prefix, std::string_view start_after,
                            size_t limit) = 0;
  virtual Result<TxnResult> Commit(const Txn& txn) = 0;
  // Events under `prefix` with revision > `after_revision`, then every later one.
  virtual Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix,
                                                     int64_t after_revision,
                                                     WatchCallback callback) = 0;
  virtual Result<int64_t> CurrentRevision() = 0;
  // Removes every key (the dev-mode reset). Revisions keep increasing.
  virtual Status Wipe() = 0;
};

// Opens the backend named by `url`: "memory", "sqlite" (in data_dir/state.db),
// "sqlite:///abs/path.db" or "etcd://host:port[,host:port...]".
Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const std::string& data_dir);

}  // namespace wharf::store
