#include "controlplane/vpc_names.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "controlplane/records.h"
#include "controlplane/service_registries.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/load_balancer.h"

namespace wharf::controlplane {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool AtOrUnder(std::string_view name, std::string_view zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.');
}

constexpr std::string_view kTypes[] = {"A", "AAAA", "CNAME", "SRV"};

Result<VpcNameAnswer> CloudMapName(store::Store& store, std::string_view vpc_id, const std::string& name,
                                   std::string_view type, uint64_t pick, std::string_view zone) {
  VpcNameAnswer out;
  out.ours = true;
  ASSIGN_OR_RETURN(out.answers, LookupCloudMapName(store, vpc_id, name, type, pick));
  if (out.answers.empty() && (type == "A" || type == "AAAA")) {
    // A name whose records are a CNAME answers an address query with it (the client follows).
    ASSIGN_OR_RETURN(out.answers, LookupCloudMapName(store, vpc_id, name, "CNAME", pick));
  }
  out.name_exists = !out.answers.empty() || name == zone;
  for (std::string_view other : kTypes) {
    if (out.name_exists) break;
    if (other == type) continue;
    ASSIGN_OR_RETURN(auto any, LookupCloudMapName(store, vpc_id, name, other, pick));
    out.name_exists = !any.empty();
  }
  return out;
}

Result<VpcNameAnswer> LoadBalancerName(store::Store& store, const std::string& name, std::string_view type) {
  VpcNameAnswer out;
  out.ours = true;
  ASSIGN_OR_RETURN(auto balancers, LoadRecords(store, model::keys::kLoadBalancers));
  for (const auto& record : balancers) {
    model::LoadBalancerRecord lb(record);
    if (Lower(GetString(lb.shape(), "DNSName")) != name) continue;
    out.name_exists = true;
    if (type != "A") continue;  // IPv4 only: the interfaces have no IPv6 address
    for (const auto& i : lb.interfaces()) out.answers.push_back({"A", kLoadBalancerTtl, i.ip});
  }
  return out;
}

}  // namespace

Result<VpcNameAnswer> LookupVpcName(store::Store& store, std::string_view vpc_id, std::string_view query,
                                    std::string_view type, uint64_t pick) {
  std::string name = Lower(query);
  if (name.ends_with('.')) name.pop_back();
  if (AtOrUnder(name, kLoadBalancerDomain)) return LoadBalancerName(store, name, type);
  ASSIGN_OR_RETURN(auto namespaces, LoadRecords(store, model::keys::kCloudMapNamespaces));
  for (const auto& ns : namespaces) {
    if (GetString(ns, "Type") != model::kPrivateDnsNamespace || GetString(ns, "Vpc") != vpc_id) continue;
    std::string zone = Lower(GetString(ns, "Name"));
    if (AtOrUnder(name, zone)) return CloudMapName(store, vpc_id, name, type, pick, zone);
  }
  return VpcNameAnswer{};
}

}  // namespace wharf::controlplane
