// Internet gateways: Create/Attach/Detach/Delete/DescribeInternetGateways. A gateway is
// attached to at most one VPC and a VPC has at most one gateway.
#include <algorithm>

#include "api/ec2/handlers.h"
#include "model/ec2_network.h"

namespace wharf::api::ec2 {

namespace {

std::variant<Record, AwsError> FindGateway(Context& c, std::string_view id) {
  auto found = ReadRecord(c.store(), InternetGatewayKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidInternetGatewayID.NotFound", "internetGateway", id);
  return std::move(**found);
}

std::string AttachedVpc(const object& gateway) { return model::InternetGatewayRecord(gateway).attached_vpc(); }

// Whether anything in the VPC has a public address that the gateway carries: NAT gateways
// that are not deleted (their elastic IPs).
Result<bool> HasMappedPublicAddresses(Context& c, std::string_view vpc_id) {
  ASSIGN_OR_RETURN(auto nats, controlplane::LoadRecords(c.store(), kNatGatewaysPrefix));
  for (const object& n : nats) {
    model::NatGatewayRecord nat(n);
    if (nat.vpc_id() == vpc_id && nat.holds_resources() && nat.is_public()) return true;
  }
  return false;
}

}  // namespace

Outcome CreateInternetGateway(Context& c, const RequestContext& ctx, object& in) {
  std::string id = c.NewId("igw");
  object gateway{{"Attachments", json::array()},
                 {"InternetGatewayId", id},
                 {"OwnerId", ctx.account_id},
                 {"Tags", TagsFor(in, "internet-gateway")}};
  store::Txn txn{{{InternetGatewayKey(id), 0}}, {store::Op::Put(InternetGatewayKey(id), Serialize(gateway))}};
  ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
  if (!result.succeeded) return TooManyConcurrentUpdates();
  return object{{"InternetGateway", std::move(gateway)}};
}

Outcome AttachInternetGateway(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "InternetGatewayId");
  std::string vpc_id = GetString(in, "VpcId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto gateway = FindGateway(c, id);
    if (auto* err = std::get_if<AwsError>(&gateway)) return *err;
    auto vpc = FindVpc(c, vpc_id);
    if (auto* err = std::get_if<AwsError>(&vpc)) return *err;
    Record& g = std::get<Record>(gateway);
    if (std::string attached = AttachedVpc(g.value); !attached.empty()) {
      return AwsError::Client("Resource.AlreadyAssociated",
                              "resource " + id + " is already attached to network " + attached);
    }
    ASSIGN_OR_FAIL(auto all, ReadRecords(c.store(), kInternetGatewaysPrefix), Ec2Error);
    store::Txn txn;
    for (const Record& other : all) {
      if (AttachedVpc(other.value) == vpc_id) {
        return AwsError::Client("Resource.AlreadyAssociated",
                                "resource " + vpc_id + " is already attached to network " +
                                    GetString(other.value, "InternetGatewayId"));
      }
    }
    g.value["Attachments"] = json::array{object{{"State", "available"}, {"VpcId", vpc_id}}};
    txn.compares.push_back({g.key, g.mod_revision});
    txn.ops.push_back(store::Op::Put(g.key, Serialize(g.value)));
    // The VPC rewritten: two gateways attached to it at once cannot both commit.
    TouchParent(txn, std::get<Record>(vpc));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DetachInternetGateway(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "InternetGatewayId");
  std::string vpc_id = GetString(in, "VpcId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto gateway = FindGateway(c, id);
    if (auto* err = std::get_if<AwsError>(&gateway)) return *err;
    Record& g = std::get<Record>(gateway);
    if (AttachedVpc(g.value) != vpc_id) {
      return AwsError::Client("Gateway.NotAttached", "resource " + id + " is not attached to network " + vpc_id);
    }
    auto vpc = FindVpc(c, vpc_id);
    if (auto* err = std::get_if<AwsError>(&vpc)) return *err;
    ASSIGN_OR_FAIL(bool mapped, HasMappedPublicAddresses(c, vpc_id), Ec2Error);
    if (mapped) {
      return AwsError::Client("DependencyViolation",
                              "Network " + vpc_id +
                                  " has some mapped public address(es). Please unmap those public "
                                  "address(es) before detaching the gateway.");
    }
    g.value["Attachments"] = json::array();
    store::Txn txn;
    txn.compares.push_back({g.key, g.mod_revision});
    txn.ops.push_back(store::Op::Put(g.key, Serialize(g.value)));
    // Compared (NAT gateways made in the VPC's subnets meanwhile rewrite their subnet, not the
    // VPC; a NAT gateway made as the gateway leaves is AWS's race too).
    const Record& v = std::get<Record>(vpc);
    txn.compares.push_back({v.key, v.mod_revision});
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DeleteInternetGateway(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "InternetGatewayId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto gateway = FindGateway(c, id);
    if (auto* err = std::get_if<AwsError>(&gateway)) return *err;
    Record& g = std::get<Record>(gateway);
    if (!AttachedVpc(g.value).empty()) return HasDependencies("internetGateway", id);
    store::Txn txn{{{g.key, g.mod_revision}}, {store::Op::Delete(g.key)}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeInternetGateways(Context& c, const RequestContext&, object& in) {
  return Describe(c, in,
                  {.prefix = kInternetGatewaysPrefix,
                   .ids_member = "InternetGatewayIds",
                   .ids_parameter = "internetGatewayIds",
                   .id_member = "InternetGatewayId",
                   .result_member = "InternetGateways",
                   .fields = {{"internet-gateway-id", "InternetGatewayId"},
                              {"attachment.vpc-id", "Attachments.VpcId"},
                              {"attachment.state", "Attachments.State"},
                              {"owner-id", "OwnerId"}},
                   .not_found = [](const std::string& id) {
                     return NotFound("InvalidInternetGatewayID.NotFound", "internetGateway", id);
                   },
                   .paging = PageLimits{5, 1000}});
}

}  // namespace wharf::api::ec2
