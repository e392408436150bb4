#include "server/default_vpc.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

namespace wharf {
namespace {

struct Net {
  uint32_t address = 0;  // host order
  int prefix = 0;
};

std::optional<Net> Parse(const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr a{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1) return std::nullopt;
  int prefix = 32;
  if (slash != std::string::npos) {
    try {
      prefix = std::stoi(cidr.substr(slash + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (prefix < 0 || prefix > 32) return std::nullopt;
  return Net{ntohl(a.s_addr), prefix};
}

uint32_t Mask(int prefix) { return prefix == 0 ? 0 : ~0u << (32 - prefix); }

// Two networks overlap when the shorter one holds the other's address.
bool Overlap(const Net& a, const Net& b) {
  uint32_t mask = Mask(std::min(a.prefix, b.prefix));
  return (a.address & mask) == (b.address & mask);
}

bool Ours(std::string_view interface) {
  return interface == "lo" || interface == "wharf0" || interface.substr(0, 3) == "wh-";
}

std::string Format(uint32_t network_order, int prefix) {
  char text[INET_ADDRSTRLEN];
  in_addr a{network_order};
  inet_ntop(AF_INET, &a, text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

}  // namespace

std::string ChooseDefaultVpcCidr(const std::vector<std::string>& host_networks) {
  const Net aws = *Parse(kAwsDefaultVpcCidr);
  for (const std::string& n : host_networks) {
    auto net = Parse(n);
    if (net && net->prefix > 0 && Overlap(*net, aws)) return kFallbackDefaultVpcCidr;
  }
  return kAwsDefaultVpcCidr;
}

std::vector<std::string> HostIpv4Networks() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || Ours(a->ifa_name)) continue;
      uint32_t mask = a->ifa_netmask ? ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr) : ~0u;
      out.push_back(Format(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr,
                           __builtin_popcount(mask)));
    }
    freeifaddrs(list);
  }
  // Iface Destination Gateway Flags RefCnt Use Metric Mask ...: hex in network order.
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // the header
  while (std::getline(routes, line)) {
    std::istringstream in(line);
    std::string iface;
    unsigned dest = 0, gateway = 0, flags = 0, refcnt = 0, use = 0, metric = 0, mask = 0;
    in >> iface >> std::hex >> dest >> gateway >> flags >> std::dec >> refcnt >> use >> metric >> std::hex >> mask;
    if (!in || Ours(iface)) continue;
    int prefix = __builtin_popcount(mask);
    if (prefix > 0) out.push_back(Format(dest, prefix));
    if (gateway != 0) out.push_back(Format(gateway, 32));
  }
  return out;
}

}  // namespace wharf
