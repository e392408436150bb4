// RegionStore: one AWS region's view of the Store.
//
// Every regional resource (VPCs, clusters, tasks, load balancers, repositories, log groups)
// lives under the region's prefix, so each region has its own records, ids and ARNs while all
// of them share one store, one revision counter and one transaction log: a transaction that
// spans a region's keys and a shared key is still atomic. The home region (the server's
// --region) has the empty prefix, so a store written before regions existed is the home
// region's unchanged; the others are under `regions/<name>/`.
//
// Some keys stand for something there is only one of on the machine, whatever the region:
// a load balancer listener port on the bind address, an address of the public IP pool. Those
// (`shared` prefixes) are not prefixed, so two regions can never claim the same one.
//
// Keys passed in and handed back are the region's own (without the prefix). Thread-safety:
// as the Store it wraps.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace wharf::store {

class RegionStore final : public Store {
 public:
  RegionStore(Store& base, std::string prefix, std::vector<std::string> shared)
      : base_(base), prefix_(std::move(prefix)), shared_(std::move(shared)) {}

  Result<std::optional<KeyValue>> Get(std::string_view key) override;
  Result<Page> List(std::string_view prefix, std::string_view start_after, size_t limit) override;
  Result<TxnResult> Commit(const Txn& txn) override;
  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback) override;
  Result<int64_t> CurrentRevision() override { return base_.CurrentRevision(); }
  // Removes the region's own keys (not the shared ones, which other regions hold too).
  Status Wipe() override;

  const std::string& prefix() const { return prefix_; }

 private:
  bool Shared(std::string_view key) const;
  std::string Outer(std::string_view key) const;  // the base store's key
  std::string Inner(std::string_view key) const;  // the region's key

  Store& base_;
  const std::string prefix_;
  const std::vector<std::string> shared_;
};

}  // namespace wharf::store
