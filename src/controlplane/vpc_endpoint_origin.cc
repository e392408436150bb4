#include "controlplane/vpc_endpoint_origin.h"

#include "base/logging.h"
#include "controlplane/vpc_egress.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace json = boost::json;

EndpointTable EndpointTableOf(const std::vector<json::object>& endpoints) {
  EndpointTable table;
  constexpr std::string_view kPrefix = "com.amazonaws.";
  for (const json::object& e : endpoints) {
    if (GetString(e, "VpcEndpointType") != "Interface" || GetString(e, "State") != "available") continue;
    std::string name = GetString(e, "ServiceName");
    size_t dot = name.find('.', kPrefix.size());
    if (!name.starts_with(kPrefix) || dot == std::string::npos) continue;
    auto origin = std::make_shared<EndpointOrigin>();
    origin->vpce_id = GetString(e, "VpcEndpointId");
    origin->vpc_id = GetString(e, "VpcId");
    origin->region = name.substr(kPrefix.size(), dot - kPrefix.size());
    origin->service = name.substr(dot + 1);
    // EC2 keeps the document as given; one that does not parse allows nothing, as a policy
    // without an Allow would not.
    auto policy = iam::ParsePolicy(GetString(e, "PolicyDocument"), {iam::PolicyKind::kResource, false, false});
    if (policy.ok()) {
      origin->policy = std::make_shared<const iam::Policy>(std::move(policy).value());
    } else {
      LOG_WARN("msg=\"endpoint policy does not parse: nothing is allowed through it\" endpoint={} error=\"{}\"",
               origin->vpce_id, policy.status().message());
    }
    std::shared_ptr<const EndpointOrigin> shared = std::move(origin);
    // Its interfaces, by subnet (api/ec2/vpc_endpoints.cc keeps them under _wharf.addresses).
    for (const auto& [_, address] : GetObject(GetObject(e, "_wharf"), "addresses")) {
      if (address.is_string()) table.emplace(std::string(address.get_string()), shared);
    }
  }
  return table;
}

std::shared_ptr<const EndpointOrigin> FindEndpoint(const EndpointTable& table, std::string_view original_destination,
                                                   uint32_t mark) {
  size_t colon = original_destination.rfind(':');
  if (colon == std::string_view::npos ||
      original_destination.substr(colon + 1) != std::to_string(kEndpointPort)) {
    return nullptr;
  }
  auto [first, last] = table.equal_range(original_destination.substr(0, colon));
  if (first == last) return nullptr;
  if (std::next(first) == last) return first->second;
  for (auto it = first; it != last; ++it) {
    if (model::VpcReplyMark(it->second->vpc_id) == mark) return it->second;
  }
  return nullptr;  // several VPCs' and the connection names none of them: no endpoint is sure
}

std::string EndpointServiceOf(std::string_view signing_name) {
  if (signing_name == "ecr") return "ecr.api";
  return std::string(signing_name);
}

std::shared_ptr<const EndpointOrigin> EndpointDirectory::Find(std::string_view original_destination, uint32_t mark) {
  // The revision is taken before the read: a commit landing during it leaves the table older
  // than the store, so the next request reads again.
  auto revision = store_.CurrentRevision();
  std::shared_ptr<const EndpointTable> table;
  {
    MutexLock lock(mu_);
    if (revision.ok() && *revision == revision_) table = table_;
  }
  if (!table) {
    std::vector<json::object> records;
    std::string after;
    while (true) {
      auto page = store_.List(model::keys::kVpcEndpoints, after, 500);
      if (!page.ok()) {
        LOG_WARN("msg=\"cannot read the VPC endpoints\" error=\"{}\"", page.status().message());
        return nullptr;
      }
      for (const auto& kv : page->items) {
        auto record = ParseObject(kv.value);
        if (record.ok()) records.push_back(std::move(record).value());
      }
      if (!page->more || page->items.empty()) break;
      after = page->items.back().key;
    }
    table = std::make_shared<const EndpointTable>(EndpointTableOf(records));
    if (revision.ok()) {
      MutexLock lock(mu_);
      revision_ = *revision;
      table_ = table;
    }
  }
  return FindEndpoint(*table, original_destination, mark);
}

}  // namespace wharf::controlplane
