// Elastic IPs: AllocateAddress, ReleaseAddress, DescribeAddresses, DescribeAddressesAttribute.
// Addresses come from the server's pool (NetworkOptions::public_ip_pool); each is claimed under
// ec2/public-ips/<ip> in the transaction that allocates it, so two allocations never share one.
// An address a NAT gateway holds carries the gateway's association until the gateway is deleted;
// one associated with a task's interface (AssociateAddress) until it is disassociated or the
// interface goes (the task stops), whichever is first.
#include <algorithm>
#include <map>
#include <set>

#include "api/ec2/handlers.h"
#include "controlplane/vpc_rules.h"

namespace wharf::api::ec2 {

namespace vpc = controlplane::vpc;

std::variant<Record, AwsError> FindAddress(Context& c, std::string_view allocation_id) {
  auto found = ReadRecord(c.store(), AddressKey(allocation_id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidAllocationID.NotFound", "allocation", allocation_id);
  return std::move(**found);
}

namespace {

constexpr const char* kAssociationMembers[] = {"AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId",
                                               "PrivateIpAddress"};

// The interfaces there are now, by id.
std::variant<std::map<std::string, object>, AwsError> InterfacesById(Context& c, const RequestContext& ctx) {
  auto listed = NetworkInterfaces(c, ctx);
  if (auto* err = std::get_if<AwsError>(&listed)) return *err;
  std::map<std::string, object> out;
  for (object& e : std::get<std::vector<object>>(listed)) out[GetString(e, "NetworkInterfaceId")] = std::move(e);
  return out;
}

// An association lasts as long as its interface: a task's goes when the task stops.
bool AssociationLive(const object& address, const std::map<std::string, object>& interfaces) {
  return Has(address, "AssociationId") && interfaces.count(GetString(address, "NetworkInterfaceId")) > 0;
}

bool HeldByNatGateway(const object& address, const std::map<std::string, object>& interfaces) {
  auto it = interfaces.find(GetString(address, "NetworkInterfaceId"));
  return it != interfaces.end() && GetString(it->second, "InterfaceType") == "nat_gateway";
}

}  // namespace

std::variant<bool, AwsError> AddressHeld(Context& c, const RequestContext& ctx, const object& address) {
  if (!Has(address, "AssociationId")) return false;
  auto listed = InterfacesById(c, ctx);
  if (auto* err = std::get_if<AwsError>(&listed)) return *err;
  return AssociationLive(address, std::get<std::map<std::string, object>>(listed));
}

Outcome AllocateAddress(Context& c, const RequestContext& ctx, object& in) {
  std::string domain = GetString(in, "Domain", "vpc");
  if (domain != "vpc") {
    return InvalidParameterValue("Value (" + domain + ") for parameter domain is invalid. EC2-Classic is retired; use vpc.");
  }
  if (Has(in, "Address") || Has(in, "PublicIpv4Pool") || Has(in, "CustomerOwnedIpv4Pool")) {
    return InvalidParameterValue("wharf allocates addresses only from its own pool");
  }
  auto pool = vpc::ParseIpv4Cidr(c.network().public_ip_pool);
  if (!pool) return Ec2Error(Status::Internal("bad public IP pool " + c.network().public_ip_pool));
  std::string id = c.NewId("eipalloc");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    ASSIGN_OR_FAIL(store::Page claimed, c.store().List(model::keys::kPublicIps, "", 0), Ec2Error);
    std::set<std::string> taken;
    for (const auto& kv : claimed.items) taken.insert(kv.key.substr(model::keys::kPublicIps.size()));
    std::optional<std::string> ip;
    // Every address of the pool but its first and last (a /24's .0 and .255 look like no host).
    for (uint64_t i = 1; i + 1 < pool->Size() && !ip; ++i) {
      std::string candidate = vpc::FormatIpv4(pool->Network() + static_cast<uint32_t>(i));
      if (!taken.count(candidate)) ip = candidate;
    }
    if (!ip) {
      return AwsError::Client("AddressLimitExceeded", "The maximum number of addresses has been reached.");
    }
    object address{{"AllocationId", id},
                   {"PublicIp", *ip},
                   {"Domain", "vpc"},
                   {"PublicIpv4Pool", "amazon"},
                   {"NetworkBorderGroup", ctx.region},
                   {"Tags", TagsFor(in, "elastic-ip")}};
    store::Txn txn{{{PublicIpKey(*ip), 0}, {AddressKey(id), 0}},
                   {store::Op::Put(PublicIpKey(*ip), Serialize(object{{"AllocationId", id}})),
                    store::Op::Put(AddressKey(id), Serialize(address))}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    object out{{"AllocationId", id},        {"PublicIp", *ip},
               {"Domain", "vpc"},           {"PublicIpv4Pool", "amazon"},
               {"NetworkBorderGroup", ctx.region}};
    return out;
  }).value_or(TooManyConcurrentUpdates());
}

Outcome ReleaseAddress(Context& c, const RequestContext& ctx, object& in) {
  std::string id = GetString(in, "AllocationId");
  if (id.empty()) {
    if (Has(in, "PublicIp")) return InvalidParameterValue("In a VPC an address is released by its AllocationId");
    return MissingParameter("allocationId");
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindAddress(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& a = std::get<Record>(found);
    auto listed = InterfacesById(c, ctx);
    if (auto* err = std::get_if<AwsError>(&listed)) return *err;
    if (AssociationLive(a.value, std::get<std::map<std::string, object>>(listed))) {
      return AwsError::Client("InvalidIPAddress.InUse", "Address " + GetString(a.value, "PublicIp") + " is in use.");
    }
    store::Txn txn{{{a.key, a.mod_revision}},
                   {store::Op::Delete(a.key), store::Op::Delete(PublicIpKey(GetString(a.value, "PublicIp")))}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeAddresses(Context& c, const RequestContext& ctx, object& in) {
  std::vector<std::string> ips = Strings(in, "PublicIps");
  auto listed = InterfacesById(c, ctx);
  if (auto* err = std::get_if<AwsError>(&listed)) return *err;
  auto& interfaces = std::get<std::map<std::string, object>>(listed);
  Outcome out = Describe(c, in,
                         {.prefix = kAddressesPrefix,
                          .ids_member = "AllocationIds",
                          .ids_parameter = "allocationIds",
                          .id_member = "AllocationId",
                          .result_member = "Addresses",
                          .fields = {{"allocation-id", "AllocationId"},
                                     {"association-id", "AssociationId"},
                                     {"domain", "Domain"},
                                     {"network-border-group", "NetworkBorderGroup"},
                                     {"network-interface-id", "NetworkInterfaceId"},
                                     {"network-interface-owner-id", "NetworkInterfaceOwnerId"},
                                     {"private-ip-address", "PrivateIpAddress"},
                                     {"public-ip", "PublicIp"},
                                     {"instance-id", "InstanceId"}},
                          .not_found = [](const std::string& id) {
                            return NotFound("InvalidAllocationID.NotFound", "allocation", id);
                          },
                          .present =
                              [&](object& a) {
                                if (!AssociationLive(a, interfaces)) {
                                  for (const char* member : kAssociationMembers) a.erase(member);
                                }
                                return true;
                              }});
  if (!out.ok() || ips.empty()) return out;
  json::array& all = out.output()["Addresses"].as_array();
  json::array kept;
  for (const std::string& ip : ips) {
    auto it = std::find_if(all.begin(), all.end(), [&](const json::value& a) { return GetString(a.as_object(), "PublicIp") == ip; });
    if (it == all.end()) return AwsError::Client("InvalidAddress.NotFound", "Address '" + ip + "' not found.");
  }
  for (auto& a : all) {
    if (std::find(ips.begin(), ips.end(), GetString(a.as_object(), "PublicIp")) != ips.end()) kept.push_back(a);
  }
  out.output()["Addresses"] = std::move(kept);
  return out;
}

// An elastic IP onto a network interface (an awsvpc task's). A NAT gateway's address is its
// own and a load balancer's interfaces take none (an application load balancer has no elastic
// IPs). The association is recorded and shown (DescribeAddresses, DescribeNetworkInterfaces);
// wharf does not route the public address to the interface yet.
Outcome AssociateAddress(Context& c, const RequestContext& ctx, object& in) {
  std::string allocation_id = GetString(in, "AllocationId");
  if (allocation_id.empty()) {
    if (Has(in, "PublicIp")) return InvalidParameterValue("In a VPC an address is associated by its AllocationId");
    return MissingParameter("allocationId");
  }
  std::string eni_id = GetString(in, "NetworkInterfaceId");
  if (Has(in, "InstanceId")) {
    return InvalidParameterValue("wharf associates elastic IPs with network interfaces only: give networkInterfaceId "
                                 "instead of instanceId '" + GetString(in, "InstanceId") + "'");
  }
  if (eni_id.empty()) return MissingParameter("networkInterfaceId");
  bool allow_reassociation = GetBool(in, "AllowReassociation").value_or(false);
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindAddress(c, allocation_id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& address = std::get<Record>(found);
    auto listed = InterfacesById(c, ctx);
    if (auto* err = std::get_if<AwsError>(&listed)) return *err;
    auto& interfaces = std::get<std::map<std::string, object>>(listed);
    auto eni = interfaces.find(eni_id);
    if (eni == interfaces.end()) return NotFound("InvalidNetworkInterfaceID.NotFound", "network interface", eni_id);
    std::string requester = GetString(eni->second, "RequesterId");
    if (GetString(eni->second, "InterfaceType") == "nat_gateway" || requester == "amazon-elb") {
      return InvalidParameterValue("The network interface '" + eni_id + "' is managed by " +
                                   (requester == "amazon-elb" ? "Elastic Load Balancing" : "a NAT gateway") +
                                   " and cannot take an elastic IP address");
    }
    std::string private_ip = GetString(eni->second, "PrivateIpAddress");
    if (Has(in, "PrivateIpAddress") && GetString(in, "PrivateIpAddress") != private_ip) {
      return InvalidParameterValue("The private IP address " + GetString(in, "PrivateIpAddress") +
                                   " is not assigned to network interface " + eni_id);
    }
    if (AssociationLive(address.value, interfaces)) {
      if (GetString(address.value, "NetworkInterfaceId") == eni_id) {
        return object{{"AssociationId", GetString(address.value, "AssociationId")}};  // already there
      }
      if (!allow_reassociation || HeldByNatGateway(address.value, interfaces)) {
        return AwsError::Client("Resource.AlreadyAssociated", "resource " + allocation_id +
                                                                  " is already associated with associate-id " +
                                                                  GetString(address.value, "AssociationId"));
      }
    }
    store::Txn txn{{{address.key, address.mod_revision}}, {}};
    // The interface's address had another elastic IP: this one replaces it, as on AWS.
    ASSIGN_OR_FAIL(auto others, ReadRecords(c.store(), kAddressesPrefix), Ec2Error);
    for (Record& other : others) {
      if (other.key == address.key || GetString(other.value, "NetworkInterfaceId") != eni_id) continue;
      for (const char* member : kAssociationMembers) other.value.erase(member);
      txn.compares.push_back({other.key, other.mod_revision});
      txn.ops.push_back(store::Op::Put(other.key, Serialize(other.value)));
    }
    std::string association = c.NewId("eipassoc");
    address.value["AssociationId"] = association;
    address.value["NetworkInterfaceId"] = eni_id;
    address.value["NetworkInterfaceOwnerId"] = ctx.account_id;
    address.value["PrivateIpAddress"] = private_ip;
    txn.ops.push_back(store::Op::Put(address.key, Serialize(address.value)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{{"AssociationId", association}};
  }).value_or(TooManyConcurrentUpdates());
}

// A NAT gateway's association goes with the gateway (InvalidIPAddress.InUse here); an
// association whose interface is gone (its task stopped) is gone too: terraform's aws_eip asks
// for it on destroy and takes InvalidAssociationID.NotFound as done.
Outcome DisassociateAddress(Context& c, const RequestContext& ctx, object& in) {
  std::string id = GetString(in, "AssociationId");
  if (id.empty()) {
    if (Has(in, "PublicIp")) return InvalidParameterValue("In a VPC an address is disassociated by its AssociationId");
    return MissingParameter("associationId");
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    ASSIGN_OR_FAIL(auto addresses, ReadRecords(c.store(), kAddressesPrefix), Ec2Error);
    auto listed = InterfacesById(c, ctx);
    if (auto* err = std::get_if<AwsError>(&listed)) return *err;
    auto& interfaces = std::get<std::map<std::string, object>>(listed);
    for (Record& a : addresses) {
      if (GetString(a.value, "AssociationId") != id || !AssociationLive(a.value, interfaces)) continue;
      if (HeldByNatGateway(a.value, interfaces)) {
        return AwsError::Client("InvalidIPAddress.InUse", "Address " + GetString(a.value, "PublicIp") +
                                                              " is in use by a NAT gateway; delete the gateway to release it.");
      }
      for (const char* member : kAssociationMembers) a.value.erase(member);
      ASSIGN_OR_FAIL(store::TxnResult result,
                     c.store().Commit(store::Txn{{{a.key, a.mod_revision}}, {store::Op::Put(a.key, Serialize(a.value))}}),
                     Ec2Error);
      if (!result.succeeded) return store::kConflict;
      return Outcome(object{});
    }
    return NotFound("InvalidAssociationID.NotFound", "association", id);
  }).value_or(TooManyConcurrentUpdates());
}

// The reverse DNS name of an address (terraform's aws_eip reads it): wharf sets none.
Outcome DescribeAddressesAttribute(Context& c, const RequestContext&, object& in) {
  json::array out;
  for (const std::string& id : Strings(in, "AllocationIds")) {
    auto found = FindAddress(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    const object& a = std::get<Record>(found).value;
    out.push_back(object{{"AllocationId", id}, {"PublicIp", GetString(a, "PublicIp")}});
  }
  return object{{"Addresses", std::move(out)}};
}

}  // namespace wharf::api::ec2
