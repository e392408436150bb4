#include "server/vpc_dns.h"

#include <algorithm>
#include <cctype>

#include "controlplane/vpc_names.h"

namespace wharf {

namespace {
constexpr size_t kMaxCachedNames = 4096;

bool SameRecords(const dns::LocalAnswer& a, const dns::LocalAnswer& b) {
  if (a.ours != b.ours || a.name_exists != b.name_exists || a.records.size() != b.records.size()) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    if (a.records[i].rdata != b.records[i].rdata || a.records[i].type != b.records[i].type) return false;
  }
  return true;
}
}  // namespace

Result<dns::LocalAnswer> StoreRecordSource::Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) {
  ASSIGN_OR_RETURN(int64_t revision, store_.CurrentRevision());
  std::string key = std::string(vpc_id) + "/" + std::to_string(type) + "/";
  for (char c : name) key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  {
    MutexLock lock(mu_);
    if (revision != cached_revision_) {
      cache_.clear();
      cached_revision_ = revision;
    }
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      dns::LocalAnswer hit = it->second;
      for (auto& r : hit.records) r.name = std::string(name);  // as asked, for the pointer to the question
      return hit;
    }
  }
  uint64_t pick = random_.Next();
  ASSIGN_OR_RETURN(dns::LocalAnswer answer, LookupUncached(vpc_id, name, type, pick));
  // The same answer with another pick: it does not depend on it, so it may be kept.
  ASSIGN_OR_RETURN(dns::LocalAnswer again, LookupUncached(vpc_id, name, type, pick + 1));
  if (SameRecords(answer, again)) {
    MutexLock lock(mu_);
    if (cached_revision_ == revision) {
      if (cache_.size() >= kMaxCachedNames) cache_.clear();
      cache_[key] = answer;
    }
  }
  return answer;
}

Result<dns::LocalAnswer> StoreRecordSource::LookupUncached(std::string_view vpc_id, std::string_view name,
                                                           uint16_t type, uint64_t pick) {
  std::string_view type_name = dns::TypeName(type);
  ASSIGN_OR_RETURN(auto found, controlplane::LookupVpcName(store_, vpc_id, name, type_name.empty() ? "OTHER" : type_name,
                                                           pick));
  dns::LocalAnswer out;
  out.ours = found.ours;
  out.name_exists = found.name_exists;
  for (const auto& a : found.answers) {
    // Owned by the name as asked, so the answer points at the question's name.
    auto record = dns::MakeRecord(name, a.type, static_cast<uint32_t>(std::max<int64_t>(a.ttl, 0)), a.value);
    if (record.ok()) out.records.push_back(std::move(record).value());
  }
  return out;
}

Result<std::unique_ptr<NodeVpcDns>> NodeVpcDns::Start(store::Store& store, std::vector<std::string> upstreams) {
  std::unique_ptr<NodeVpcDns> node(new NodeVpcDns(store));
  dns::ResolverOptions options;
  options.upstreams = upstreams.empty() ? dns::HostResolvers() : std::move(upstreams);
  ASSIGN_OR_RETURN(node->resolver_, dns::Resolver::Start(node->source_, std::move(options)));
  return node;
}

Status NodeVpcDns::Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) {
  return resolver_->Listen(vpc_id, address, bridge).status();
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
