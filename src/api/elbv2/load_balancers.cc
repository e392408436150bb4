// Load balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer,
// Describe/ModifyLoadBalancerAttributes, SetSecurityGroups, SetSubnets, SetIpAddressType.
// A load balancer is in the VPC of its subnets, with a network interface in each
// (lb_network.h).
#include <algorithm>

#include "api/elbv2/attributes.h"
#include "api/elbv2/handlers.h"
#include "api/elbv2/lb_network.h"

namespace wharf::api::elbv2 {

namespace {

// A new load balancer answers "provisioning" this long, then "active" (so `aws elbv2 wait
// load-balancer-available` sees the transition AWS has).
constexpr double kProvisioningSeconds = 1.0;
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
  if (scheme != "internet-facing" && scheme != "internal") {
    return ValidationError("Scheme '" + scheme + "' must be one of internet-facing, internal");
  }
  std::string ip_address_type = GetString(in, "IpAddressType", "ipv4");
  if (auto err = CheckIpAddressType(ip_address_type)) return *err;
  auto placement = ResolveSubnets(c, in);
  if (auto* err = std::get_if<AwsError>(&placement)) return *err;
  LbPlacement& where = std::get<LbPlacement>(placement);
  if (scheme == "internet-facing") {
    if (auto err = CheckInternetGateway(c, where.vpc_id)) return *err;
  }
  if (auto err = CheckNewTags(GetArray(in, "Tags"))) return *err;
  json::array groups;
  for (const auto& g : GetArray(in, "SecurityGroups")) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  if (groups.empty()) {
    // As on AWS: the VPC's default group.
    std::string id;
    ASSIGN_OR_FAIL(id, DefaultSecurityGroup(c, where.vpc_id), Elbv2Error);
    if (id.empty() && c.deps.default_security_group) {
      ASSIGN_OR_FAIL(id, c.deps.default_security_group(), Elbv2Error);
    }
    groups.push_back(json::value(id.empty() ? std::string(kDefaultSecurityGroup) : id));
  } else if (auto err = CheckSecurityGroups(c, groups, where.vpc_id)) {
    return *err;
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
      {"VpcId", where.vpc_id},
      {"Type", "application"},
      {"AvailabilityZones", where.zones},
      {"SecurityGroups", std::move(groups)},
      {"IpAddressType", ip_address_type},
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
    store::Txn txn{{store::Compare{key, 0}}, {}};
    auto fresh = ResolveSubnets(c, in);  // the subnets' records at their current revisions
    if (auto* err = std::get_if<AwsError>(&fresh)) return *err;
    auto interfaces = PlanInterfaces(c, std::get<LbPlacement>(fresh), {}, GetString(lb, "LoadBalancerArn"),
                                     scheme == "internet-facing", txn);
    if (auto* err = std::get_if<AwsError>(&interfaces)) return *err;
    model::SetLoadBalancerInterfaces(record, std::get<std::vector<model::LoadBalancerInterface>>(interfaces));
    txn.ops.push_back(store::Op::Put(key, Serialize(record)));
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
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
    ReleaseInterfaces(model::LoadBalancerRecord(record.value).interfaces(), txn);
    for (const auto& l : listeners) closed.push_back(DropListener(l, txn));
    DeleteRecords(rules, txn);
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
    if (auto err = CheckSecurityGroups(c, groups, model::LoadBalancerRecord(record.value).vpc_id())) return *err;
    record.value["loadBalancer"].as_object()["SecurityGroups"] = groups;
    ASSIGN_OR_FAIL(bool saved, SaveRecord(c.deps.store, record), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"SecurityGroupIds", groups}};
  }).value_or(TooManyConcurrentUpdates());
}

// The load balancer's subnets: the same rules as at creation, in the VPC it is in. An
// interface in a subnet that stays is kept; new subnets get one, dropped ones release theirs.
Outcome SetSubnets(Context& c, const RequestContext&, object& in) {
  if (GetArray(in, "Subnets").empty() && GetArray(in, "SubnetMappings").empty()) {
    // Not the default VPC's subnets, as at creation: the load balancer keeps its VPC.
    return InvalidConfiguration("At least two subnets in two different Availability Zones must be specified");
  }
  if (Has(in, "IpAddressType")) {
    if (auto err = CheckIpAddressType(GetString(in, "IpAddressType"))) return *err;
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto placement = ResolveSubnets(c, in);
    if (auto* err = std::get_if<AwsError>(&placement)) return *err;
    LbPlacement& where = std::get<LbPlacement>(placement);
    Lookup found = GetLoadBalancer(c, GetString(in, "LoadBalancerArn"));
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    model::LoadBalancerRecord lb(record.value);
    if (where.vpc_id != lb.vpc_id()) {
      return InvalidConfiguration("The subnets must be in the load balancer's VPC '" + lb.vpc_id() + "'; '" +
                                  where.subnets.front().id + "' is in '" + where.vpc_id + "'");
    }
    if (lb.internet_facing()) {
      if (auto err = CheckInternetGateway(c, where.vpc_id)) return *err;
    }
    store::Txn txn{{{record.key, record.mod_revision}}, {}};
    auto interfaces = PlanInterfaces(c, where, lb.interfaces(), lb.arn(), lb.internet_facing(), txn);
    if (auto* err = std::get_if<AwsError>(&interfaces)) return *err;
    model::SetLoadBalancerInterfaces(record.value, std::get<std::vector<model::LoadBalancerInterface>>(interfaces));
    json::object& shape = record.value["loadBalancer"].as_object();
    shape["AvailabilityZones"] = where.zones;
    txn.ops.push_back(store::Op::Put(record.key, Serialize(record.value)));
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"AvailabilityZones", where.zones},
                        {"IpAddressType", GetString(shape, "IpAddressType", "ipv4")}};
  }).value_or(TooManyConcurrentUpdates());
}

// ipv4 only: wharf's VPCs have no IPv6 (dualstack is refused, not ignored).
Outcome SetIpAddressType(Context& c, const RequestContext&, object& in) {
  std::string type = GetString(in, "IpAddressType");
  if (auto err = CheckIpAddressType(type)) return *err;
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetLoadBalancer(c, GetString(in, "LoadBalancerArn"));
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    record.value["loadBalancer"].as_object()["IpAddressType"] = type;
    ASSIGN_OR_FAIL(bool saved, SaveRecord(c.deps.store, record), Elbv2Error);
    if (!saved) return store::kConflict;
    return json::object{{"IpAddressType", type}};
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::elbv2
