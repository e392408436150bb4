// Route tables and their routes and associations: Create/Delete/DescribeRouteTables,
// Create/Replace/DeleteRoute, Associate/Disassociate/ReplaceRouteTableAssociation.
//
// A subnet is associated with at most one route table (else it follows its VPC's main
// table): an association checks every table of the VPC and compares all their revisions.
#include <algorithm>
#include <functional>
#include <tuple>

#include "api/ec2/handlers.h"
#include "model/ec2_network.h"

namespace wharf::api::ec2 {

namespace {

std::variant<Record, AwsError> FindRouteTable(Context& c, std::string_view id) {
  auto found = ReadRecord(c.store(), RouteTableKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidRouteTableID.NotFound", "routeTable", id);
  return std::move(**found);
}

// The route's destination member and value in a request (IPv4, IPv6 or a prefix list).
std::pair<std::string, std::string> Destination(const object& in) {
  for (const char* member : {"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"}) {
    if (Has(in, member)) return {member, GetString(in, member)};
  }
  return {"", ""};
}

// The targets a route may have, by their request (and Route shape) member.
constexpr const char* kTargets[] = {"GatewayId",        "NatGatewayId",       "VpcEndpointId",
                                    "NetworkInterfaceId", "InstanceId",       "TransitGatewayId",
                                    "VpcPeeringConnectionId", "EgressOnlyInternetGatewayId",
                                    "LocalGatewayId",   "CarrierGatewayId",   "CoreNetworkArn"};

json::array::iterator FindRoute(json::array& routes, const std::string& member, const std::string& value) {
  return std::find_if(routes.begin(), routes.end(), [&](const json::value& r) {
    return GetString(r.as_object(), member) == value;
  });
}

// The route a Create/ReplaceRoute request describes, its target checked against the table's VPC.
std::variant<object, AwsError> RequestedRoute(Context& c, const object& in, const object& table) {
  auto [member, destination] = Destination(in);
  if (member.empty()) return MissingParameter("destinationCidrBlock");
  if (member == "DestinationCidrBlock") {
    auto cidr = ParseIpv4Cidr(destination);
    if (!cidr) return InvalidParameterValue("Value (" + destination + ") for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
    cidr->address = cidr->Network();
    destination = FormatIpv4Cidr(*cidr);
  }
  object route{{member, destination}};
  int targets = 0;
  std::string vpc_id = GetString(table, "VpcId");
  for (const char* target : kTargets) {
    std::string id = GetString(in, target);
    if (id.empty()) continue;
    ++targets;
    route[target] = id;
    if (std::string_view(target) == "GatewayId" && id.starts_with("igw-")) {
      auto g = ReadRecord(c.store(), InternetGatewayKey(id));
      if (!g.ok()) return Ec2Error(g.status());
      if (!*g) return NotFound("InvalidGatewayID.NotFound", "gateway", id);
      bool attached = false;
      for (const auto& a : GetArray((*g)->value, "Attachments")) attached = attached || GetString(a.as_object(), "VpcId") == vpc_id;
      if (!attached) {
        return InvalidParameterValue("route table " + GetString(table, "RouteTableId") + " and network gateway " + id +
                                     " belong to different networks");
      }
    } else if (std::string_view(target) == "NatGatewayId") {
      auto n = ReadRecord(c.store(), NatGatewayKey(id));
      if (!n.ok()) return Ec2Error(n.status());
      if (!*n || !model::NatGatewayRecord((*n)->value).holds_resources()) return NotFound("InvalidNatGatewayID.NotFound", "natGateway", id);
      if (GetString((*n)->value, "VpcId") != vpc_id) {
        return InvalidParameterValue("route table " + GetString(table, "RouteTableId") + " and NAT gateway " + id +
                                     " belong to different networks");
      }
    } else if (std::string_view(target) == "VpcEndpointId" || (std::string_view(target) == "GatewayId" && id.starts_with("vpce-"))) {
      auto e = ReadRecord(c.store(), VpcEndpointKey(id));
      if (!e.ok()) return Ec2Error(e.status());
      if (!*e) return NotFound("InvalidVpcEndpointId.NotFound", "Vpc Endpoint", id);
    } else if (std::string_view(target) == "GatewayId" && id != "local") {
      return NotFound("InvalidGatewayID.NotFound", "gateway", id);
    } else if (std::string_view(target) != "GatewayId") {
      return InvalidParameterValue("wharf routes only to internet gateways, NAT gateways and VPC endpoints; " +
                                   std::string(target) + " is not supported");
    }
  }
  if (targets == 0) {
    return MissingParameter("gatewayId, natGatewayId, vpcEndpointId or another target");
  }
  if (targets > 1) {
    return AwsError::Client("InvalidParameterCombination", "More than one target specified for the route.");
  }
  route["Origin"] = "CreateRoute";
  route["State"] = "active";
  return route;
}

// Commits `table` rewritten (compared at its revision).
store::Attempt<Outcome> Rewrite(Context& c, Record& table, object answer) {
  store::Txn txn{{{table.key, table.mod_revision}}, {store::Op::Put(table.key, Serialize(table.value))}};
  ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
  if (!result.succeeded) return store::kConflict;
  return Outcome(std::move(answer));
}

// The table holding the association `id`, and the association's index in it.
struct FoundAssociation {
  Record table;
  size_t index = 0;
};
std::variant<FoundAssociation, AwsError> FindAssociation(Context& c, std::string_view id) {
  auto tables = ReadRecords(c.store(), kRouteTablesPrefix);
  if (!tables.ok()) return Ec2Error(tables.status());
  for (Record& t : *tables) {
    const json::array& associations = GetArray(t.value, "Associations");
    for (size_t i = 0; i < associations.size(); ++i) {
      if (GetString(associations[i].as_object(), "RouteTableAssociationId") == id) return FoundAssociation{std::move(t), i};
    }
  }
  return NotFound("InvalidAssociationID.NotFound", "association", id);
}

}  // namespace

Outcome CreateRouteTable(Context& c, const RequestContext& ctx, object& in) {
  std::string vpc_id = GetString(in, "VpcId");
  std::string id = c.NewId("rtb");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto vpc = FindVpc(c, vpc_id);
    if (auto* err = std::get_if<AwsError>(&vpc)) return *err;
    object table{{"Associations", json::array()},
                 {"PropagatingVgws", json::array()},
                 {"RouteTableId", id},
                 {"Routes", json::array{object{{"DestinationCidrBlock", GetString(std::get<Record>(vpc).value, "CidrBlock")},
                                               {"GatewayId", "local"},
                                               {"Origin", "CreateRouteTable"},
                                               {"State", "active"}}}},
                 {"Tags", TagsFor(in, "route-table")},
                 {"VpcId", vpc_id},
                 {"OwnerId", ctx.account_id}};
    store::Txn txn;
    TouchParent(txn, std::get<Record>(vpc));
    txn.compares.push_back({RouteTableKey(id), 0});
    txn.ops.push_back(store::Op::Put(RouteTableKey(id), Serialize(table)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"RouteTable", std::move(table)}});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DeleteRouteTable(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "RouteTableId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindRouteTable(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& t = std::get<Record>(found);
    if (model::RouteTableRecord(t.value).has_associations()) return HasDependencies("routeTable", id);
    store::Txn txn{{{t.key, t.mod_revision}}, {store::Op::Delete(t.key)}};
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeRouteTables(Context& c, const RequestContext&, object& in) {
  return Describe(c, in,
                  {.prefix = kRouteTablesPrefix,
                   .ids_member = "RouteTableIds",
                   .ids_parameter = "routeTableIds",
                   .id_member = "RouteTableId",
                   .result_member = "RouteTables",
                   .fields = {{"route-table-id", "RouteTableId"},
                              {"vpc-id", "VpcId"},
                              {"owner-id", "OwnerId"},
                              {"association.route-table-association-id", "Associations.RouteTableAssociationId"},
                              {"association.route-table-id", "Associations.RouteTableId"},
                              {"association.subnet-id", "Associations.SubnetId"},
                              {"association.gateway-id", "Associations.GatewayId"},
                              {"association.main", "Associations.Main"},
                              {"route.destination-cidr-block", "Routes.DestinationCidrBlock"},
                              {"route.destination-ipv6-cidr-block", "Routes.DestinationIpv6CidrBlock"},
                              {"route.destination-prefix-list-id", "Routes.DestinationPrefixListId"},
                              {"route.gateway-id", "Routes.GatewayId"},
                              {"route.nat-gateway-id", "Routes.NatGatewayId"},
                              {"route.vpc-peering-connection-id", "Routes.VpcPeeringConnectionId"},
                              {"route.origin", "Routes.Origin"},
                              {"route.state", "Routes.State"}},
                   .not_found = [](const std::string& id) {
                     return NotFound("InvalidRouteTableID.NotFound", "routeTable", id);
                   },
                   .present =
                       [&](object& t) {
                         // A route to a NAT gateway that is gone is a blackhole, as on AWS.
                         for (auto& rv : t["Routes"].as_array()) {
                           object& r = rv.as_object();
                           std::string nat = GetString(r, "NatGatewayId");
                           if (nat.empty()) continue;
                           auto n = c.store().Get(NatGatewayKey(nat));
                           bool alive = false;
                           if (n.ok() && *n) {
                             auto parsed = ParseObject((*n)->value);
                             alive = parsed.ok() && model::NatGatewayRecord(*parsed).holds_resources();
                           }
                           r["State"] = alive ? "active" : "blackhole";
                         }
                         return true;
                       },
                   .paging = PageLimits{5, 100}});
}

// CreateRoute and ReplaceRoute: the table found and the requested route checked against it,
// then `change` edits the table's routes (its answer, or an error), one revision-checked write.
using RouteChange = std::function<std::variant<object, AwsError>(json::array& routes, object route,
                                                                 const std::string& member,
                                                                 const std::string& destination)>;

Outcome ChangeRoutes(Context& c, const object& in, const RouteChange& change) {
  std::string id = GetString(in, "RouteTableId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindRouteTable(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& t = std::get<Record>(found);
    auto route = RequestedRoute(c, in, t.value);
    if (auto* err = std::get_if<AwsError>(&route)) return *err;
    object& r = std::get<object>(route);
    auto [member, destination] = Destination(r);
    auto answer = change(t.value["Routes"].as_array(), std::move(r), member, destination);
    if (auto* err = std::get_if<AwsError>(&answer)) return *err;
    return Rewrite(c, t, std::move(std::get<object>(answer)));
  }).value_or(TooManyConcurrentUpdates());
}

Outcome CreateRoute(Context& c, const RequestContext&, object& in) {
  return ChangeRoutes(c, in, [](json::array& routes, object r, const std::string& member,
                                const std::string& destination) -> std::variant<object, AwsError> {
    if (FindRoute(routes, member, destination) != routes.end()) {
      return AwsError::Client("RouteAlreadyExists", "The route identified by " + destination + " already exists.");
    }
    routes.push_back(std::move(r));
    return object{{"Return", true}};
  });
}

Outcome ReplaceRoute(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "RouteTableId");
  return ChangeRoutes(c, in, [&id](json::array& routes, object r, const std::string& member,
                                   const std::string& destination) -> std::variant<object, AwsError> {
    auto it = FindRoute(routes, member, destination);
    if (it == routes.end()) {
      return InvalidParameterValue("There is no route defined for '" + destination +
                                   "' in the route table. Use CreateRoute instead.");
    }
    if (GetString(it->as_object(), "GatewayId") == "local") {
      return InvalidParameterValue("cannot replace local route " + destination + " in route table " + id);
    }
    *it = std::move(r);
    return object{};
  });
}

Outcome DeleteRoute(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "RouteTableId");
  std::string member, destination;
  std::tie(member, destination) = Destination(in);
  if (member.empty()) return MissingParameter("destinationCidrBlock");
  if (auto cidr = ParseIpv4Cidr(destination); cidr && member == "DestinationCidrBlock") {
    cidr->address = cidr->Network();
    destination = FormatIpv4Cidr(*cidr);
  }
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindRouteTable(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& t = std::get<Record>(found);
    json::array& routes = t.value["Routes"].as_array();
    auto it = FindRoute(routes, member, destination);
    if (it == routes.end()) {
      return AwsError::Client("InvalidRoute.NotFound", "no route with destination-cidr-block " + destination +
                                                           " in route table " + id);
    }
    if (GetString(it->as_object(), "GatewayId") == "local") {
      return InvalidParameterValue("cannot remove local route " + destination + " in route table " + id);
    }
    routes.erase(it);
    return Rewrite(c, t, object{});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome AssociateRouteTable(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "RouteTableId");
  std::string subnet_id = GetString(in, "SubnetId");
  if (subnet_id.empty()) {
    if (Has(in, "GatewayId")) return InvalidParameterValue("wharf associates route tables with subnets only");
    return MissingParameter("subnetId");
  }
  std::string association = c.NewId("rtbassoc");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto subnet = FindSubnetRecord(c, subnet_id);
    if (auto* err = std::get_if<AwsError>(&subnet)) return *err;
    ASSIGN_OR_FAIL(auto tables, ReadRecords(c.store(), kRouteTablesPrefix), Ec2Error);
    auto table = std::find_if(tables.begin(), tables.end(), [&](const Record& t) { return GetString(t.value, "RouteTableId") == id; });
    if (table == tables.end()) return NotFound("InvalidRouteTableID.NotFound", "routeTable", id);
    const Record& s = std::get<Record>(subnet);
    if (GetString(s.value, "VpcId") != GetString(table->value, "VpcId")) {
      return InvalidParameterValue("Route table " + id + " and subnet " + subnet_id + " belong to different networks");
    }
    store::Txn txn;
    txn.compares.push_back({s.key, s.mod_revision});
    for (const Record& t : tables) {
      model::RouteTableRecord other(t.value);
      if (other.associated_with_subnet(subnet_id)) {
        return AwsError::Client("Resource.AlreadyAssociated", "the specified association for route table " +
                                                                  other.id() + " conflicts with an existing association");
      }
      txn.compares.push_back({t.key, t.mod_revision});
    }
    table->value["Associations"].as_array().push_back(object{{"Main", false},
                                                             {"RouteTableAssociationId", association},
                                                             {"RouteTableId", id},
                                                             {"SubnetId", subnet_id},
                                                             {"AssociationState", object{{"State", "associated"}}}});
    txn.ops.push_back(store::Op::Put(table->key, Serialize(table->value)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"AssociationId", association}, {"AssociationState", object{{"State", "associated"}}}});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DisassociateRouteTable(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "AssociationId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindAssociation(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    FoundAssociation& f = std::get<FoundAssociation>(found);
    json::array& associations = f.table.value["Associations"].as_array();
    if (GetBool(associations[f.index].as_object(), "Main").value_or(false)) {
      return InvalidParameterValue("cannot disassociate the main route table association " + id);
    }
    associations.erase(associations.begin() + static_cast<std::ptrdiff_t>(f.index));
    return Rewrite(c, f.table, object{});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome ReplaceRouteTableAssociation(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "AssociationId");
  std::string table_id = GetString(in, "RouteTableId");
  std::string new_id = c.NewId("rtbassoc");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindAssociation(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    FoundAssociation& f = std::get<FoundAssociation>(found);
    auto target = FindRouteTable(c, table_id);
    if (auto* err = std::get_if<AwsError>(&target)) return *err;
    Record& to = std::get<Record>(target);
    if (GetString(to.value, "VpcId") != GetString(f.table.value, "VpcId")) {
      return InvalidParameterValue("Route table " + table_id + " belongs to a different network");
    }
    object association = f.table.value["Associations"].as_array()[f.index].as_object();
    association["RouteTableAssociationId"] = new_id;
    association["RouteTableId"] = table_id;
    store::Txn txn;
    if (to.key == f.table.key) {  // the same table: only the id changes
      f.table.value["Associations"].as_array()[f.index] = association;
    } else {
      json::array& from = f.table.value["Associations"].as_array();
      from.erase(from.begin() + static_cast<std::ptrdiff_t>(f.index));
      to.value["Associations"].as_array().push_back(association);
      txn.compares.push_back({to.key, to.mod_revision});
      txn.ops.push_back(store::Op::Put(to.key, Serialize(to.value)));
    }
    txn.compares.push_back({f.table.key, f.table.mod_revision});
    txn.ops.push_back(store::Op::Put(f.table.key, Serialize(f.table.value)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"NewAssociationId", new_id}, {"AssociationState", object{{"State", "associated"}}}});
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::ec2
