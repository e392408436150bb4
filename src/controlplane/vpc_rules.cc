#include "controlplane/vpc_rules.h"

#include <charconv>

namespace wharf::controlplane::vpc {

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), octet);
    if (ec != std::errc() || end == text.data() || octet > 255 || end - text.data() > 3) {
      return std::nullopt;
    }
    out = (out << 8) | octet;
    text.remove_prefix(end - text.data());
    if (i < 3) {
      if (text.empty() || text[0] != '.') return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return std::nullopt;
  return out;
}

std::string FormatIpv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = ParseIpv4(text.substr(0, slash));
  if (!address) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || len.empty() || end != len.data() + len.size() || prefix < 0 || prefix > 32) {
    return std::nullopt;
  }
  return Ipv4Cidr{*address, prefix};
}

std::string FormatIpv4Cidr(const Ipv4Cidr& c) { return FormatIpv4(c.address) + "/" + std::to_string(c.prefix); }

CidrVerdict CheckVpcCidr(std::string_view text) {
  auto cidr = ParseIpv4Cidr(text);
  if (!cidr) return CidrVerdict::kMalformed;
  if (cidr->prefix < kLargestVpcPrefix || cidr->prefix > kSmallestVpcPrefix) return CidrVerdict::kOutOfRange;
  return CidrVerdict::kOk;
}

CidrVerdict CheckSubnetCidr(std::string_view text, std::string_view vpc_text,
                            const std::set<std::string>& siblings) {
  auto cidr = ParseIpv4Cidr(text);
  if (!cidr) return CidrVerdict::kMalformed;
  auto vpc = ParseIpv4Cidr(vpc_text);
  if (cidr->prefix < kLargestSubnetPrefix || cidr->prefix > kSmallestSubnetPrefix || !vpc ||
      !vpc->Contains(*cidr)) {
    return CidrVerdict::kOutOfRange;
  }
  for (const std::string& sibling : siblings) {
    auto other = ParseIpv4Cidr(sibling);
    if (other && other->Overlaps(*cidr)) return CidrVerdict::kConflict;
  }
  return CidrVerdict::kOk;
}

int64_t AvailableAddresses(const Ipv4Cidr& subnet, int64_t taken) {
  int64_t usable = static_cast<int64_t>(subnet.Size()) - kReservedPerSubnet;
  return usable - taken > 0 ? usable - taken : 0;
}

std::optional<std::string> FirstFreeAddress(const Ipv4Cidr& subnet, const std::set<std::string>& taken) {
  if (subnet.Size() <= static_cast<uint64_t>(kReservedPerSubnet)) return std::nullopt;
  // The first four and the last are reserved.
  for (uint64_t i = 4; i + 1 < subnet.Size(); ++i) {
    std::string ip = FormatIpv4(subnet.Network() + static_cast<uint32_t>(i));
    if (!taken.count(ip)) return ip;
  }
  return std::nullopt;
}

bool HasDependencies(const VpcContents& c) {
  return c.subnets + c.security_groups + c.route_tables + c.internet_gateways + c.nat_gateways +
             c.vpc_endpoints + c.network_interfaces >
         0;
}

bool HasDependencies(const SubnetContents& c) { return c.network_interfaces + c.nat_gateways > 0; }

}  // namespace wharf::controlplane::vpc
