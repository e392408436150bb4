#include "server/vpc_dns.h"

#include <algorithm>

#include "controlplane/vpc_names.h"

namespace wharf {

Result<dns::LocalAnswer> StoreRecordSource::Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) {
  std::string_view type_name = dns::TypeName(type);
  ASSIGN_OR_RETURN(auto found, controlplane::LookupVpcName(store_, vpc_id, name, type_name.empty() ? "OTHER" : type_name,
                                                           random_.Next()));
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
