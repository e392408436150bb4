// Elastic IPs: AllocateAddress, ReleaseAddress, DescribeAddresses, DescribeAddressesAttribute.
// Addresses come from the server's pool (NetworkOptions::public_ip_pool); each is claimed under
// ec2/public-ips/<ip> in the transaction that allocates it, so two allocations never share one.
// An address a NAT gateway holds carries the gateway's association until the gateway is deleted.
#include <algorithm>
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

Outcome ReleaseAddress(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "AllocationId");
  if (id.empty()) {
    if (Has(in, "PublicIp")) return InvalidParameterValue("In a VPC an address is released by its AllocationId");
    return MissingParameter("allocationId");
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindAddress(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& a = std::get<Record>(found);
    if (Has(a.value, "AssociationId")) {
      return AwsError::Client("InvalidIPAddress.InUse", "Address " + GetString(a.value, "PublicIp") + " is in use.");
    }
    store::Txn txn{{{a.key, a.mod_revision}},
                   {store::Op::Delete(a.key), store::Op::Delete(PublicIpKey(GetString(a.value, "PublicIp")))}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeAddresses(Context& c, const RequestContext&, object& in) {
  std::vector<std::string> ips = Strings(in, "PublicIps");
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

// An association wharf makes is a NAT gateway's, which goes with the gateway: what is left to
// disassociate by hand is an association that is gone (terraform's aws_eip asks for it on
// destroy, after the gateway went, and takes InvalidAssociationID.NotFound as done).
Outcome DisassociateAddress(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "AssociationId");
  if (id.empty()) return MissingParameter("associationId");
  ASSIGN_OR_FAIL(auto addresses, controlplane::LoadRecords(c.store(), kAddressesPrefix), Ec2Error);
  for (const object& a : addresses) {
    if (GetString(a, "AssociationId") != id) continue;
    return AwsError::Client("InvalidIPAddress.InUse", "Address " + GetString(a, "PublicIp") +
                                                          " is in use by a NAT gateway; delete the gateway to release it.");
  }
  return NotFound("InvalidAssociationID.NotFound", "association", id);
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
