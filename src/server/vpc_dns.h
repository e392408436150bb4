// The VPC resolver of a node: src/dns's server answering from a model::VpcDnsTable per VPC
// (controlplane/vpc_names.h), handed to the node's agent as its agent::VpcDns.
//
// Two sources of tables: the local node (in `wharf server`) builds them from the home
// region's store (StoreRecordSource); a remote `wharf agent` takes those the server sends in
// its assignment feed for the VPCs its tasks are in (FeedRecordSource, through
// agent::VpcDns::Replace), so both answer the same names.
//
// Thread-safety: Serve, Replace and Lookup may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/vpc_dns.h"
#include "base/mutex.h"
#include "base/random.h"
#include "dns/resolver.h"
#include "model/vpc_dns.h"
#include "store/store.h"

namespace wharf {

// A VPC's table is built again when the store's revision has moved since (any write moves
// it), so a query costs a revision read and a map lookup; the pick among more than 8
// MULTIVALUE values (or a WEIGHTED one) is made per query.
class StoreRecordSource final : public dns::RecordSource {
 public:
  StoreRecordSource(store::Store& store, std::string region) : store_(store), region_(std::move(region)) {}
  Result<dns::LocalAnswer> Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) override;

 private:
  store::Store& store_;
  const std::string region_;
  FastRandom random_;  // spreads multivalue answers

  Mutex mu_;
  int64_t cached_revision_ GUARDED_BY(mu_) = -1;
  std::map<std::string, std::shared_ptr<const model::VpcDnsTable>, std::less<>> tables_ GUARDED_BY(mu_);
};

// The tables the server last sent; a VPC without one is not this node's: forwarded.
class FeedRecordSource final : public dns::RecordSource {
 public:
  void Replace(std::vector<model::VpcDnsTable> tables);
  Result<dns::LocalAnswer> Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) override;

 private:
  FastRandom random_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<const model::VpcDnsTable>, std::less<>> tables_ GUARDED_BY(mu_);
};

class NodeVpcDns final : public agent::VpcDns {
 public:
  // The local node: tables from `store` (the home region's). `upstreams` empty: the host's
  // resolvers (/etc/resolv.conf).
  static Result<std::unique_ptr<NodeVpcDns>> Start(store::Store& store, std::string region,
                                                   std::vector<std::string> upstreams);
  // A remote agent's node: tables from the feed.
  static Result<std::unique_ptr<NodeVpcDns>> StartFromFeed(std::vector<std::string> upstreams);

  Status Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) override;
  void Replace(std::vector<model::VpcDnsTable> tables) override;
  // "VPC=IP:PORT": answers for VPC on IP:PORT too, unbound (tests and benchmarks).
  Status ServeExtra(const std::string& spec);
  void Stop() { resolver_->Stop(); }

 private:
  explicit NodeVpcDns(std::unique_ptr<dns::RecordSource> source, FeedRecordSource* feed)
      : source_(std::move(source)), feed_(feed) {}
  static Result<std::unique_ptr<NodeVpcDns>> Run(std::unique_ptr<NodeVpcDns> node, std::vector<std::string> upstreams);

  std::unique_ptr<dns::RecordSource> source_;
  FeedRecordSource* feed_;  // source_ when it is the feed's, else null
  std::unique_ptr<dns::Resolver> resolver_;
};

}  // namespace wharf
