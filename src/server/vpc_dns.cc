#include "server/vpc_dns.h"

#include <algorithm>

#include "controlplane/vpc_names.h"

namespace wharf {

namespace {

// The table's answer as the resolver takes it: records owned by the name as asked, so the
// answer points at the question's name.
dns::LocalAnswer Answer(const model::VpcDnsTable& table, std::string_view name, uint16_t type, uint64_t pick) {
  std::string_view type_name = dns::TypeName(type);
  model::VpcDnsAnswer found = model::LookupVpcDns(table, name, type_name.empty() ? "OTHER" : type_name, pick);
  dns::LocalAnswer out;
  out.silent = found.silent;
  out.ours = found.ours;
  out.name_exists = found.name_exists;
  for (const auto& a : found.answers) {
    auto record = dns::MakeRecord(name, a.type, static_cast<uint32_t>(std::max<int64_t>(a.ttl, 0)), a.value);
    if (record.ok()) out.records.push_back(std::move(record).value());
  }
  return out;
}

}  // namespace

Result<dns::LocalAnswer> StoreRecordSource::Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) {
  ASSIGN_OR_RETURN(int64_t revision, store_.CurrentRevision());
  std::shared_ptr<const model::VpcDnsTable> table;
  uint64_t pick = 0;
  {
    MutexLock lock(mu_);
    if (revision != cached_revision_) {
      tables_.clear();
      cached_revision_ = revision;
    }
    if (auto it = tables_.find(vpc_id); it != tables_.end()) table = it->second;
    pick = random_.Next();
  }
  if (!table) {
    ASSIGN_OR_RETURN(auto built, controlplane::BuildVpcDnsTable(store_, vpc_id, region_));
    table = std::make_shared<const model::VpcDnsTable>(std::move(built));
    MutexLock lock(mu_);
    if (cached_revision_ == revision) tables_[std::string(vpc_id)] = table;
  }
  return Answer(*table, name, type, pick);
}

void FeedRecordSource::Replace(std::vector<model::VpcDnsTable> tables) {
  std::map<std::string, std::shared_ptr<const model::VpcDnsTable>, std::less<>> next;
  for (auto& t : tables) {
    std::string id = t.vpc_id;
    next[id] = std::make_shared<const model::VpcDnsTable>(std::move(t));
  }
  MutexLock lock(mu_);
  tables_.swap(next);
}

Result<dns::LocalAnswer> FeedRecordSource::Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) {
  std::shared_ptr<const model::VpcDnsTable> table;
  uint64_t pick = 0;
  {
    MutexLock lock(mu_);
    if (auto it = tables_.find(vpc_id); it != tables_.end()) table = it->second;
    pick = random_.Next();
  }
  if (!table) return dns::LocalAnswer{};  // no task of the VPC here (yet): forwarded
  return Answer(*table, name, type, pick);
}

Result<std::unique_ptr<NodeVpcDns>> NodeVpcDns::Run(std::unique_ptr<NodeVpcDns> node,
                                                    std::vector<std::string> upstreams) {
  dns::ResolverOptions options;
  options.upstreams = upstreams.empty() ? dns::HostResolvers() : std::move(upstreams);
  ASSIGN_OR_RETURN(node->resolver_, dns::Resolver::Start(*node->source_, std::move(options)));
  return node;
}

Result<std::unique_ptr<NodeVpcDns>> NodeVpcDns::Start(store::Store& store, std::string region,
                                                      std::vector<std::string> upstreams) {
  std::unique_ptr<NodeVpcDns> node(new NodeVpcDns(std::make_unique<StoreRecordSource>(store, std::move(region)), nullptr));
  return Run(std::move(node), std::move(upstreams));
}

Result<std::unique_ptr<NodeVpcDns>> NodeVpcDns::StartFromFeed(std::vector<std::string> upstreams) {
  auto feed = std::make_unique<FeedRecordSource>();
  FeedRecordSource* raw = feed.get();
  std::unique_ptr<NodeVpcDns> node(new NodeVpcDns(std::move(feed), raw));
  return Run(std::move(node), std::move(upstreams));
}

Status NodeVpcDns::Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) {
  return resolver_->Listen(vpc_id, address, bridge).status();
}

void NodeVpcDns::Replace(std::vector<model::VpcDnsTable> tables) {
  if (feed_) feed_->Replace(std::move(tables));  // the local node reads the store itself
}

Status NodeVpcDns::ServeExtra(const std::string& spec) {
  size_t eq = spec.find('='), colon = spec.rfind(':');
  if (eq == std::string::npos || colon == std::string::npos || colon < eq) {
    return Status::InvalidArgument("--dns-listen wants VPC=IP:PORT, not " + spec);
  }
  int port = 0;
  try {
    port = std::stoi(spec.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) return Status::InvalidArgument("--dns-listen: bad port in " + spec);
  return resolver_->Listen(spec.substr(0, eq), spec.substr(eq + 1, colon - eq - 1), "", static_cast<uint16_t>(port))
      .status();
}

}  // namespace wharf
