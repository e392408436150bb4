#include "controlplane/vpc_endpoint_origin.h"

#include "base/logging.h"
#include "controlplane/records.h"
#include "controlplane/vpc_egress.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::controlplane {
namespace json = boost::json;

EndpointTable EndpointTableOf(const std::vector<json::object>& endpoints) {
  EndpointTable table;
  for (const json::object& e : endpoints) {
    if (GetString(e, "VpcEndpointType") != "Interface" || GetString(e, "State") != "available") continue;
    auto name = model::EndpointServiceName::Parse(GetString(e, "ServiceName"));
    if (!name) continue;
    auto origin = std::make_shared<EndpointOrigin>();
    origin->vpce_id = GetString(e, "VpcEndpointId");
    origin->vpc_id = GetString(e, "VpcId");
    origin->region = std::move(name->region);
    origin->service = std::move(name->service);
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
  // A VPC's connection (its mark) reaches its own VPC's endpoints only, even where one VPC
  // alone has an endpoint at the address.
  if (std::next(first) == last && model::VpcConntrackZoneOfMark(mark) == 0) return first->second;
  for (auto it = first; it != last; ++it) {
    if (model::VpcReplyMark(it->second->vpc_id) == mark) return it->second;
  }
  return nullptr;  // several VPCs' and the connection names none of them: no endpoint is sure
}

std::string EndpointServiceOf(std::string_view signing_name) {
  if (signing_name == "ecr") return "ecr.api";
  return std::string(signing_name);
}

EndpointDirectory::~EndpointDirectory() { watch_.reset(); }

Status EndpointDirectory::Start() {
  ASSIGN_OR_RETURN(int64_t revision, store_.CurrentRevision());
  std::map<std::string, json::object, std::less<>> records;
  ASSIGN_OR_RETURN(std::vector<StoredRecord> stored, ReadRecords(store_, model::keys::kVpcEndpoints));
  for (StoredRecord& r : stored) records.emplace(std::move(r.key), std::move(r.value));
  {
    MutexLock lock(mu_);
    records_ = std::move(records);
    Rebuild();
  }
  ASSIGN_OR_RETURN(watch_, store_.WatchPrefix(model::keys::kVpcEndpoints, revision,
                                              [this](const std::vector<store::Event>& events) { Apply(events); }));
  return Status::OK();
}

void EndpointDirectory::Apply(const std::vector<store::Event>& events) {
  MutexLock lock(mu_);
  for (const store::Event& e : events) {
    if (e.type == store::Event::Type::kDelete) {
      records_.erase(e.kv.key);
      continue;
    }
    auto record = ParseObject(e.kv.value);
    if (record.ok()) {
      records_[e.kv.key] = std::move(record).value();
    } else {
      records_.erase(e.kv.key);
    }
  }
  Rebuild();
}

void EndpointDirectory::Rebuild() {
  std::vector<json::object> records;
  records.reserve(records_.size());
  for (const auto& [_, record] : records_) records.push_back(record);
  table_ = std::make_shared<const EndpointTable>(EndpointTableOf(records));
}

std::shared_ptr<const EndpointOrigin> EndpointDirectory::Find(std::string_view original_destination, uint32_t mark) {
  std::shared_ptr<const EndpointTable> table;
  {
    MutexLock lock(mu_);
    table = table_;
  }
  return FindEndpoint(*table, original_destination, mark);
}

bool EndpointDirectory::Admit(uint32_t mark, bool origin_unknown, std::string_view original_destination,
                              std::string_view front, std::shared_ptr<const EndpointOrigin>& via) {
  via = nullptr;
  if (model::VpcConntrackZoneOfMark(mark) == 0) return true;  // the host's, another node's, a client's
  if (origin_unknown) return false;
  if (original_destination == front) return true;
  via = Find(original_destination, mark);
  return via != nullptr;
}

bool SameEndpointAsBefore(std::string* connection_vpce, const EndpointOrigin* via) {
  if (!connection_vpce) return true;
  const std::string id = via ? via->vpce_id : std::string();
  if (connection_vpce->empty()) {
    *connection_vpce = id.empty() ? std::string("-") : id;  // "-": through no endpoint
    return true;
  }
  return *connection_vpce == (id.empty() ? std::string("-") : id);
}

}  // namespace wharf::controlplane
