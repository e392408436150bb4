#include "api/elbv2/lb_network.h"

#include <algorithm>
#include <set>

#include "api/ec2/network.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"

namespace wharf::api::elbv2 {

namespace vpc = controlplane::vpc;

namespace {

std::variant<std::vector<std::string>, AwsError> AskedSubnets(const json::object& in) {
  std::vector<std::string> ids;
  for (const auto& s : GetArray(in, "Subnets")) ids.emplace_back(s.get_string());
  const json::array& mappings = GetArray(in, "SubnetMappings");
  if (!ids.empty() && !mappings.empty()) {
    return ValidationError("You can specify subnets or subnet mappings, not both");
  }
  for (const auto& m : mappings) {
    const json::object& mapping = m.get_object();
    if (Has(mapping, "AllocationId") || Has(mapping, "PrivateIPv4Address") || Has(mapping, "IPv6Address")) {
      return InvalidConfiguration(
          "Elastic IP addresses and private or IPv6 addresses in subnet mappings are only for network "
          "load balancers; an application load balancer takes its addresses from its subnets");
    }
    ids.push_back(GetString(mapping, "SubnetId"));
  }
  return ids;
}

// The default VPC's default subnets, as a load balancer created without subnets gets them.
Result<std::vector<std::string>> DefaultSubnets(Context& c) {
  ec2::NetworkOptions where;
  where.region = c.deps.region;
  where.account_id = c.deps.account_id;
  std::string vpc_id = ec2::DefaultVpcId(where);
  ASSIGN_OR_RETURN(auto subnets, ReadAll(c.deps.store, model::keys::kSubnets));
  std::vector<std::string> ids;
  for (const Record& s : subnets) {
    if (GetString(s.value, "VpcId") == vpc_id && GetBool(s.value, "DefaultForAz").value_or(false)) {
      ids.push_back(GetString(s.value, "SubnetId"));
    }
  }
  return ids;
}

}  // namespace

std::variant<LbPlacement, AwsError> ResolveSubnets(Context& c, const json::object& in) {
  auto asked = AskedSubnets(in);
  if (auto* err = std::get_if<AwsError>(&asked)) return *err;
  std::vector<std::string> ids = std::move(std::get<std::vector<std::string>>(asked));
  if (ids.empty()) {
    ASSIGN_OR_FAIL(ids, DefaultSubnets(c), Elbv2Error);
  }
  if (ids.size() > 26) return ValidationError("Too many subnets");
  LbPlacement placement;
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;  // the same subnet twice is one subnet
    std::optional<Record> found;
    if (id.starts_with("subnet-")) {
      ASSIGN_OR_FAIL(found, ReadRecord(c.deps.store, model::keys::SubnetKey(id)), Elbv2Error);
    }
    if (!found) return AwsError::Client("SubnetNotFound", "The subnet ID '" + id + "' is not valid");
    model::SubnetRecord s(found->value);
    placement.subnets.push_back({*found, id, s.vpc_id(), s.availability_zone(), s.cidr_block()});
  }
  for (const LbSubnet& s : placement.subnets) {
    if (placement.vpc_id.empty()) placement.vpc_id = s.vpc_id;
    if (s.vpc_id != placement.vpc_id) {
      return InvalidConfiguration("The subnets of a load balancer must all be in one VPC: '" +
                                  placement.subnets.front().id + "' is in '" + placement.vpc_id + "', '" + s.id +
                                  "' in '" + s.vpc_id + "'");
    }
  }
  std::sort(placement.subnets.begin(), placement.subnets.end(),
            [](const LbSubnet& a, const LbSubnet& b) { return a.zone < b.zone; });
  for (size_t i = 1; i < placement.subnets.size(); ++i) {
    if (placement.subnets[i].zone == placement.subnets[i - 1].zone) {
      return InvalidConfiguration("A load balancer cannot be attached to multiple subnets in the same Availability Zone");
    }
  }
  if (placement.subnets.size() < 2) {
    return InvalidConfiguration("At least two subnets in two different Availability Zones must be specified");
  }
  for (const LbSubnet& s : placement.subnets) {
    placement.zones.push_back(json::object{{"ZoneName", s.zone},
                                           {"SubnetId", s.id},
                                           {"LoadBalancerAddresses", json::array()}});
  }
  return placement;
}

std::optional<AwsError> CheckInternetGateway(Context& c, const std::string& vpc_id) {
  auto gateways = ReadAll(c.deps.store, model::keys::kInternetGateways);
  if (!gateways.ok()) return Elbv2Error(gateways.status());
  for (const Record& g : *gateways) {
    if (model::InternetGatewayRecord(g.value).attached_vpc() == vpc_id) return std::nullopt;
  }
  return AwsError::Client("InvalidSubnet", "VPC " + vpc_id + " has no internet gateway");
}

std::optional<AwsError> CheckSecurityGroups(Context& c, const json::array& groups, const std::string& vpc_id) {
  for (const auto& g : groups) {
    std::string id(g.is_string() ? std::string(g.get_string()) : std::string());
    std::optional<Record> found;
    if (id.starts_with("sg-")) {
      auto read = ReadRecord(c.deps.store, model::keys::SecurityGroupKey(id));
      if (!read.ok()) return Elbv2Error(read.status());
      found = std::move(*read);
    }
    if (!found) return AwsError::Client("InvalidSecurityGroup", "Security group '" + id + "' does not exist");
    std::string group_vpc = GetString(found->value, "VpcId");
    if (group_vpc != vpc_id) {
      return InvalidConfiguration("Security group '" + id + "' does not belong to VPC '" + vpc_id + "'");
    }
  }
  return std::nullopt;
}

Result<std::string> DefaultSecurityGroup(Context& c, const std::string& vpc_id) {
  ASSIGN_OR_RETURN(auto found, ReadRecord(c.deps.store, model::keys::SecurityGroupNameKey(vpc_id, "default")));
  return found ? GetString(found->value, "GroupId") : std::string();
}

std::variant<std::vector<model::LoadBalancerInterface>, AwsError> PlanInterfaces(
    Context& c, const LbPlacement& placement, const std::vector<model::LoadBalancerInterface>& current,
    const std::string& lb_arn, bool internet_facing, store::Txn& txn) {
  std::vector<model::LoadBalancerInterface> next;
  std::set<std::string> public_taken;  // the pool's claims, read once, and this plan's own
  std::optional<vpc::Ipv4Cidr> pool;
  if (internet_facing && !c.deps.public_ip_pool.empty()) {
    pool = vpc::ParseIpv4Cidr(c.deps.public_ip_pool);
    if (!pool) return Elbv2Error(Status::Internal("bad public IP pool " + c.deps.public_ip_pool));
    ASSIGN_OR_FAIL(store::Page claimed, c.deps.store.List(model::keys::kPublicIps, "", 0), Elbv2Error);
    for (const auto& kv : claimed.items) public_taken.insert(kv.key.substr(model::keys::kPublicIps.size()));
  }
  for (const LbSubnet& s : placement.subnets) {
    txn.compares.push_back({s.record.key, s.record.mod_revision});
    txn.ops.push_back(store::Op::Put(s.record.key, Serialize(s.record.value)));
    auto kept = std::find_if(current.begin(), current.end(),
                             [&](const model::LoadBalancerInterface& i) { return i.subnet_id == s.id; });
    if (kept != current.end()) {
      next.push_back(*kept);
      continue;
    }
    std::string prefix = model::keys::EniIpPrefix(s.id);
    ASSIGN_OR_FAIL(store::Page claimed, c.deps.store.List(prefix, "", 0), Elbv2Error);
    std::set<std::string> taken;
    for (const auto& kv : claimed.items) taken.insert(kv.key.substr(prefix.size()));
    auto cidr = vpc::ParseIpv4Cidr(s.cidr);
    auto ip = cidr ? vpc::FirstFreeAddress(*cidr, taken) : std::nullopt;
    if (!ip) {
      return InvalidConfiguration("Not enough IP space available in " + s.id +
                                  ". ELB requires at least 8 free IP addresses in each subnet.");
    }
    model::LoadBalancerInterface interface{s.id, *ip, "eni-" + c.NewHex(17)};
    if (pool) {
      // As AllocateAddress picks: neither the pool's first nor its last address.
      for (uint64_t n = 1; n + 1 < pool->Size() && interface.public_ip.empty(); ++n) {
        std::string candidate = vpc::FormatIpv4(pool->Network() + static_cast<uint32_t>(n));
        if (!public_taken.count(candidate)) interface.public_ip = candidate;
      }
      if (interface.public_ip.empty()) {
        return InvalidConfiguration("There are no public IP addresses left for an internet-facing load balancer in " +
                                    s.id + ": the server's public IP pool " + c.deps.public_ip_pool + " is used up");
      }
      public_taken.insert(interface.public_ip);
      std::string public_claim = model::keys::PublicIpKey(interface.public_ip);
      txn.compares.push_back({public_claim, 0});
      txn.ops.push_back(
          store::Op::Put(public_claim, Serialize(model::LoadBalancerAddressClaim(interface, lb_arn))));
    }
    std::string claim = model::keys::EniIpKey(s.id, *ip);
    txn.compares.push_back({claim, 0});
    txn.ops.push_back(store::Op::Put(claim, Serialize(model::LoadBalancerAddressClaim(interface, lb_arn))));
    next.push_back(std::move(interface));
  }
  std::vector<model::LoadBalancerInterface> dropped;
  for (const auto& i : current) {
    bool stays = std::any_of(next.begin(), next.end(),
                             [&](const model::LoadBalancerInterface& n) { return n.subnet_id == i.subnet_id; });
    if (!stays) dropped.push_back(i);
  }
  ReleaseInterfaces(dropped, txn);
  return next;
}

void ReleaseInterfaces(const std::vector<model::LoadBalancerInterface>& interfaces, store::Txn& txn) {
  for (const auto& i : interfaces) {
    if (!i.ip.empty()) txn.ops.push_back(store::Op::Delete(model::keys::EniIpKey(i.subnet_id, i.ip)));
    if (!i.public_ip.empty()) txn.ops.push_back(store::Op::Delete(model::keys::PublicIpKey(i.public_ip)));
  }
}

std::optional<AwsError> CheckIpAddressType(const std::string& type) {
  if (type == "ipv4") return std::nullopt;
  if (type == "dualstack" || type == "dualstack-without-public-ipv4") {
    return InvalidConfiguration("IP address type '" + type +
                                "' needs IPv6 subnets; wharf's VPCs have no IPv6, so load balancers are ipv4 only");
  }
  return ValidationError("IP address type '" + type + "' is not valid");
}

}  // namespace wharf::api::elbv2
