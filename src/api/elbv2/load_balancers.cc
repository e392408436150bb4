// Load balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer,
// Describe/ModifyLoadBalancerAttributes, SetSecurityGroups.
#include <algorithm>

#include "api/elbv2/attributes.h"
#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

namespace {

// A new load balancer answers "provisioning" this long, then "active" (so `aws elbv2 wait
// load-balancer-available` sees the transition AWS has).
constexpr double kProvisioningSeconds = 1.0;
constexpr std::string_view kDefaultVpcId = "vpc-0000000000000wharf";
constexpr std::string_view kDefaultSecurityGroup = "sg-0000000000000wharf";

std::string HostedZoneId(const std::string& region) {
  static const std::map<std::string, std::string, std::less<>> kZones = {
      {"us-east-1", "Z35SXDOTRQ7X7K"},      {"us-east-2", "Z3AADJGX6KTTL2"},
      {"us-west-1", "Z368ELLRRE2KJ0"},      {"us-west-2", "Z1H1FL5HABSF5"},
      {"eu-west-1", "Z32O12XQLNTSW2"},      {"eu-central-1", "Z215JYRZR1TBD5"},
      {"eu-west-2", "ZHURV8PSTC4K8"},       {"ap-southeast-1", "Z1LMS91P8CMLE5"},
      {"ap-northeast-1", "Z14GRHDCWA56QT"}, {"sa-east-1", "Z2P70J7HTTTPLU"},
  };
  auto it = kZones.find(region);
  return it == kZones.end() ? "Z35SXDOTRQ7X7K" : it->second;
}

std::optional<AwsError> CheckName(const std::string& name) {
  if (auto err = CheckResourceName("Load balancer", name)) return err;
  if (name.rfind("internal-", 0) == 0) {
    return ValidationError("Load balancer name '" + name + "' cannot begin with 'internal-'");
  }
  return std::nullopt;
}

json::object Present(const Context& c, const json::object& record) {
  json::object lb = GetObject(record, "loadBalancer");
  double created = lb.contains("CreatedTime") ? lb["CreatedTime"].to_number<double>() : 0;
  lb["State"] = json::object{
      {"Code", NowSeconds(c) - created < kProvisioningSeconds ? "provisioning" : "active"}};
  return lb;
}

// The settings that make two CreateLoadBalancer calls "the same" (AWS's call is idempotent).
bool SameSettings(const json::object& a, const json::object& b) {
  for (const char* field :
       {"Scheme", "Type", "IpAddressType", "AvailabilityZones", "SecurityGroups"}) {
    const json::value* x = a.if_contains(field);
    const json::value* y = b.if_contains(field);
    if ((x == nullptr) != (y == nullptr) || (x && *x != *y)) return false;
  }
  return true;
}

std::variant<json::array, AwsError> AvailabilityZones(const Context& c, const json::object& in) {
  std::vector<std::string> subnets;
  for (const auto& s : GetArray(in, "Subnets")) subnets.emplace_back(s.get_string());
  const json::array& mappings = GetArray(in, "SubnetMappings");
  if (!subnets.empty() && !mappings.empty()) {
    return ValidationError("You can specify subnets or subnet mappings, not both");
  }
  for (const auto& m : mappings) subnets.push_back(GetString(m.get_object(), "SubnetId"));
  if (subnets.size() == 1) {
    return InvalidConfiguration(
        "At least two subnets in two different Availability Zones must be specified");
  }
  if (subnets.empty()) subnets = {"subnet-00000000000wharfa", "subnet-00000000000wharfb"};
  if (subnets.size() > 26) return ValidationError("Too many subnets");
  json::array zones;
  for (size_t i = 0; i < subnets.size(); ++i) {
    zones.push_back(json::object{{"ZoneName", c.deps.region + static_cast<char>('a' + i)},
                                 {"SubnetId", subnets[i]},
                                 {"LoadBalancerAddresses", json::array()}});
  }
  return zones;
}

}  // namespace

Outcome CreateLoadBalancer(Context& c, const RequestContext&, object& in) {
  std::string name = GetString(in, "Name");
  if (auto err = CheckName(name)) return *err;
  std::string type = GetString(in, "Type", "application");
  if (type != "application") {
    return InvalidConfiguration(
        "wharf supports only application load balancers; load balancer type '" + type +
        "' is not supported");
  }
  if (Has(in, "CustomerOwnedIpv4Pool") || Has(in, "IpamPools")) {
    return InvalidConfiguration("wharf does not support customer-owned or IPAM address pools");
  }
  std::string scheme = GetString(in, "Scheme", "internet-facing");
  auto zones = AvailabilityZones(c, in);
  if (auto* err = std::get_if<AwsError>(&zones)) return *err;
  if (auto err = CheckNewTags(GetArray(in, "Tags"))) return *err;
  json::array groups = GetArray(in, "SecurityGroups");
  if (groups.empty()) {
    std::string id;
    if (c.deps.default_security_group) {
      ASSIGN_OR_FAIL(id, c.deps.default_security_group(), Elbv2Error);
    }
    groups.push_back(json::value(id.empty() ? std::string(kDefaultSecurityGroup) : id));
  }

  std::string id = c.NewHex(16);
  std::string dns = (scheme == "internal" ? "internal-" : "") + name + "-" + c.NewDigits(10) + "." +
                    c.deps.region + ".elb.localhost";
  json::object lb{
      {"LoadBalancerArn", ArnPrefix(c.deps) + "loadbalancer/app/" + name + "/" + id},
      {"DNSName", dns},
      {"CanonicalHostedZoneId", HostedZoneId(c.deps.region)},
      {"CreatedTime", NowSeconds(c)},
      {"LoadBalancerName", name},
      {"Scheme", scheme},
      {"VpcId", kDefaultVpcId},
      {"Type", "application"},
      {"AvailabilityZones", std::move(std::get<json::array>(zones))},
      {"SecurityGroups", std::move(groups)},
      {"IpAddressType", GetString(in, "IpAddressType", "ipv4")},
  };
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    ASSIGN_OR_FAIL(auto found, ReadRecord(c.deps.store, LoadBalancerKey(name)), Elbv2Error);
    if (found) {
      if (!SameSettings(GetObject(found->value, "loadBalancer"), lb)) {
        return AwsError::Client("DuplicateLoadBalancerName",
                                "A load balancer with the same name '" + name +
                                    "' exists, but with different settings");
      }
      return json::object{{"LoadBalancers", json::array{Present(c, found->value)}}};
    }
    json::object record{{"loadBalancer", lb},
                        {"attributes", DefaultAttributes(AttributeOwner::kLoadBalancer)},
                        {"tags", GetArray(in, "Tags")}};
    std::string key = LoadBalancerKey(name);
    ASSIGN_OR_FAIL(bool saved,
                   CommitTxn(c.deps.store, store::Txn{{store::Compare{key, 0}},
                                                      {store::Op::Put(key, Serialize(record))}}),
                   Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"LoadBalancers", json::array{Present(c, record)}}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeLoadBalancers(Context& c, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "LoadBalancerArns");
  const json::array& names = GetArray(in, "Names");
  if (!arns.empty() && !names.empty()) {
    return ValidationError(
        "Load balancer names and load balancer ARNs cannot be specified at the same time");
  }
  json::array out;
  if (!arns.empty()) {
    for (const auto& arn : arns) {
      Lookup lb = GetLoadBalancer(c, arn.get_string());
      if (auto* err = std::get_if<AwsError>(&lb)) return *err;
      out.push_back(Present(c, std::get<Record>(lb).value));
    }
    return json::object{{"LoadBalancers", std::move(out)}};
  }
  if (!names.empty()) {
    std::string missing;
    for (const auto& n : names) {
      ASSIGN_OR_FAIL(auto found, ReadRecord(c.deps.store, LoadBalancerKey(n.get_string())),
                     Elbv2Error);
      if (!found) {
        missing += (missing.empty() ? "" : ", ") + std::string(n.get_string());
        continue;
      }
      out.push_back(Present(c, found->value));
    }
    if (!missing.empty())
      return LoadBalancerNotFound("Load balancers '[" + missing + "]' not found");
    return json::object{{"LoadBalancers", std::move(out)}};
  }
  std::string after;
  if (Has(in, "Marker")) {
    auto marker = ReadMarker(GetString(in, "Marker"));
    if (!marker || marker->rfind(kLoadBalancersPrefix, 0) != 0)
      return ValidationError("Invalid marker");
    after = *marker;
  }
  size_t page_size = static_cast<size_t>(GetInt(in, "PageSize").value_or(400));
  ASSIGN_OR_FAIL(store::Page page, c.deps.store.List(kLoadBalancersPrefix, after, page_size),
                 Elbv2Error);
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), Elbv2Error);
    out.push_back(Present(c, record));
  }
  json::object result{{"LoadBalancers", std::move(out)}};
  if (page.more && !page.items.empty()) result["NextMarker"] = MakeMarker(page.items.back().key);
  return result;
}

Outcome DeleteLoadBalancer(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "LoadBalancerArn");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup lb = GetLoadBalancer(c, arn);
    if (auto* err = std::get_if<AwsError>(&lb)) {
      // Deleting a load balancer that does not exist succeeds, as on AWS.
      return err->code == "LoadBalancerNotFound" ? Outcome(json::object{}) : Outcome(*err);
    }
    Record& record = std::get<Record>(lb);
    if (GetString(GetObject(record.value, "attributes"), "deletion_protection.enabled") == "true") {
      return AwsError::Client(
          "OperationNotPermitted",
          "Load balancer '" + arn + "' cannot be deleted because deletion protection is enabled");
    }
    std::string name = GetString(GetObject(record.value, "loadBalancer"), "LoadBalancerName");
    ASSIGN_OR_FAIL(auto listeners, ReadAll(c.deps.store, ListenersPrefix(name)), Elbv2Error);
    ASSIGN_OR_FAIL(auto rules, ReadAll(c.deps.store, RulesPrefix(name, "")), Elbv2Error);
    store::Txn txn;
    std::vector<std::string> closed;
    txn.compares.push_back({record.key, record.mod_revision});
    txn.ops.push_back(store::Op::Delete(record.key));
    for (const auto& l : listeners) {
      const json::object& listener = GetObject(l.value, "listener");
      txn.compares.push_back({l.key, l.mod_revision});
      txn.ops.push_back(store::Op::Delete(l.key));
      txn.ops.push_back(store::Op::Delete(PortKey(GetInt(listener, "Port").value_or(0))));
      closed.push_back(GetString(listener, "ListenerArn"));
    }
    for (const auto& r : rules) {
      txn.compares.push_back({r.key, r.mod_revision});
      txn.ops.push_back(store::Op::Delete(r.key));
    }
    ASSIGN_OR_FAIL(bool deleted, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!deleted) return store::kConflict;
    c.Publish();
    for (const auto& l : closed) c.deps.data_plane.CloseListener(l);
    return json::object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeLoadBalancerAttributes(Context& c, const RequestContext&, object& in) {
  return DescribeAttributesOf(GetLoadBalancer(c, GetString(in, "LoadBalancerArn")));
}

Outcome ModifyLoadBalancerAttributes(Context& c, const RequestContext&, object& in) {
  return ModifyAttributesOf(c, static_cast<int>(AttributeOwner::kLoadBalancer), GetArray(in, "Attributes"),
                            [&] { return GetLoadBalancer(c, GetString(in, "LoadBalancerArn")); });
}

// The load balancer's groups: what the nodes' security groups admit it by (its connections
// carry its mark, docs/SECURITY_GROUPS.md); the assignment board hears of the change through
// its watch on the load balancers.
Outcome SetSecurityGroups(Context& c, const RequestContext&, object& in) {
  json::array groups;
  for (const auto& g : GetArray(in, "SecurityGroups")) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  if (groups.empty()) {
    return InvalidConfiguration("An application load balancer must have at least one security group");
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetLoadBalancer(c, GetString(in, "LoadBalancerArn"));
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    record.value["loadBalancer"].as_object()["SecurityGroups"] = groups;
    ASSIGN_OR_FAIL(bool saved, SaveRecord(c.deps.store, record), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"SecurityGroupIds", groups}};
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::elbv2
