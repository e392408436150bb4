#include "lb/rules.h"

#include <arpa/inet.h>

#include <cstring>

#include "base/glob.h"
#include "base/percent.h"

namespace wharf::lb {
namespace {

bool InCidr(std::string_view cidr, std::string_view ip_text) {
  size_t slash = cidr.find('/');
  std::string net(cidr.substr(0, slash));
  int bits = slash == std::string_view::npos ? -1 : std::atoi(std::string(cidr.substr(slash + 1)).c_str());
  unsigned char a[16], b[16];
  std::string ip(ip_text);
  int family = net.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(family, net.c_str(), a) != 1 || inet_pton(family, ip.c_str(), b) != 1) return false;
  int total = family == AF_INET ? 32 : 128;
  if (bits < 0 || bits > total) bits = total;
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, mask = 0x80 >> (i % 8);
    if ((a[byte] & mask) != (b[byte] & mask)) return false;
  }
  return true;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ci) {
  return GlobMatch(pattern, text, {.question_mark = true, .case_insensitive = ci});
}

bool ConditionHolds(const Condition& c, const RequestFacts& r) {
  auto any = [&](auto&& test) {
    for (const auto& v : c.values) {
      if (test(v)) return true;
    }
    return false;
  };
  if (c.field == "host-header") return any([&](const std::string& v) { return WildcardMatch(v, r.host, true); });
  if (c.field == "path-pattern") return any([&](const std::string& v) { return WildcardMatch(v, r.path, false); });
  if (c.field == "http-request-method") return any([&](const std::string& v) { return v == r.method; });
  if (c.field == "source-ip") return any([&](const std::string& v) { return InCidr(v, r.source_ip); });
  if (c.field == "http-header") {
    for (const auto& header : r.headers) {
      std::string_view name = header.first, value = header.second;
      if (name.size() != c.http_header_name.size() ||
          strncasecmp(name.data(), c.http_header_name.data(), name.size()) != 0) {
        continue;
      }
      if (any([&](const std::string& v) { return WildcardMatch(v, value, true); })) return true;
    }
    return false;
  }
  if (c.field == "query-string") {
    for (auto [raw_key, raw_value] : SplitParams(r.query)) {
      std::string key = PercentDecode(raw_key, true), value = PercentDecode(raw_value, true);
      for (const auto& [k, v] : c.query) {
        if ((k.empty() || WildcardMatch(k, key, true)) && WildcardMatch(v, value, true)) return true;
      }
    }
    return false;
  }
  return false;
}

const Rule* MatchRule(const Listener& listener, const RequestFacts& request) {
  const Rule* fallback = nullptr;
  for (const Rule& rule : listener.rules) {
    if (rule.is_default) {
      fallback = &rule;
      continue;
    }
    bool holds = true;
    for (const Condition& c : rule.conditions) holds = holds && ConditionHolds(c, request);
    if (holds) return &rule;
  }
  return fallback;
}

std::string ExpandRedirect(std::string_view pattern, std::string_view protocol, std::string_view host,
                           std::string_view port, std::string_view path, std::string_view query) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    auto take = [&](std::string_view key, std::string_view value) {
      if (pattern.substr(i, key.size()) != key) return false;
      out.append(value);
      i += key.size();
      return true;
    };
    if (take("#{protocol}", protocol) || take("#{host}", host) || take("#{port}", port) ||
        take("#{path}", path.empty() || path[0] != '/' ? path : path.substr(1)) || take("#{query}", query)) {
      continue;
    }
    out.push_back(pattern[i++]);
  }
  return out;
}

}  // namespace wharf::lb
