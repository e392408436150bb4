// The VPC resolver of this machine's node: src/dns's server answering from the home
// region's store (controlplane::LookupVpcName), handed to the local agent as its
// agent::VpcDns. A remote `wharf agent` has none yet (its tasks keep the host's resolvers).
//
// Thread-safety: Serve and Lookup may be called from any thread (the store is).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/vpc_dns.h"
#include "base/mutex.h"
#include "base/random.h"
#include "dns/resolver.h"
#include "store/store.h"

namespace wharf {

// Answers are cached while the store's revision stays where it was (any write moves it), so a
// query costs a revision read and a map lookup rather than three prefix lists and their JSON.
// An answer that depends on the random pick (more than 8 MULTIVALUE records, WEIGHTED) is
// never cached: each query rotates it anew.
class StoreRecordSource final : public dns::RecordSource {
 public:
  explicit StoreRecordSource(store::Store& store) : store_(store) {}
  Result<dns::LocalAnswer> Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) override;

 private:
  Result<dns::LocalAnswer> LookupUncached(std::string_view vpc_id, std::string_view name, uint16_t type,
                                          uint64_t pick);

  store::Store& store_;
  FastRandom random_;  // spreads multivalue answers

  Mutex mu_;
  int64_t cached_revision_ GUARDED_BY(mu_) = -1;
  std::map<std::string, dns::LocalAnswer> cache_ GUARDED_BY(mu_);  // "vpc/type/lowercase name"
};

class NodeVpcDns final : public agent::VpcDns {
 public:
  // `upstreams` empty: the host's resolvers (/etc/resolv.conf).
  static Result<std::unique_ptr<NodeVpcDns>> Start(store::Store& store, std::vector<std::string> upstreams);
  Status Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) override;
  // "VPC=IP:PORT": answers for VPC on IP:PORT too, unbound (tests and benchmarks).
  Status ServeExtra(const std::string& spec);
  void Stop() { resolver_->Stop(); }

 private:
  explicit NodeVpcDns(store::Store& store) : source_(store) {}
  StoreRecordSource source_;
  std::unique_ptr<dns::Resolver> resolver_;
};

}  // namespace wharf
