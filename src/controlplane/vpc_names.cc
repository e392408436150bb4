#include "controlplane/vpc_names.h"

#include <algorithm>
#include <map>
#include <string>

#include "controlplane/records.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/load_balancer.h"
#include "model/task.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::controlplane {
namespace json = boost::json;
namespace {

constexpr std::string_view kTypes[] = {"A", "AAAA", "CNAME", "SRV"};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

model::DnsRecordSet SetOf(const std::vector<model::DnsAnswer>& answers, size_t keep) {
  model::DnsRecordSet set{answers.front().type, answers.front().ttl, {}, keep};
  for (const auto& a : answers) set.values.push_back(a.value);
  return set;
}

// The VPC's Cloud Map private DNS namespaces: their zones, every service's name and every
// instance's `<instance>.<service>.<namespace>` (what SRV answers point at).
Status AddCloudMap(store::Store& store, std::string_view vpc_id, model::VpcDnsTable& table) {
  ASSIGN_OR_RETURN(auto namespaces, LoadRecords(store, model::keys::kCloudMapNamespaces));
  std::vector<const json::object*> mine;
  for (const auto& ns : namespaces) {
    if (GetString(ns, "Type") != model::kPrivateDnsNamespace || GetString(ns, "Vpc") != vpc_id) continue;
    table.zones.push_back(Lower(GetString(ns, "Name")));
    mine.push_back(&ns);
  }
  if (mine.empty()) return Status::OK();
  ASSIGN_OR_RETURN(auto services, LoadRecords(store, model::keys::kCloudMapServices));
  for (const auto& service : services) {
    if (!Has(service, "DnsConfig")) continue;
    const json::object* ns = nullptr;
    for (const json::object* n : mine) {
      if (GetString(*n, "Id") == GetString(service, "NamespaceId")) ns = n;
    }
    if (!ns) continue;
    ASSIGN_OR_RETURN(auto instances, LoadRecords(store, model::keys::CloudMapInstancesPrefix(GetString(service, "Id"))));
    std::string service_name = GetString(service, "Name") + "." + GetString(*ns, "Name");
    for (std::string_view type : kTypes) {
      auto all = model::AllDnsAnswers(*ns, service, instances, type);
      if (!all.empty()) table.Add(service_name, SetOf(all, model::DnsAnswersKept(service)));
      if (type == "SRV") continue;  // an instance's own name has its address, not an SRV record
      for (const auto& instance : instances) {
        auto one = model::AllDnsAnswers(*ns, service, {instance}, type);
        if (!one.empty()) table.Add(GetString(instance, "Id") + "." + service_name, SetOf(one, 0));
      }
    }
  }
  return Status::OK();
}

// Every load balancer's DNSName (IPv4 only: the interfaces have no IPv6 address), as AWS's
// public DNS answers it from anywhere, the VPC included: an internal one's interfaces' private
// addresses, an internet-facing one's public addresses (its interfaces' private addresses
// are reached by address only, lb/public_addresses.h).
Status AddLoadBalancers(const std::vector<json::object>& balancers, model::VpcDnsTable& table) {
  table.zones.emplace_back(kLoadBalancerDomain);
  for (const auto& record : balancers) {
    model::LoadBalancerRecord lb(record);
    model::DnsRecordSet set{"A", kLoadBalancerTtl, {}, 0};
    for (const auto& i : lb.interfaces()) {
      // An interface written before load balancers had public addresses has none: its own.
      const std::string& ip = lb.internet_facing() && !i.public_ip.empty() ? i.public_ip : i.ip;
      if (!ip.empty()) set.values.push_back(ip);
    }
    std::string name = GetString(lb.shape(), "DNSName");
    if (name.empty()) continue;
    if (set.values.empty()) {
      table.names[Lower(name)];  // the name exists, with no address yet
    } else {
      table.Add(name, std::move(set));
    }
  }
  return Status::OK();
}

// The private DNS names of the VPC's interfaces (tasks', load balancers', NAT gateways') and
// the PTR records of their addresses.
Status AddHostnames(store::Store& store, std::string_view vpc_id, std::string_view region,
                    const json::object& vpc, const std::vector<json::object>& balancers, model::VpcDnsTable& table) {
  table.zones.push_back(model::PrivateDnsDomain(region));
  table.reverse_cidrs.push_back(model::VpcRecord(vpc).cidr_block());
  for (const auto& a : GetArray(vpc, "CidrBlockAssociationSet")) {
    if (!a.is_object()) continue;
    std::string cidr = GetString(a.as_object(), "CidrBlock");
    if (!cidr.empty() && cidr != table.reverse_cidrs.front()) table.reverse_cidrs.push_back(cidr);
  }
  std::vector<std::string> addresses;
  ASSIGN_OR_RETURN(auto tasks, LoadRecords(store, model::keys::kTasks));
  for (const auto& t : tasks) {
    model::TaskRecord task(t);
    auto eni = task.eni();
    if (eni && eni->vpc_id == vpc_id && !task.stopped()) addresses.push_back(eni->ip);
  }
  for (const auto& record : balancers) {
    model::LoadBalancerRecord lb(record);
    if (GetString(lb.shape(), "VpcId") != vpc_id) continue;
    for (const auto& i : lb.interfaces()) addresses.push_back(i.ip);
  }
  ASSIGN_OR_RETURN(auto nats, LoadRecords(store, model::keys::kNatGateways));
  for (const auto& n : nats) {
    model::NatGatewayRecord nat(n);
    if (nat.vpc_id() != vpc_id || !nat.holds_resources()) continue;
    for (const auto& a : GetArray(n, "NatGatewayAddresses")) {
      if (a.is_object() && !GetString(a.as_object(), "PrivateIp").empty()) {
        addresses.push_back(GetString(a.as_object(), "PrivateIp"));
      }
    }
  }
  for (const auto& ip : addresses) {
    std::string reverse = model::ReverseName(ip);
    if (reverse.empty()) continue;
    std::string name = model::PrivateDnsName(ip, region);
    table.Add(name, model::DnsRecordSet{"A", kHostnameTtl, {ip}, 0});
    table.Add(reverse, model::DnsRecordSet{"PTR", kHostnameTtl, {name}, 0});
  }
  return Status::OK();
}

// The private DNS names of the VPC's interface endpoints (available, private DNS on), each a
// zone of its own as AWS's private hosted zone for it, answered with the endpoint's interface
// addresses: `<service>.<region>.amazonaws.com`, ECR's API at `api.ecr.<region>...`, its
// registry at `*.dkr.ecr.<region>...` (a wildcard, as AWS's zone holds: every account's
// registry name, `<account>.dkr.ecr...`).
void AddEndpoints(const std::vector<json::object>& endpoints, std::string_view vpc_id, std::string_view region,
                  model::VpcDnsTable& table) {
  for (const auto& e : endpoints) {
    if (GetString(e, "VpcId") != vpc_id || GetString(e, "State") != "available") continue;
    if (GetString(e, "VpcEndpointType") != "Interface" || !GetBool(e, "PrivateDnsEnabled").value_or(false)) continue;
    auto service = model::EndpointServiceName::Parse(GetString(e, "ServiceName"));
    if (!service || service->region != region) continue;
    std::string host = model::EndpointPrivateDnsName(service->service, region), zone = host;
    if (zone.starts_with("*.")) zone = zone.substr(2);
    model::DnsRecordSet set{"A", kEndpointTtl, {}, 0};
    for (const auto& [_, ip] : GetObject(GetObject(e, "_wharf"), "addresses")) {
      if (ip.is_string()) set.values.emplace_back(ip.get_string());
    }
    table.zones.push_back(Lower(zone));
    if (!set.values.empty()) table.Add(host, std::move(set));
  }
}

// Every available interface endpoint's own names (model::EndpointDnsNames), in every VPC: they
// are AWS's public names, resolved from any network, whatever the VPC's DNS attributes or the
// endpoint's private DNS. The region's vpce zone is answered here, never forwarded.
void AddEndpointNames(const std::vector<json::object>& endpoints, std::string_view region,
                      model::VpcDnsTable& table) {
  table.zones.push_back(model::EndpointDnsZone(region));
  for (const auto& e : endpoints) {
    if (GetString(e, "State") != "available") continue;
    for (model::EndpointDnsName& n : model::EndpointDnsNames(e)) {
      if (!n.addresses.empty()) table.Add(n.name, model::DnsRecordSet{"A", kEndpointTtl, std::move(n.addresses), 0});
    }
  }
}

}  // namespace

Result<model::VpcDnsTable> BuildVpcDnsTable(store::Store& store, std::string_view vpc_id, std::string_view region) {
  model::VpcDnsTable table;
  table.vpc_id = std::string(vpc_id);
  ASSIGN_OR_RETURN(auto vpc, ReadRecord(store, model::keys::VpcKey(vpc_id)));
  // A VPC without a record (older data, tests) has AWS's defaults: support on, hostnames off.
  const json::object no_record;
  model::VpcRecord view(vpc ? vpc->value : no_record);
  table.support = !vpc || view.attribute("enableDnsSupport");
  if (!table.support) return table;
  RETURN_IF_ERROR(AddCloudMap(store, vpc_id, table));
  ASSIGN_OR_RETURN(auto balancers, LoadRecords(store, model::keys::kLoadBalancers));
  RETURN_IF_ERROR(AddLoadBalancers(balancers, table));
  ASSIGN_OR_RETURN(auto endpoints, LoadRecords(store, model::keys::kVpcEndpoints));
  AddEndpointNames(endpoints, region, table);
  // Private DNS needs both attributes on (AWS refuses it otherwise, api/ec2/vpc_endpoints.cc;
  // hostnames turned off later silences the endpoints' names). A VPC without a record: on.
  if (!vpc || view.attribute("enableDnsHostnames")) AddEndpoints(endpoints, vpc_id, region, table);
  if (vpc && view.attribute("enableDnsHostnames")) {
    RETURN_IF_ERROR(AddHostnames(store, vpc_id, region, vpc->value, balancers, table));
  }
  return table;
}

Result<VpcNameAnswer> LookupVpcName(store::Store& store, std::string_view vpc_id, std::string_view name,
                                    std::string_view type, uint64_t pick, std::string_view region) {
  ASSIGN_OR_RETURN(auto table, BuildVpcDnsTable(store, vpc_id, region));
  return model::LookupVpcDns(table, name, type, pick);
}

}  // namespace wharf::controlplane
