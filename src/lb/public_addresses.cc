#include "lb/public_addresses.h"

#include <arpa/inet.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <utility>

namespace wharf::lb {
namespace {

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool IsTableName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string PublicAddressTable(std::string_view region, std::string_view data_dir) {
  std::string out = "wharf_lb_";
  for (char c : region) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  uint32_t h = 2166136261u;  // FNV-1a: stable across builds and hosts, unlike std::hash
  for (char c : data_dir) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char hex[10];
  std::snprintf(hex, sizeof hex, "_%08x", h);
  return out + hex;
}

Result<std::string> CompilePublicAddresses(const std::vector<Listener>& listeners, std::string_view bind_address,
                                           std::string_view table) {
  if (!IsTableName(table)) return Status::InvalidArgument("bad nft table name " + std::string(table));
  std::string to(bind_address);
  if (to.empty() || to == "0.0.0.0") to = "127.0.0.1";  // every address: loopback is one of them
  if (!IsIpv4(to)) return Status::InvalidArgument("bad listener bind address " + to);
  std::set<std::pair<std::string, uint16_t>> pairs;  // sorted: one plan, one script
  for (const Listener& l : listeners) {
    for (const std::string& ip : l.public_addresses) {
      if (!IsIpv4(ip)) return Status::InvalidArgument("bad public address " + ip);
      pairs.emplace(ip, l.port);
    }
  }
  const std::string t = "ip " + std::string(table);
  std::string s = "table " + t + "\ndelete table " + t + "\n";
  if (pairs.empty()) return s;
  std::string elements;
  for (const auto& [ip, port] : pairs) elements += (elements.empty() ? "" : ", ") + ip + " . " + std::to_string(port);
  s += "table " + t + " {\n";
  s += "  set listeners { type ipv4_addr . inet_service; elements = { " + elements + " } }\n";
  // Before wharf_egress's DNAT of tasks' public addresses (-101): the two never share an address.
  s += "  chain prerouting {\n"
       "    type nat hook prerouting priority -102; policy accept;\n"
       "    ip daddr . tcp dport @listeners dnat to " + to + "\n"
       "  }\n"
       "  chain output {\n"
       "    type nat hook output priority -102; policy accept;\n"
       "    ip daddr . tcp dport @listeners dnat to " + to + "\n"
       "  }\n"
       "}\n";
  return s;
}

Status PublicAddresses::Apply(const Config& config) {
  ASSIGN_OR_RETURN(std::string script, CompilePublicAddresses(config.listeners, bind_address_, table_));
  if (script == applied_ || script == failed_) return Status::OK();  // a failure is reported once
  // The first plan runs even when it is empty: it removes what a killed server left.
  bool nothing = script.find("set listeners") == std::string::npos;
  auto nft = FindExecutable("nft");
  if (!nft.ok()) {
    if (nothing) return Status::OK();
    failed_ = script;
    return Status::FailedPrecondition("nft not found: load balancers' public addresses need nftables");
  }
  ASSIGN_OR_RETURN(CommandResult r, runner_.Run({{*nft, "-f", "-"}, std::nullopt, script, std::chrono::seconds(30)}));
  if (r.exit_code != 0) {
    failed_ = script;
    return Status::Internal("nft -f: " + r.err);
  }
  applied_ = std::move(script);
  failed_.clear();
  return Status::OK();
}

Status PublicAddresses::Remove() {
  if (applied_.empty()) return Status::OK();  // never made: nothing of ours to remove
  auto nft = FindExecutable("nft");
  if (!nft.ok()) return Status::OK();
  std::string t = "ip " + table_;
  ASSIGN_OR_RETURN(CommandResult r, runner_.Run({{*nft, "-f", "-"}, std::nullopt, "table " + t + "\ndelete table " + t + "\n",
                                                 std::chrono::seconds(30)}));
  if (r.exit_code != 0) return Status::Internal("nft -f: " + r.err);
  applied_.clear();
  return Status::OK();
}

}  // namespace wharf::lb
