#include "net/local_routes.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace wharf::net {
namespace {

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

}  // namespace

std::string LocalRouteScript(const std::set<std::string>& wanted, const std::set<std::string>& applied, int proto,
                             bool rewrite) {
  std::string script;
  auto line = [&](const char* verb, const std::string& route, const std::string& tail) {
    size_t space = route.find(' ');
    script += std::string("route ") + verb + " local " + route.substr(space + 1) + "/32 dev lo table " +
              route.substr(0, space) + tail + "\n";
  };
  for (const std::string& r : applied) {
    if (!wanted.count(r)) line("del", r, "");
  }
  for (const std::string& r : wanted) {
    if (rewrite || !applied.count(r)) line("replace", r, " proto " + std::to_string(proto));
  }
  return script;
}

std::vector<std::string> ShowLocalRoutesArgs(int proto) {
  return {"-4", "-o", "route", "show", "table", "all", "type", "local", "dev", "lo", "proto", std::to_string(proto)};
}

std::set<std::string> ParseLocalRoutes(std::string_view shown) {
  std::set<std::string> out;
  size_t start = 0;
  while (start < shown.size()) {
    size_t end = shown.find('\n', start);
    if (end == std::string_view::npos) end = shown.size();
    std::vector<std::string> words;
    std::string line(shown.substr(start, end - start));
    start = end + 1;
    for (size_t i = 0; i < line.size();) {
      size_t j = line.find(' ', i);
      if (j == std::string::npos) j = line.size();
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    if (words.size() < 2 || words[0] != "local") continue;
    std::string address = words[1].substr(0, words[1].find('/'));
    if (!IsIpv4(address)) continue;
    auto table = std::find(words.begin(), words.end(), "table");
    if (table == words.end() || table + 1 == words.end()) continue;
    const std::string& n = *(table + 1);
    if (n.empty() || n.size() > 10 || !std::all_of(n.begin(), n.end(), ::isdigit)) continue;
    uint64_t number = std::stoull(n);
    if (number < 65536 || number >= 65536 + (uint64_t{1} << 20)) continue;  // model::VpcRouteTable's range
    out.insert(n + " " + address);
  }
  return out;
}

}  // namespace wharf::net
