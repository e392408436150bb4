#include "api/ec2/network.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cctype>
#include <charconv>

#include "api/json_util.h"
#include "base/crypto.h"
#include "base/logging.h"
#include "controlplane/records.h"

namespace wharf::api::ec2 {
namespace json = boost::json;

namespace {

// A stable id for a built-in resource: the same account, region and purpose give the same id.
std::string BuiltInId(const NetworkOptions& o, std::string_view kind, std::string_view purpose) {
  std::string digest = HexEncode(Sha256(o.account_id + "/" + o.region + "/" + std::string(purpose)));
  return std::string(kind) + "-" + digest.substr(0, 17);
}

std::string Arn(const NetworkOptions& o, std::string_view type, std::string_view id) {
  return "arn:aws:ec2:" + o.region + ":" + o.account_id + ":" + std::string(type) + "/" +
         std::string(id);
}

json::object AllTraffic(const char* kind, json::value source) {
  json::object p{{"IpProtocol", "-1"},
                 {"UserIdGroupPairs", json::array()},
                 {"IpRanges", json::array()},
                 {"Ipv6Ranges", json::array()},
                 {"PrefixListIds", json::array()}};
  p[kind].as_array().push_back(std::move(source));
  return p;
}

json::object AclEntry(bool egress, int rule_number, const char* action) {
  return {{"CidrBlock", "0.0.0.0/0"}, {"Egress", egress},       {"Protocol", "-1"},
          {"RuleAction", action},     {"RuleNumber", rule_number}};
}

// Three subnets fit: /20s in a /16 (as AWS), else two bits more than the VPC's prefix.
int SubnetPrefix(int vpc_prefix) { return vpc_prefix <= 16 ? 20 : vpc_prefix + 2; }

}  // namespace

VpcRecords MakeVpcRecords(const NetworkOptions& o, const VpcIds& ids, const std::string& cidr,
                          bool is_default, const std::string& tenancy, const json::array& tags) {
  VpcRecords r;
  r.vpc = {
      {"OwnerId", o.account_id},
      {"InstanceTenancy", tenancy},
      {"CidrBlockAssociationSet",
       json::array{json::object{{"AssociationId", ids.cidr_association},
                                {"CidrBlock", cidr},
                                {"CidrBlockState", json::object{{"State", "associated"}}}}}},
      {"Ipv6CidrBlockAssociationSet", json::array()},
      {"IsDefault", is_default},
      {"VpcId", ids.vpc},
      {"State", "available"},
      {"CidrBlock", cidr},
      {"DhcpOptionsId", ids.dhcp_options},
      {"_wharf", json::object{{"attributes", json::object{{"enableDnsSupport", true},
                                                          {"enableDnsHostnames", is_default},
                                                          {"enableNetworkAddressUsageMetrics", false}}}}},
  };
  if (!tags.empty()) r.vpc["Tags"] = tags;
  r.main_route_table = {
      {"Associations", json::array{json::object{{"Main", true},
                                                {"RouteTableAssociationId", ids.main_association},
                                                {"RouteTableId", ids.main_route_table},
                                                {"AssociationState", json::object{{"State", "associated"}}}}}},
      {"PropagatingVgws", json::array()},
      {"RouteTableId", ids.main_route_table},
      {"Routes", json::array{json::object{{"DestinationCidrBlock", cidr},
                                          {"GatewayId", "local"},
                                          {"Origin", "CreateRouteTable"},
                                          {"State", "active"}}}},
      {"Tags", json::array()},
      {"VpcId", ids.vpc},
      {"OwnerId", o.account_id},
  };
  r.default_security_group = {
      {"GroupId", ids.default_security_group},
      {"IpPermissionsEgress", json::array{AllTraffic("IpRanges", json::object{{"CidrIp", "0.0.0.0/0"}})}},
      {"VpcId", ids.vpc},
      {"SecurityGroupArn", Arn(o, "security-group", ids.default_security_group)},
      {"OwnerId", o.account_id},
      {"GroupName", "default"},
      {"Description", "default VPC security group"},
      {"IpPermissions",
       json::array{AllTraffic("UserIdGroupPairs", json::object{{"UserId", o.account_id},
                                                               {"GroupId", ids.default_security_group}})}},
  };
  r.default_network_acl = {
      {"Associations", json::array()},  // every subnet of the VPC: filled in when shown
      {"Entries", json::array{AclEntry(true, 100, "allow"), AclEntry(true, 32767, "deny"),
                              AclEntry(false, 100, "allow"), AclEntry(false, 32767, "deny")}},
      {"IsDefault", true},
      {"NetworkAclId", ids.default_network_acl},
      {"Tags", json::array()},
      {"VpcId", ids.vpc},
      {"OwnerId", o.account_id},
  };
  return r;
}

json::object MakeSubnet(const NetworkOptions& o, const std::string& id, const std::string& vpc_id,
                        const std::string& cidr, const std::string& zone, bool default_for_az) {
  return {
      {"AvailabilityZoneId", AvailabilityZoneId(zone)},
      {"MapCustomerOwnedIpOnLaunch", false},
      {"OwnerId", o.account_id},
      {"AssignIpv6AddressOnCreation", false},
      {"Ipv6CidrBlockAssociationSet", json::array()},
      {"SubnetArn", Arn(o, "subnet", id)},
      {"EnableDns64", false},
      {"Ipv6Native", false},
      {"PrivateDnsNameOptionsOnLaunch",
       json::object{{"HostnameType", "ip-name"},
                    {"EnableResourceNameDnsARecord", false},
                    {"EnableResourceNameDnsAAAARecord", false}}},
      {"SubnetId", id},
      {"State", "available"},
      {"VpcId", vpc_id},
      {"CidrBlock", cidr},
      {"AvailabilityZone", zone},
      {"DefaultForAz", default_for_az},
      {"MapPublicIpOnLaunch", default_for_az},  // AWS: on in default subnets, off in others
  };
}

Result<std::string> MainRouteTableId(store::Store& store, std::string_view vpc_id) {
  ASSIGN_OR_RETURN(auto tables, controlplane::LoadRecords(store, kRouteTablesPrefix));
  for (const json::object& t : tables) {
    if (GetString(t, "VpcId") != vpc_id) continue;
    for (const auto& a : GetArray(t, "Associations")) {
      if (GetBool(a.as_object(), "Main").value_or(false)) return GetString(t, "RouteTableId");
    }
  }
  return std::string();
}

std::string DefaultVpcId(const NetworkOptions& options) {
  return BuiltInId(options, "vpc", "default-vpc");
}

std::vector<std::string> AvailabilityZones(std::string_view region) {
  std::string r(region);
  return {r + "a", r + "b", r + "c"};
}

std::string AvailabilityZoneId(std::string_view zone_name) {
  // "us-east-1a" -> "use1-az1", "ap-southeast-2b" -> "apse2-az2".
  if (zone_name.size() < 2) return std::string(zone_name);
  char letter = zone_name.back();
  std::string_view region = zone_name.substr(0, zone_name.size() - 1);
  std::string out;
  size_t start = 0;
  int part = 0;
  while (start <= region.size()) {
    size_t dash = region.find('-', start);
    std::string_view p = region.substr(start, dash == std::string_view::npos ? dash : dash - start);
    if (part == 0 || (!p.empty() && std::isdigit(static_cast<unsigned char>(p[0])))) {
      out += p;
    } else if (p.starts_with("north") && p.size() > 5) {
      out += "n" + std::string(1, p[5]);
    } else if (p.starts_with("south") && p.size() > 5) {
      out += "s" + std::string(1, p[5]);
    } else if (!p.empty()) {
      out += p[0];
    }
    ++part;
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return out + "-az" + std::to_string(letter - 'a' + 1);
}

Result<std::optional<Subnet>> FindSubnet(store::Store& store, std::string_view subnet_id) {
  if (!subnet_id.starts_with("subnet-")) return std::optional<Subnet>();
  ASSIGN_OR_RETURN(auto kv, store.Get(SubnetKey(subnet_id)));
  if (!kv) return std::optional<Subnet>();
  ASSIGN_OR_RETURN(json::object s, ParseObject(kv->value));
  return std::optional<Subnet>(Subnet{GetString(s, "SubnetId"), GetString(s, "CidrBlock"),
                                      GetString(s, "VpcId"), GetString(s, "AvailabilityZone")});
}

Result<bool> SecurityGroupExists(store::Store& store, std::string_view id) {
  if (!id.starts_with("sg-")) return false;
  ASSIGN_OR_RETURN(auto kv, store.Get(SecurityGroupKey(id)));
  return kv.has_value();
}

namespace {

VpcIds DefaultVpcIds(const NetworkOptions& o) {
  return VpcIds{DefaultVpcId(o),
                BuiltInId(o, "vpc-cidr-assoc", "default-vpc-cidr"),
                BuiltInId(o, "rtb", "default-vpc/main-route-table"),
                BuiltInId(o, "rtbassoc", "default-vpc/main-route-table"),
                BuiltInId(o, "sg", "default-vpc/default-security-group"),
                BuiltInId(o, "acl", "default-vpc/default-network-acl"),
                BuiltInId(o, "dopt", "default-dhcp-options")};
}

// The default VPC's internet gateway and its route (a default VPC reaches the internet),
// the main route table and the default network ACL: added in their own transaction, so a
// default VPC made before they existed gets them too.
Status EnsureDefaultVpcRouting(store::Store& store, const NetworkOptions& o, const std::string& cidr) {
  VpcIds ids = DefaultVpcIds(o);
  ASSIGN_OR_RETURN(auto existing, store.Get(RouteTableKey(ids.main_route_table)));
  if (existing) return Status::OK();
  VpcRecords r = MakeVpcRecords(o, ids, cidr, true, "default", {});
  std::string igw = BuiltInId(o, "igw", "default-vpc/internet-gateway");
  r.main_route_table["Routes"].as_array().push_back(json::object{{"DestinationCidrBlock", "0.0.0.0/0"},
                                                                 {"GatewayId", igw},
                                                                 {"Origin", "CreateRoute"},
                                                                 {"State", "active"}});
  json::object gateway{{"Attachments", json::array{json::object{{"State", "available"}, {"VpcId", ids.vpc}}}},
                       {"InternetGatewayId", igw},
                       {"OwnerId", o.account_id},
                       {"Tags", json::array()}};
  store::Txn txn;
  for (auto& [key, value] : {std::pair{RouteTableKey(ids.main_route_table), &r.main_route_table},
                             std::pair{NetworkAclKey(ids.default_network_acl), &r.default_network_acl},
                             std::pair{InternetGatewayKey(igw), &gateway}}) {
    txn.compares.push_back({key, 0});
    txn.ops.push_back(store::Op::Put(key, Serialize(*value)));
  }
  ASSIGN_OR_RETURN(store::TxnResult result, store.Commit(txn));
  (void)result;  // lost to another server: it made them
  return Status::OK();
}

}  // namespace

Status EnsureDefaultVpc(store::Store& store, const NetworkOptions& o) {
  std::string vpc_id = DefaultVpcId(o);
  ASSIGN_OR_RETURN(auto existing, store.Get(VpcKey(vpc_id)));
  if (existing) {
    ASSIGN_OR_RETURN(json::object vpc, ParseObject(existing->value));
    return EnsureDefaultVpcRouting(store, o, GetString(vpc, "CidrBlock"));
  }
  auto cidr = ParseIpv4Cidr(o.vpc_cidr);
  if (!cidr || cidr->prefix < 8 || cidr->prefix > 26) {
    return Status::InvalidArgument("default VPC CIDR '" + o.vpc_cidr +
                                   "' is not an IPv4 block of /8 to /26");
  }
  cidr->address = cidr->Network();
  std::string vpc_cidr = FormatIpv4Cidr(*cidr);

  VpcRecords r = MakeVpcRecords(o, DefaultVpcIds(o), vpc_cidr, true, "default", {});
  store::Txn txn;
  auto put = [&txn](std::string key, const json::object& value) {
    txn.compares.push_back({key, 0});
    txn.ops.push_back(store::Op::Put(std::move(key), Serialize(value)));
  };
  put(VpcKey(vpc_id), r.vpc);
  int prefix = SubnetPrefix(cidr->prefix);
  uint32_t size = uint32_t{1} << (32 - prefix);
  auto zones = AvailabilityZones(o.region);
  for (size_t i = 0; i < zones.size(); ++i) {
    std::string subnet_cidr =
        FormatIpv4Cidr({cidr->address + static_cast<uint32_t>(i) * size, prefix});
    std::string id = BuiltInId(o, "subnet", "default-subnet/" + zones[i]);
    put(SubnetKey(id), MakeSubnet(o, id, vpc_id, subnet_cidr, zones[i], true));
  }
  std::string group_id = GetString(r.default_security_group, "GroupId");
  put(SecurityGroupKey(group_id), r.default_security_group);
  put(SecurityGroupNameKey(vpc_id, "default"), json::object{{"GroupId", group_id}});
  ASSIGN_OR_RETURN(store::TxnResult result, store.Commit(txn));
  if (result.succeeded) {
    LOG_INFO("msg=\"default VPC created\" vpc={} cidr={}", vpc_id, vpc_cidr);
    return EnsureDefaultVpcRouting(store, o, vpc_cidr);
  }
  // Another server made it first (or a half-made one is there: then it is left as it is).
  ASSIGN_OR_RETURN(auto now, store.Get(VpcKey(vpc_id)));
  if (now) return Status::OK();
  return Status::FailedPrecondition("default VPC records exist in part; not recreated");
}

}  // namespace wharf::api::ec2
