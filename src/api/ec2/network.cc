#include "api/ec2/network.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cctype>
#include <charconv>

#include "api/json_util.h"
#include "base/crypto.h"
#include "base/logging.h"

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

json::object DefaultVpc(const NetworkOptions& o, const std::string& cidr) {
  return {
      {"OwnerId", o.account_id},
      {"InstanceTenancy", "default"},
      {"CidrBlockAssociationSet",
       json::array{json::object{{"AssociationId", BuiltInId(o, "vpc-cidr-assoc", "default-vpc-cidr")},
                                {"CidrBlock", cidr},
                                {"CidrBlockState", json::object{{"State", "associated"}}}}}},
      {"IsDefault", true},
      {"VpcId", DefaultVpcId(o)},
      {"State", "available"},
      {"CidrBlock", cidr},
      {"DhcpOptionsId", BuiltInId(o, "dopt", "default-dhcp-options")},
  };
}

json::object DefaultSubnet(const NetworkOptions& o, const std::string& zone, const std::string& cidr,
                           int64_t addresses) {
  std::string id = BuiltInId(o, "subnet", "default-subnet/" + zone);
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
      {"VpcId", DefaultVpcId(o)},
      {"CidrBlock", cidr},
      {"AvailableIpAddressCount", addresses - 5},  // AWS reserves five per subnet
      {"AvailabilityZone", zone},
      {"DefaultForAz", true},
      {"MapPublicIpOnLaunch", true},
  };
}

// The `default` group of a VPC, as AWS makes it: all traffic out, and in from its own members.
json::object DefaultSecurityGroup(const NetworkOptions& o) {
  std::string id = BuiltInId(o, "sg", "default-vpc/default-security-group");
  return {
      {"GroupId", id},
      {"IpPermissionsEgress",
       json::array{json::object{{"IpProtocol", "-1"},
                                {"UserIdGroupPairs", json::array()},
                                {"IpRanges", json::array{json::object{{"CidrIp", "0.0.0.0/0"}}}},
                                {"Ipv6Ranges", json::array()},
                                {"PrefixListIds", json::array()}}}},
      {"VpcId", DefaultVpcId(o)},
      {"SecurityGroupArn", Arn(o, "security-group", id)},
      {"OwnerId", o.account_id},
      {"GroupName", "default"},
      {"Description", "default VPC security group"},
      {"IpPermissions",
       json::array{json::object{
           {"IpProtocol", "-1"},
           {"UserIdGroupPairs", json::array{json::object{{"UserId", o.account_id}, {"GroupId", id}}}},
           {"IpRanges", json::array()},
           {"Ipv6Ranges", json::array()},
           {"PrefixListIds", json::array()}}}},
  };
}

// Three subnets fit: /20s in a /16 (as AWS), else two bits more than the VPC's prefix.
int SubnetPrefix(int vpc_prefix) { return vpc_prefix <= 16 ? 20 : vpc_prefix + 2; }

}  // namespace

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

std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Ipv4Cidr out;
  std::string_view addr = text.substr(0, slash);
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [end, ec] = std::from_chars(addr.data(), addr.data() + addr.size(), octet);
    if (ec != std::errc() || end == addr.data() || octet > 255) return std::nullopt;
    out.address = (out.address << 8) | octet;
    addr.remove_prefix(end - addr.data());
    if (i < 3) {
      if (addr.empty() || addr[0] != '.') return std::nullopt;
      addr.remove_prefix(1);
    }
  }
  if (!addr.empty()) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), out.prefix);
  if (ec != std::errc() || end != len.data() + len.size() || out.prefix < 0 || out.prefix > 32) {
    return std::nullopt;
  }
  return out;
}

std::string FormatIpv4Cidr(const Ipv4Cidr& c) {
  return std::to_string(c.address >> 24) + "." + std::to_string((c.address >> 16) & 255) + "." +
         std::to_string((c.address >> 8) & 255) + "." + std::to_string(c.address & 255) + "/" +
         std::to_string(c.prefix);
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

Status EnsureDefaultVpc(store::Store& store, const NetworkOptions& o) {
  std::string vpc_id = DefaultVpcId(o);
  ASSIGN_OR_RETURN(auto existing, store.Get(VpcKey(vpc_id)));
  if (existing) return Status::OK();
  auto cidr = ParseIpv4Cidr(o.vpc_cidr);
  if (!cidr || cidr->prefix < 8 || cidr->prefix > 26) {
    return Status::InvalidArgument("default VPC CIDR '" + o.vpc_cidr +
                                   "' is not an IPv4 block of /8 to /26");
  }
  cidr->address &= cidr->prefix == 0 ? 0 : ~uint32_t{0} << (32 - cidr->prefix);
  std::string vpc_cidr = FormatIpv4Cidr(*cidr);

  store::Txn txn;
  auto put = [&txn](std::string key, const json::object& value) {
    txn.compares.push_back({key, 0});
    txn.ops.push_back(store::Op::Put(std::move(key), Serialize(value)));
  };
  put(VpcKey(vpc_id), DefaultVpc(o, vpc_cidr));
  int prefix = SubnetPrefix(cidr->prefix);
  uint32_t size = uint32_t{1} << (32 - prefix);
  auto zones = AvailabilityZones(o.region);
  for (size_t i = 0; i < zones.size(); ++i) {
    std::string subnet_cidr =
        FormatIpv4Cidr({cidr->address + static_cast<uint32_t>(i) * size, prefix});
    json::object subnet = DefaultSubnet(o, zones[i], subnet_cidr, size);
    put(SubnetKey(GetString(subnet, "SubnetId")), subnet);
  }
  json::object group = DefaultSecurityGroup(o);
  std::string group_id = GetString(group, "GroupId");
  put(SecurityGroupKey(group_id), group);
  put(SecurityGroupNameKey(vpc_id, "default"), json::object{{"GroupId", group_id}});
  ASSIGN_OR_RETURN(store::TxnResult result, store.Commit(txn));
  if (result.succeeded) {
    LOG_INFO("msg=\"default VPC created\" vpc={} cidr={}", vpc_id, vpc_cidr);
    return Status::OK();
  }
  // Another server made it first (or a half-made one is there: then it is left as it is).
  ASSIGN_OR_RETURN(auto now, store.Get(VpcKey(vpc_id)));
  if (now) return Status::OK();
  return Status::FailedPrecondition("default VPC records exist in part; not recreated");
}

}  // namespace wharf::api::ec2
