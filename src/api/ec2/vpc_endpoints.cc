// VPC endpoints: CreateVpcEndpoint, DescribeVpcEndpoints, DeleteVpcEndpoints, ModifyVpcEndpoint.
//
// A Gateway endpoint (s3, dynamodb) is a route in each of its route tables: destination the
// service's prefix list, target the endpoint; the routes are written with the endpoint and
// removed with it. An Interface endpoint has a network interface in each of its subnets,
// whose address is claimed under ecs/eni-ips/ like a task's. Endpoints are available at once
// (nothing has to be provisioned) and gone at once when deleted. An interface endpoint made
// without groups gets its VPC's default group, as on AWS. The server plays every interface
// endpoint: a task's connection to its address on 443 is redirected to the server when the
// endpoint's groups admit the task (controlplane::EndpointInterfaces, agent/network/egress.h).
#include <algorithm>
#include <cctype>
#include <set>

#include "api/ec2/handlers.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"
#include "model/vpc_dns.h"
#include "model/vpc_endpoint_names.h"

namespace wharf::api::ec2 {

namespace vpc = controlplane::vpc;

namespace {

std::variant<Record, AwsError> FindEndpoint(Context& c, std::string_view id) {
  auto found = ReadRecord(c.store(), VpcEndpointKey(id));
  if (!found.ok()) return Ec2Error(found.status());
  if (!*found) return NotFound("InvalidVpcEndpointId.NotFound", "Vpc Endpoint", id);
  return std::move(**found);
}

std::vector<std::string> StringsOf(const object& o, std::string_view member) { return Strings(o, member); }

// Adds (or removes) the endpoint's route in the route table records `tables` (by id) and
// puts them in `txn`; an error for a table that is missing or in another VPC.
std::optional<AwsError> ChangeGatewayRoutes(Context& c, store::Txn& txn, const object& endpoint,
                                            const std::vector<std::string>& tables, bool add) {
  std::string id = GetString(endpoint, "VpcEndpointId");
  std::string prefix_list = PrefixListId(GetString(endpoint, "ServiceName"));
  for (const std::string& table_id : tables) {
    auto found = ReadRecord(c.store(), RouteTableKey(table_id));
    if (!found.ok()) return Ec2Error(found.status());
    if (!*found) return NotFound("InvalidRouteTableID.NotFound", "routeTable", table_id);
    Record& t = **found;
    if (GetString(t.value, "VpcId") != GetString(endpoint, "VpcId")) {
      return InvalidParameterValue("Route table " + table_id + " is not in the endpoint's VPC");
    }
    json::array& routes = t.value["Routes"].as_array();
    auto it = std::remove_if(routes.begin(), routes.end(), [&](const json::value& r) {
      return GetString(r.as_object(), "GatewayId") == id;
    });
    routes.erase(it, routes.end());
    if (add) {
      routes.push_back(object{{"DestinationPrefixListId", prefix_list},
                              {"GatewayId", id},
                              {"Origin", "CreateRoute"},
                              {"State", "active"}});
    }
    txn.compares.push_back({t.key, t.mod_revision});
    txn.ops.push_back(store::Op::Put(t.key, Serialize(t.value)));
  }
  return std::nullopt;
}

// Claims an address for an interface in each of `subnets` and adds its id to the endpoint.
std::optional<AwsError> AddInterfaces(Context& c, store::Txn& txn, object& endpoint,
                                      const std::vector<std::string>& subnets) {
  for (const std::string& subnet_id : subnets) {
    auto subnet = FindSubnetRecord(c, subnet_id);
    if (auto* err = std::get_if<AwsError>(&subnet)) return *err;
    const Record& s = std::get<Record>(subnet);
    if (GetString(s.value, "VpcId") != GetString(endpoint, "VpcId")) {
      return InvalidParameterValue("Subnet " + subnet_id + " is not in the endpoint's VPC");
    }
    std::string prefix = model::keys::EniIpPrefix(subnet_id);
    auto claimed = c.store().List(prefix, "", 0);
    if (!claimed.ok()) return Ec2Error(claimed.status());
    std::set<std::string> taken;
    for (const auto& kv : claimed->items) taken.insert(kv.key.substr(prefix.size()));
    auto cidr = vpc::ParseIpv4Cidr(GetString(s.value, "CidrBlock"));
    auto ip = cidr ? vpc::FirstFreeAddress(*cidr, taken) : std::nullopt;
    if (!ip) return AwsError::Client("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet " + subnet_id + ".");
    std::string eni = c.NewId("eni");
    std::string claim = model::keys::EniIpKey(subnet_id, *ip);
    txn.compares.push_back({claim, 0});
    txn.ops.push_back(store::Op::Put(claim, Serialize(object{{"networkInterfaceId", eni},
                                                            {"vpcEndpointId", GetString(endpoint, "VpcEndpointId")}})));
    endpoint["NetworkInterfaceIds"].as_array().push_back(json::string(eni));
    endpoint["SubnetIds"].as_array().push_back(json::string(subnet_id));
    object& wharf = endpoint["_wharf"].as_object();
    wharf["addresses"].as_object()[subnet_id] = *ip;
    // Its zone names its zonal DNS name (model::EndpointDnsNames).
    if (!wharf["zones"].is_object()) wharf["zones"] = object();
    wharf["zones"].as_object()[subnet_id] = GetString(s.value, "AvailabilityZone");
  }
  return std::nullopt;
}

// Releases the interfaces (and their addresses) of the endpoint in `subnets`.
void RemoveInterfaces(store::Txn& txn, object& endpoint, const std::vector<std::string>& subnets) {
  json::array& subnet_ids = endpoint["SubnetIds"].as_array();
  json::array& enis = endpoint["NetworkInterfaceIds"].as_array();
  object& wharf = endpoint["_wharf"].as_object();
  object& addresses = wharf["addresses"].as_object();
  for (const std::string& subnet_id : subnets) {
    for (size_t i = 0; i < subnet_ids.size(); ++i) {
      if (std::string_view(subnet_ids[i].as_string()) != subnet_id) continue;
      subnet_ids.erase(subnet_ids.begin() + static_cast<std::ptrdiff_t>(i));
      if (i < enis.size()) enis.erase(enis.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    std::string ip = GetString(addresses, subnet_id);
    if (!ip.empty()) txn.ops.push_back(store::Op::Delete(model::keys::EniIpKey(subnet_id, ip)));
    addresses.erase(subnet_id);
    if (wharf["zones"].is_object()) wharf["zones"].as_object().erase(subnet_id);
  }
}

// What DescribeVpcEndpoints shows that is computed from the record: DnsEntries
// (model::EndpointDnsEntries, the names the VPC resolver answers, controlplane/vpc_names.cc),
// and an interface endpoint's IpAddressType and DnsOptions, which records made before wharf
// kept them lack (AWS's defaults in an IPv4 subnet). Always true: no endpoint is hidden.
bool Present(object& endpoint) {
  endpoint["DnsEntries"] = model::EndpointDnsEntries(endpoint);
  if (GetString(endpoint, "VpcEndpointType") == "Interface") {
    if (GetString(endpoint, "IpAddressType").empty()) endpoint["IpAddressType"] = "ipv4";
    if (!endpoint.contains("DnsOptions")) endpoint["DnsOptions"] = object{{"DnsRecordIpType", "ipv4"}};
  }
  return true;
}

// Whether interface endpoint `endpoint` may have private DNS on in VPC record `vpc`, in AWS's
// words: the VPC needs enableDnsSupport and enableDnsHostnames, and no other endpoint of the
// VPC may hold the same private DNS name (two private hosted zones for one domain).
std::optional<AwsError> CheckPrivateDns(Context& c, const object& vpc, const object& endpoint) {
  if (GetString(endpoint, "VpcEndpointType") != "Interface" || !GetBool(endpoint, "PrivateDnsEnabled").value_or(false)) {
    return std::nullopt;
  }
  std::string vpc_id = GetString(endpoint, "VpcId");
  model::VpcRecord view(vpc);
  if (!view.attribute("enableDnsSupport") || !view.attribute("enableDnsHostnames")) {
    return AwsError::Client("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and "
                                                "enableDnsHostnames VPC attributes set to true for " + vpc_id);
  }
  ASSIGN_OR_FAIL(auto endpoints, ReadRecords(c.store(), kVpcEndpointsPrefix), Ec2Error);
  for (const Record& other : endpoints) {
    const object& o = other.value;
    if (GetString(o, "VpcEndpointId") == GetString(endpoint, "VpcEndpointId") || GetString(o, "VpcId") != vpc_id ||
        GetString(o, "ServiceName") != GetString(endpoint, "ServiceName") ||
        GetString(o, "VpcEndpointType") != "Interface" || !GetBool(o, "PrivateDnsEnabled").value_or(false)) {
      continue;
    }
    auto service = model::EndpointServiceName::Parse(GetString(endpoint, "ServiceName"));
    if (!service) continue;
    std::string domain = model::EndpointPrivateDnsName(service->service, service->region);
    if (domain.starts_with("*.")) domain = domain.substr(2);
    return AwsError::Client("InvalidParameter", "private-dns-enabled cannot be set because there is already a "
                                                "conflicting DNS domain for " + domain + " in the VPC " + vpc_id);
  }
  return std::nullopt;
}

// Adds security groups `ids` to interface endpoint `endpoint`: each must exist and be in the
// endpoint's VPC (EC2's words for a group and a subnet of two VPCs); one already there is
// not listed twice.
std::optional<AwsError> AddGroups(Context& c, object& endpoint, const std::vector<std::string>& ids) {
  json::array& groups = endpoint["Groups"].as_array();
  for (const std::string& g : ids) {
    auto group = ReadRecord(c.store(), SecurityGroupKey(g));
    if (!group.ok()) return Ec2Error(group.status());
    if (!*group) return GroupNotFound(g);
    if (GetString((*group)->value, "VpcId") != GetString(endpoint, "VpcId")) {
      const json::array& subnets = endpoint["SubnetIds"].as_array();
      std::string where = subnets.empty() ? "VPC " + GetString(endpoint, "VpcId")
                                          : "subnet " + std::string(subnets[0].as_string());
      return AwsError::Client("InvalidParameter", "Security group " + g + " and " + where + " belong to different networks.");
    }
    bool listed = std::any_of(groups.begin(), groups.end(),
                              [&](const json::value& v) { return GetString(v.as_object(), "GroupId") == g; });
    if (!listed) groups.push_back(object{{"GroupId", g}, {"GroupName", GetString((*group)->value, "GroupName")}});
  }
  return std::nullopt;
}

// IpAddressType and DnsOptions of interface endpoint `endpoint` from request `in` (Create or
// Modify): wharf's subnets have IPv4 addresses only, so an endpoint is ipv4 with A records, as
// AWS makes one in subnets without IPv6 CIDR blocks; anything else is refused in EC2's terms.
std::optional<AwsError> SetAddressTypes(object& endpoint, const object& in) {
  std::string ip_type = GetString(in, "IpAddressType", GetString(endpoint, "IpAddressType", "ipv4"));
  if (ip_type != "ipv4") {
    return AwsError::Client("InvalidParameter", "IpAddressType " + ip_type + " needs subnets with IPv6 CIDR blocks: "
                                                "wharf's subnets are IPv4 only");
  }
  const object& options = GetObject(in, "DnsOptions");
  object current = GetObject(endpoint, "DnsOptions");
  std::string record_type = GetString(options, "DnsRecordIpType", GetString(current, "DnsRecordIpType", "ipv4"));
  if (record_type != "ipv4" && record_type != "service-defined") {
    return AwsError::Client("InvalidParameter", "DnsRecordIpType " + record_type + " is not valid for IpAddressType ipv4");
  }
  current["DnsRecordIpType"] = record_type;
  if (auto inbound = GetBool(options, "PrivateDnsOnlyForInboundResolverEndpoint")) {
    current["PrivateDnsOnlyForInboundResolverEndpoint"] = *inbound;
  }
  endpoint["IpAddressType"] = ip_type;
  endpoint["DnsOptions"] = std::move(current);
  return std::nullopt;
}

}  // namespace

Outcome CreateVpcEndpoint(Context& c, const RequestContext& ctx, object& in) {
  std::string vpc_id = GetString(in, "VpcId");
  std::string service = GetString(in, "ServiceName");
  std::string type = GetString(in, "VpcEndpointType", "Gateway");
  // Only the services wharf offers in the request's region (DescribeVpcEndpointServices).
  auto name = model::EndpointServiceName::Parse(service);
  const model::OfferedEndpointService* offered =
      name && name->region == ctx.region ? model::FindOfferedEndpointService(name->service) : nullptr;
  if (!offered) return AwsError::Client("InvalidServiceName", "The Vpc Endpoint Service '" + service + "' does not exist");
  // S3's and DynamoDB's interface endpoints are taken (AWS has them; wharf answers neither
  // service through one); another service has no gateway endpoint.
  if (type == "Gateway" && offered->type != "Gateway") {  // AWS's words, as clients quote them
    return AwsError::Client("InvalidParameter",
                            "Endpoint type (Gateway) does not match available service types ([" + std::string(offered->type) + "]).");
  }
  if (type != "Gateway" && type != "Interface") {
    return InvalidParameterValue("wharf makes Gateway and Interface endpoints; not " + type);
  }
  std::string id = c.NewId("vpce");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindVpc(c, vpc_id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    std::string policy = GetString(in, "PolicyDocument",
                                   R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})");
    object endpoint{{"VpcEndpointId", id},
                    {"VpcEndpointType", type},
                    {"VpcId", vpc_id},
                    {"ServiceName", service},
                    {"State", "available"},
                    {"PolicyDocument", policy},
                    {"RouteTableIds", json::array()},
                    {"SubnetIds", json::array()},
                    {"Groups", json::array()},
                    {"PrivateDnsEnabled", type == "Interface" && GetBool(in, "PrivateDnsEnabled").value_or(true)},
                    {"RequesterManaged", false},
                    {"NetworkInterfaceIds", json::array()},
                    {"DnsEntries", json::array()},
                    {"CreationTimestamp", NowSeconds(ctx)},
                    {"Tags", TagsFor(in, "vpc-endpoint")},
                    {"OwnerId", ctx.account_id},
                    {"_wharf", object{{"addresses", object()}}}};
    store::Txn txn;
    TouchParent(txn, std::get<Record>(found));
    if (type == "Gateway") {
      std::vector<std::string> tables = Strings(in, "RouteTableIds");
      if (auto err = ChangeGatewayRoutes(c, txn, endpoint, tables, true)) return *err;
      for (const std::string& t : tables) endpoint["RouteTableIds"].as_array().push_back(json::string(t));
    } else {
      if (auto err = SetAddressTypes(endpoint, in)) return *err;
      if (auto err = AddInterfaces(c, txn, endpoint, Strings(in, "SubnetIds"))) return *err;
      std::vector<std::string> groups = Strings(in, "SecurityGroupIds");
      if (groups.empty()) {
        // As EC2 does: without groups, the VPC's default security group.
        auto by_name = ReadRecord(c.store(), SecurityGroupNameKey(vpc_id, "default"));
        if (!by_name.ok()) return Ec2Error(by_name.status());
        if (*by_name) groups.push_back(GetString((*by_name)->value, "GroupId"));
      }
      if (auto err = AddGroups(c, endpoint, groups)) return *err;
      if (auto err = CheckPrivateDns(c, std::get<Record>(found).value, endpoint)) return *err;
    }
    Present(endpoint);
    txn.compares.push_back({VpcEndpointKey(id), 0});
    txn.ops.push_back(store::Op::Put(VpcEndpointKey(id), Serialize(endpoint)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"VpcEndpoint", Public(std::move(endpoint))}});
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeVpcEndpoints(Context& c, const RequestContext&, object& in) {
  return Describe(c, in,
                  {.prefix = kVpcEndpointsPrefix,
                   .ids_member = "VpcEndpointIds",
                   .ids_parameter = "vpcEndpointIds",
                   .id_member = "VpcEndpointId",
                   .result_member = "VpcEndpoints",
                   .fields = {{"vpc-endpoint-id", "VpcEndpointId"},
                              {"vpc-id", "VpcId"},
                              {"service-name", "ServiceName"},
                              {"vpc-endpoint-state", "State"},
                              {"vpc-endpoint-type", "VpcEndpointType"}},
                   .not_found = [](const std::string& id) {
                     return NotFound("InvalidVpcEndpointId.NotFound", "Vpc Endpoint", id);
                   },
                   .present = Present,
                   .paging = PageLimits{1, 1000}});
}

Outcome DeleteVpcEndpoints(Context& c, const RequestContext&, object& in) {
  json::array unsuccessful;
  for (const std::string& id : Strings(in, "VpcEndpointIds")) {
    auto deleted = store::RetryOnConflict([&]() -> store::Attempt<std::optional<AwsError>> {
      auto found = FindEndpoint(c, id);
      if (auto* err = std::get_if<AwsError>(&found)) return std::optional<AwsError>(*err);
      Record& e = std::get<Record>(found);
      store::Txn txn{{{e.key, e.mod_revision}}, {store::Op::Delete(e.key)}};
      if (auto err = ChangeGatewayRoutes(c, txn, e.value, StringsOf(e.value, "RouteTableIds"), false)) {
        return std::optional<AwsError>(*err);
      }
      RemoveInterfaces(txn, e.value, StringsOf(e.value, "SubnetIds"));
      auto result = c.store().Commit(txn);
      if (!result.ok()) return std::optional<AwsError>(Ec2Error(result.status()));
      if (!result->succeeded) return store::kConflict;
      return std::optional<AwsError>();
    }).value_or(std::optional<AwsError>(TooManyConcurrentUpdates()));
    if (deleted) {
      unsuccessful.push_back(object{{"ResourceId", id},
                                    {"Error", object{{"Code", deleted->code}, {"Message", deleted->message}}}});
    }
  }
  return object{{"Unsuccessful", std::move(unsuccessful)}};
}

Outcome ModifyVpcEndpoint(Context& c, const RequestContext&, object& in) {
  std::string id = GetString(in, "VpcEndpointId");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto found = FindEndpoint(c, id);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& e = std::get<Record>(found);
    store::Txn txn{{{e.key, e.mod_revision}}, {}};
    std::vector<std::string> add_tables = Strings(in, "AddRouteTableIds"), remove_tables = Strings(in, "RemoveRouteTableIds");
    if (auto err = ChangeGatewayRoutes(c, txn, e.value, remove_tables, false)) return *err;
    if (auto err = ChangeGatewayRoutes(c, txn, e.value, add_tables, true)) return *err;
    json::array& tables = e.value["RouteTableIds"].as_array();
    for (const std::string& t : remove_tables) {
      tables.erase(std::remove(tables.begin(), tables.end(), json::value(t)), tables.end());
    }
    for (const std::string& t : add_tables) {
      if (std::find(tables.begin(), tables.end(), json::value(t)) == tables.end()) tables.push_back(json::string(t));
    }
    RemoveInterfaces(txn, e.value, Strings(in, "RemoveSubnetIds"));
    if (auto err = AddInterfaces(c, txn, e.value, Strings(in, "AddSubnetIds"))) return *err;
    json::array& groups = e.value["Groups"].as_array();
    for (const std::string& g : Strings(in, "RemoveSecurityGroupIds")) {
      groups.erase(std::remove_if(groups.begin(), groups.end(), [&](const json::value& v) {
                     return GetString(v.as_object(), "GroupId") == g;
                   }),
                   groups.end());
    }
    if (auto err = AddGroups(c, e.value, Strings(in, "AddSecurityGroupIds"))) return *err;
    if (GetString(e.value, "VpcEndpointType") == "Interface" && (Has(in, "IpAddressType") || Has(in, "DnsOptions"))) {
      if (auto err = SetAddressTypes(e.value, in)) return *err;
    }
    if (Has(in, "PolicyDocument")) e.value["PolicyDocument"] = GetString(in, "PolicyDocument");
    if (GetBool(in, "ResetPolicy").value_or(false)) {
      e.value["PolicyDocument"] =
          R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})";
    }
    if (auto dns = GetBool(in, "PrivateDnsEnabled")) {
      e.value["PrivateDnsEnabled"] = *dns && GetString(e.value, "VpcEndpointType") == "Interface";
      if (*dns) {
        auto vpc = FindVpc(c, GetString(e.value, "VpcId"));
        if (auto* err = std::get_if<AwsError>(&vpc)) return *err;
        if (auto err = CheckPrivateDns(c, std::get<Record>(vpc).value, e.value)) return *err;
      }
    }
    Present(e.value);
    txn.ops.push_back(store::Op::Put(e.key, Serialize(e.value)));
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{{"Return", true}});
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::ec2
