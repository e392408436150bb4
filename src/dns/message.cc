#include "dns/message.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace wharf::dns {
namespace {

constexpr size_t kMaxName = 255;
constexpr size_t kMaxLabel = 63;
constexpr int kMaxJumps = 16;

uint16_t Read16(std::span<const uint8_t> p, size_t at) { return static_cast<uint16_t>((p[at] << 8) | p[at + 1]); }

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}

Status Malformed(std::string what) { return Status::InvalidArgument("malformed DNS message: " + std::move(what)); }

// Reads the name at `at`, following compression pointers (each strictly backwards, at most
// kMaxJumps); `end` becomes the offset after the name where it started. `dotted`, when set,
// gets the name; `plain` whether every label is safe to present dotted.
Status ReadName(std::span<const uint8_t> p, size_t at, size_t& end, std::string* dotted, bool* plain) {
  size_t pos = at;
  size_t wire_length = 1;  // the root's zero
  int jumps = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= p.size()) return Malformed("name runs past the end");
    uint8_t len = p[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= p.size()) return Malformed("truncated compression pointer");
      size_t target = static_cast<size_t>(Read16(p, pos) & 0x3fff);
      if (target >= pos) return Malformed("compression pointer does not point backwards");
      if (++jumps > kMaxJumps) return Malformed("too many compression pointers");
      if (!jumped) end = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) return Malformed("unknown label type");
    if (len == 0) {
      if (!jumped) end = pos + 1;
      return Status::OK();
    }
    if (len > kMaxLabel) return Malformed("label longer than 63 bytes");
    if (pos + 1 + len > p.size()) return Malformed("label runs past the end");
    wire_length += 1 + len;
    if (wire_length > kMaxName) return Malformed("name longer than 255 bytes");
    if (dotted) {
      if (!dotted->empty()) dotted->push_back('.');
      for (size_t i = 0; i < len; ++i) {
        char c = static_cast<char>(p[pos + 1 + i]);
        if (plain && (c == '.' || c <= 0x20 || c >= 0x7f)) *plain = false;
        dotted->push_back(c);
      }
    }
    pos += 1 + len;
  }
}

// A dotted name in wire form, uncompressed. The name is one of ours (a record's owner or
// target): InvalidArgument when a label is empty or too long.
Status PutName(std::string& out, std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  size_t written = 1;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) return Status::InvalidArgument("bad DNS name label in " + std::string(name));
    written += 1 + label.size();
    if (written > kMaxName) return Status::InvalidArgument("DNS name longer than 255 bytes");
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back('\0');
  return Status::OK();
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Walks one resource record at `pos`; for the OPT record fills the query's EDNS fields.
Status ReadRecord(std::span<const uint8_t> p, size_t& pos, bool additional, Query& q, bool& seen_opt) {
  size_t end = 0;
  std::string owner;
  RETURN_IF_ERROR(ReadName(p, pos, end, &owner, nullptr));
  if (end + 10 > p.size()) return Malformed("record header runs past the end");
  uint16_t type = Read16(p, end);
  uint16_t klass = Read16(p, end + 2);
  uint8_t version = p[end + 5];
  uint16_t rdlength = Read16(p, end + 8);
  if (end + 10 + rdlength > p.size()) return Malformed("record data runs past the end");
  if (type == kTypeOpt) {
    if (!additional || !owner.empty()) return Malformed("OPT record outside the additional section or not at the root");
    if (seen_opt) return Malformed("more than one OPT record");
    seen_opt = true;
    q.edns = true;
    q.edns_version = version;
    q.udp_payload = std::max<uint16_t>(klass, kClassicUdpSize);
  }
  pos = end + 10 + rdlength;
  return Status::OK();
}

}  // namespace

Result<Query> ParseQuery(std::span<const uint8_t> p) {
  if (p.size() < kHeaderSize) return Malformed("shorter than a header");
  Query q;
  q.id = Read16(p, 0);
  uint16_t flags = Read16(p, 2);
  if (flags & 0x8000) return Malformed("QR is set: not a query");
  q.opcode = static_cast<uint8_t>((flags >> 11) & 0xf);
  q.recursion_desired = (flags & 0x0100) != 0;
  uint16_t qdcount = Read16(p, 4), ancount = Read16(p, 6), nscount = Read16(p, 8), arcount = Read16(p, 10);
  if (qdcount != 1) return Malformed("not exactly one question");
  size_t end = 0;
  RETURN_IF_ERROR(ReadName(p, kHeaderSize, end, &q.name, &q.plain_name));
  // The question is echoed as sent, so its name must stand alone: no pointer into the header.
  for (size_t at = kHeaderSize; p[at] != 0; at += 1 + p[at]) {
    if (p[at] & 0xc0) return Malformed("compressed question name");
  }
  if (end + 4 > p.size()) return Malformed("question runs past the end");
  q.type = Read16(p, end);
  q.klass = Read16(p, end + 2);
  q.question_wire.assign(reinterpret_cast<const char*>(p.data()) + kHeaderSize, end + 4 - kHeaderSize);
  size_t pos = end + 4;
  bool seen_opt = false;
  size_t records = static_cast<size_t>(ancount) + nscount + arcount;
  for (size_t i = 0; i < records; ++i) {
    RETURN_IF_ERROR(ReadRecord(p, pos, i >= static_cast<size_t>(ancount) + nscount, q, seen_opt));
  }
  return q;
}

std::optional<uint16_t> PacketId(std::span<const uint8_t> p) {
  if (p.size() < kHeaderSize) return std::nullopt;
  return Read16(p, 0);
}

uint16_t TypeFromName(std::string_view type) {
  if (type == "A") return kTypeA;
  if (type == "AAAA") return kTypeAaaa;
  if (type == "CNAME") return kTypeCname;
  if (type == "SRV") return kTypeSrv;
  if (type == "PTR") return kTypePtr;
  return 0;
}

std::string_view TypeName(uint16_t type) {
  switch (type) {
    case kTypeA: return "A";
    case kTypeAaaa: return "AAAA";
    case kTypeCname: return "CNAME";
    case kTypeSrv: return "SRV";
    case kTypePtr: return "PTR";
    default: return "";
  }
}

Result<Record> MakeRecord(std::string_view name, std::string_view type, uint32_t ttl, std::string_view value) {
  Record r{std::string(name), TypeFromName(type), ttl, {}};
  std::string v(value);
  switch (r.type) {
    case kTypeA: {
      in_addr a{};
      if (inet_pton(AF_INET, v.c_str(), &a) != 1) return Status::InvalidArgument("not an IPv4 address: " + v);
      r.rdata.assign(reinterpret_cast<const char*>(&a), 4);
      return r;
    }
    case kTypeAaaa: {
      in6_addr a{};
      if (inet_pton(AF_INET6, v.c_str(), &a) != 1) return Status::InvalidArgument("not an IPv6 address: " + v);
      r.rdata.assign(reinterpret_cast<const char*>(&a), 16);
      return r;
    }
    case kTypeCname:
    case kTypePtr:
      RETURN_IF_ERROR(PutName(r.rdata, value));
      return r;
    case kTypeSrv: {
      // "priority weight port target"
      uint32_t numbers[3] = {};
      std::string_view rest = value;
      for (uint32_t& n : numbers) {
        size_t space = rest.find(' ');
        if (space == std::string_view::npos) return Status::InvalidArgument("not an SRV value: " + v);
        auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + space, n);
        if (ec != std::errc() || ptr != rest.data() + space || n > 0xffff) {
          return Status::InvalidArgument("not an SRV value: " + v);
        }
        rest.remove_prefix(space + 1);
      }
      for (uint32_t n : numbers) Put16(r.rdata, static_cast<uint16_t>(n));
      RETURN_IF_ERROR(PutName(r.rdata, rest));  // never compressed (RFC 2782)
      return r;
    }
    default:
      return Status::InvalidArgument("unsupported record type " + std::string(type));
  }
}

size_t UdpLimit(const Query& q) {
  if (!q.edns) return kClassicUdpSize;
  return std::min<size_t>(q.udp_payload, kEdnsPayload);
}

std::string EncodeAnswer(const Query& q, const Answer& a, size_t max_size) {
  auto header = [&](std::string& out, bool truncated, uint16_t ancount) {
    uint16_t flags = 0x8000 | static_cast<uint16_t>(q.opcode << 11) | 0x0080;  // QR, RA
    if (a.authoritative) flags |= 0x0400;
    if (truncated) flags |= 0x0200;
    if (q.recursion_desired) flags |= 0x0100;
    flags |= static_cast<uint16_t>(a.rcode) & 0xf;
    Put16(out, q.id);
    Put16(out, flags);
    Put16(out, 1);
    Put16(out, ancount);
    Put16(out, 0);
    Put16(out, q.edns ? 1 : 0);
    out += q.question_wire;
  };
  std::string opt;
  if (q.edns) {
    opt.push_back('\0');
    Put16(opt, kTypeOpt);
    Put16(opt, kEdnsPayload);
    Put32(opt, static_cast<uint32_t>(a.extended_rcode >> 4) << 24);  // extended RCODE, version 0, no flags
    Put16(opt, 0);
  }
  std::string out;
  out.reserve(512);
  uint16_t count = 0;
  std::string body;
  for (const Record& r : a.records) {
    if (count == 0xffff) break;
    if (SameName(r.name, q.name) && q.plain_name) {
      Put16(body, 0xc000 | kHeaderSize);  // the question's name
    } else if (!PutName(body, r.name).ok()) {
      continue;  // a name of ours that cannot be written: leave the record out
    }
    Put16(body, r.type);
    Put16(body, kClassIn);
    Put32(body, r.ttl);
    Put16(body, static_cast<uint16_t>(r.rdata.size()));
    body += r.rdata;
    ++count;
  }
  header(out, false, count);
  if (out.size() + body.size() + opt.size() <= max_size) {
    out += body;
    out += opt;
    return out;
  }
  out.clear();
  header(out, true, 0);
  out += opt;
  return out;
}

std::optional<std::string> EncodeHeaderError(std::span<const uint8_t> p, Rcode rcode) {
  if (p.size() < kHeaderSize) return std::nullopt;
  uint16_t flags = Read16(p, 2);
  if (flags & 0x8000) return std::nullopt;
  std::string out;
  Put16(out, Read16(p, 0));
  Put16(out, static_cast<uint16_t>(0x8000 | (flags & 0x7900) | 0x0080 | static_cast<uint16_t>(rcode)));
  for (int i = 0; i < 4; ++i) Put16(out, 0);
  return out;
}

}  // namespace wharf::dns
