// NAT gateways: CreateNatGateway, DeleteNatGateway, DescribeNatGateways.
//
// A gateway is stored once with its CreateTime (and DeleteTime once deleted); its State is
// computed when it is shown: pending for NetworkOptions::nat_gateway_transition_ms after
// creation, then available; deleting for as long after DeleteNatGateway, then deleted, and
// gone from view an hour later, as AWS shows deleted gateways for a while. Its network
// interface takes an address of its subnet (claimed under ecs/eni-ips/, where task addresses
// are claimed) and its elastic IP is associated with that interface until it is deleted.
// What AWS reports by a gateway going to `failed` (no internet gateway on a public gateway's
// VPC, an elastic IP already in use, a full subnet) is so here too: the gateway is stored
// with FailureCode and FailureMessage and holds nothing.
#include <algorithm>
#include <optional>
#include <set>

#include "api/ec2/handlers.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"

namespace wharf::api::ec2 {

namespace vpc = controlplane::vpc;

namespace {

constexpr double kDeletedShownSeconds = 3600;

std::variant<Record, AwsError> FindNatGateway(Context& c, std::string_view id) {
  AwsError missing = AwsError::Client("NatGatewayNotFound", "NAT gateway " + std::string(id) + " was not found");
  if (!id.starts_with("nat-")) return missing;
  auto found = ReadRecord(c.store(), NatGatewayKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return missing;
  return std::move(**found);
}

}  // namespace

Outcome CreateNatGateway(Context& c, const RequestContext& ctx, object& in) {
  std::string subnet_id = GetString(in, "SubnetId");
  std::string allocation_id = GetString(in, "AllocationId");
  std::string connectivity = GetString(in, "ConnectivityType", "public");
  if (subnet_id.empty()) return MissingParameter("subnetId");
  if (connectivity != "public" && connectivity != "private") {
    return InvalidParameterValue("Value (" + connectivity + ") for parameter connectivityType is invalid.");
  }
  if (connectivity == "public" && allocation_id.empty()) {
    return MissingParameter("allocationId");
  }
  if (connectivity == "private" && !allocation_id.empty()) {
    return InvalidParameterValue("A private NAT gateway cannot have an elastic IP address.");
  }
  std::string id = c.NewId("nat");
  std::string eni_id = c.NewId("eni");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto subnet = FindSubnetRecord(c, subnet_id);
    if (auto* err = std::get_if<AwsError>(&subnet)) return *err;
    Record& s = std::get<Record>(subnet);
    std::string vpc_id = GetString(s.value, "VpcId");
    object gateway{{"CreateTime", NowSeconds(ctx)},
                   {"NatGatewayAddresses", json::array()},
                   {"NatGatewayId", id},
                   {"State", "pending"},
                   {"SubnetId", subnet_id},
                   {"VpcId", vpc_id},
                   {"Tags", TagsFor(in, "natgateway")},
                   {"ConnectivityType", connectivity}};
    store::Txn txn;
    txn.compares.push_back({NatGatewayKey(id), 0});
    // What AWS reports as a NAT gateway that goes from pending to failed, not as an error of
    // this call: the gateway is made, holds nothing, and says why.
    auto fail = [&](const char* code, std::string message) -> store::Attempt<Outcome> {
      gateway["FailureCode"] = code;
      gateway["FailureMessage"] = std::move(message);
      txn.ops.push_back(store::Op::Put(NatGatewayKey(id), Serialize(gateway)));
      ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
      if (!result.succeeded) return store::kConflict;
      return Outcome(object{{"NatGateway", std::move(gateway)}});
    };
    if (connectivity == "public") {
      ASSIGN_OR_FAIL(auto gateways, controlplane::LoadRecords(c.store(), kInternetGatewaysPrefix), Ec2Error);
      bool attached = std::any_of(gateways.begin(), gateways.end(), [&](const object& g) {
        return model::InternetGatewayRecord(g).attached_vpc() == vpc_id;
      });
      if (!attached) return fail("Gateway.NotAttached", "Network " + vpc_id + " has no Internet gateway attached");
    }
    std::optional<Record> address;
    if (!allocation_id.empty()) {
      auto found = FindAddress(c, allocation_id);
      if (auto* err = std::get_if<AwsError>(&found)) return *err;
      address = std::move(std::get<Record>(found));
      auto held = AddressHeld(c, ctx, address->value);
      if (auto* err = std::get_if<AwsError>(&held)) return *err;
      if (std::get<bool>(held)) {
        return fail("Resource.AlreadyAssociated", "Elastic IP address " + allocation_id + " is already associated");
      }
    }
    auto cidr = vpc::ParseIpv4Cidr(GetString(s.value, "CidrBlock"));
    std::string prefix = model::keys::EniIpPrefix(subnet_id);
    ASSIGN_OR_FAIL(store::Page claimed, c.store().List(prefix, "", 0), Ec2Error);
    std::set<std::string> taken;
    for (const auto& kv : claimed.items) taken.insert(kv.key.substr(prefix.size()));
    auto ip = cidr ? vpc::FirstFreeAddress(*cidr, taken) : std::nullopt;
    if (!ip) {
      return fail("InsufficientFreeAddressesInSubnet", "Subnet has insufficient free addresses to create this NAT gateway");
    }
    TouchParent(txn, s);  // a DeleteSubnet racing this one sees the gateway
    object address_out{{"NetworkInterfaceId", eni_id}, {"PrivateIp", *ip}, {"IsPrimary", true}, {"Status", "succeeded"}};
    if (address) {
      std::string association = c.NewId("eipassoc");
      address_out["AllocationId"] = allocation_id;
      address_out["PublicIp"] = GetString(address->value, "PublicIp");
      address_out["AssociationId"] = association;
      address->value["AssociationId"] = association;
      address->value["NetworkInterfaceId"] = eni_id;
      address->value["NetworkInterfaceOwnerId"] = ctx.account_id;
      address->value["PrivateIpAddress"] = *ip;
      txn.compares.push_back({address->key, address->mod_revision});
      txn.ops.push_back(store::Op::Put(address->key, Serialize(address->value)));
    }
    std::string claim = model::keys::EniIpKey(subnet_id, *ip);
    txn.compares.push_back({claim, 0});
    txn.ops.push_back(store::Op::Put(claim, Serialize(object{{"networkInterfaceId", eni_id}, {"natGatewayId", id}})));
    gateway["NatGatewayAddresses"] = json::array{address_out};
    txn.ops.push_back(store::Op::Put(NatGatewayKey(id), Serialize(gateway)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    gateway["NatGatewayAddresses"].as_array()[0].as_object()["Status"] = "associating";
    return Outcome(object{{"NatGateway", std::move(gateway)}});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DeleteNatGateway(Context& c, const RequestContext& ctx, object& in) {
  std::string id = GetString(in, "NatGatewayId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindNatGateway(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& g = std::get<Record>(found);
    if (model::NatGatewayRecord(g.value).deleted()) return object{{"NatGatewayId", id}};  // already going
    g.value["DeleteTime"] = NowSeconds(ctx);
    store::Txn txn{{{g.key, g.mod_revision}}, {}};
    for (auto& av : g.value["NatGatewayAddresses"].as_array()) {
      object& address = av.as_object();
      std::string private_ip = GetString(address, "PrivateIp");
      if (!private_ip.empty()) {
        txn.ops.push_back(store::Op::Delete(model::keys::EniIpKey(GetString(g.value, "SubnetId"), private_ip)));
      }
      std::string allocation_id = GetString(address, "AllocationId");
      if (allocation_id.empty()) continue;
      auto eip = ReadRecord(c.store(), AddressKey(allocation_id));
      if (!eip.ok()) return Ec2Error(eip.status());
      if (!*eip) continue;
      Record& a = **eip;
      if (GetString(a.value, "AssociationId") != GetString(address, "AssociationId")) continue;
      for (const char* member : {"AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress"}) {
        a.value.erase(member);
      }
      txn.compares.push_back({a.key, a.mod_revision});
      txn.ops.push_back(store::Op::Put(a.key, Serialize(a.value)));
    }
    txn.ops.push_back(store::Op::Put(g.key, Serialize(g.value)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{{"NatGatewayId", id}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeNatGateways(Context& c, const RequestContext& ctx, object& in) {
  // This call's filters are "Filter.N", not "Filters.N".
  if (auto* f = in.if_contains("Filter")) in["Filters"] = *f;
  double now = NowSeconds(ctx);
  double transition = static_cast<double>(c.network().nat_gateway_transition_ms) / 1000.0;
  return Describe(
      c, in,
      {.prefix = kNatGatewaysPrefix,
       .ids_member = "NatGatewayIds",
       .ids_parameter = "natGatewayIds",
       .id_member = "NatGatewayId",
       .result_member = "NatGateways",
       .fields = {{"nat-gateway-id", "NatGatewayId"},
                  {"state", "State"},
                  {"subnet-id", "SubnetId"},
                  {"vpc-id", "VpcId"}},
       .not_found = [](const std::string& id) {
         return AwsError::Client("NatGatewayNotFound", "NAT gateway " + id + " was not found");
       },
       .present =
           [&](object& g) {
             model::NatGatewayRecord nat(g);
             std::string state = nat.state(now, transition);
             if (auto deleted = nat.delete_time(); deleted && now - *deleted > kDeletedShownSeconds) {
               return false;
             }
             g["State"] = state;
             const char* address_status = state == "pending"    ? "associating"
                                          : state == "deleting" ? "disassociating"
                                          : state == "deleted"  ? "succeeded"
                                                                : "succeeded";
             for (auto& a : g["NatGatewayAddresses"].as_array()) a.as_object()["Status"] = address_status;
             if (state == "deleted") {
               for (auto& a : g["NatGatewayAddresses"].as_array()) a.as_object().erase("AssociationId");
             }
             return true;
           },
       .paging = PageLimits{5, 1000}});
}

}  // namespace wharf::api::ec2
