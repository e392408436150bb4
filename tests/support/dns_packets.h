// DNS packets for tests: queries built by hand and answers read back, written apart from
// src/dns so the codec is checked against a second reading of RFC 1035, not itself.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::dns::testing_packets {

inline void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

// A recursive query for `name`; with an OPT record offering `edns_payload` when it is set.
inline std::string Query(uint16_t id, const std::string& name, uint16_t type, uint16_t edns_payload = 0) {
  std::string out;
  Put16(out, id);
  Put16(out, 0x0100);  // RD
  Put16(out, 1);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, edns_payload ? 1 : 0);
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - start));
    out += name.substr(start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  Put16(out, type);
  Put16(out, 1);
  if (edns_payload) {
    out.push_back('\0');
    Put16(out, 41);
    Put16(out, edns_payload);
    out += std::string(4, '\0');
    Put16(out, 0);
  }
  return out;
}

struct ParsedRecord {
  std::string name;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string value;  // A/AAAA as text, SRV "prio weight port target", CNAME the target
};

struct ParsedAnswer {
  uint16_t id = 0;
  bool authoritative = false, truncated = false;
  int rcode = 0;
  bool has_opt = false;
  std::vector<ParsedRecord> records;
};

inline uint16_t Get16(const std::string& p, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) | static_cast<uint8_t>(p[at + 1]));
}

inline bool ReadName(const std::string& p, size_t& pos, std::string& name) {
  size_t at = pos;
  bool jumped = false;
  for (int hops = 0; hops < 32; ++hops) {
    if (at >= p.size()) return false;
    uint8_t len = static_cast<uint8_t>(p[at]);
    if ((len & 0xc0) == 0xc0) {
      if (!jumped) pos = at + 2;
      jumped = true;
      at = Get16(p, at) & 0x3fff;
      continue;
    }
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return true;
    }
    if (!name.empty()) name += ".";
    name += p.substr(at + 1, len);
    at += 1 + len;
  }
  return false;
}

inline Result<ParsedAnswer> ParseAnswer(const std::string& p) {
  if (p.size() < 12) return Status::InvalidArgument("short");
  ParsedAnswer a;
  a.id = Get16(p, 0);
  uint16_t flags = Get16(p, 2);
  a.authoritative = flags & 0x0400;
  a.truncated = flags & 0x0200;
  a.rcode = flags & 0xf;
  size_t pos = 12;
  for (int i = 0; i < Get16(p, 4); ++i) {
    std::string ignored;
    if (!ReadName(p, pos, ignored)) return Status::InvalidArgument("question");
    pos += 4;
  }
  int records = Get16(p, 6) + Get16(p, 8) + Get16(p, 10);
  for (int i = 0; i < records; ++i) {
    ParsedRecord r;
    if (!ReadName(p, pos, r.name) || pos + 10 > p.size()) return Status::InvalidArgument("record");
    r.type = Get16(p, pos);
    r.ttl = (static_cast<uint32_t>(Get16(p, pos + 4)) << 16) | Get16(p, pos + 6);
    uint16_t len = Get16(p, pos + 8);
    pos += 10;
    if (pos + len > p.size()) return Status::InvalidArgument("rdata");
    char text[INET6_ADDRSTRLEN] = {};
    if (r.type == 1 && len == 4) inet_ntop(AF_INET, p.data() + pos, text, sizeof text), r.value = text;
    if (r.type == 28 && len == 16) inet_ntop(AF_INET6, p.data() + pos, text, sizeof text), r.value = text;
    if (r.type == 33) {
      size_t t = pos + 6;
      std::string target;
      ReadName(p, t, target);
      r.value = std::to_string(Get16(p, pos)) + " " + std::to_string(Get16(p, pos + 2)) + " " +
                std::to_string(Get16(p, pos + 4)) + " " + target;
    }
    if (r.type == 5) {
      size_t t = pos;
      ReadName(p, t, r.value);
    }
    pos += len;
    if (r.type == 41) {
      a.has_opt = true;
      continue;
    }
    a.records.push_back(r);
  }
  return a;
}

}  // namespace wharf::dns::testing_packets
