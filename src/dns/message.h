// DNS messages (RFC 1035) as the VPC resolver reads and writes them: a query's header,
// its one question and its EDNS OPT record (RFC 6891) read; an answer written with the
// question echoed, answer records, an OPT record when the query had one, and the TC bit
// when the answers do not fit the size the transport allows (RFC 2181 9: then no answer
// record is sent, and the client asks again over TCP).
//
// Everything here reads untrusted bytes: every length is checked against the packet, names
// are bounded (63-byte labels, 255 bytes in all, 16 compression jumps, each strictly
// backwards), and a malformed packet is an InvalidArgument, never a crash
// (fuzz/dns_fuzzer.cc). Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::dns {

enum RecordType : uint16_t {
  kTypeA = 1,
  kTypeNs = 2,
  kTypeCname = 5,
  kTypeSoa = 6,
  kTypePtr = 12,
  kTypeAaaa = 28,
  kTypeSrv = 33,
  kTypeOpt = 41,
  kTypeAny = 255,
};
inline constexpr uint16_t kClassIn = 1;

enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};
// EDNS's extended RCODE for a version the server does not speak (16: OPT carries the high bits).
inline constexpr uint16_t kBadVers = 16;

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kClassicUdpSize = 512;  // without EDNS (RFC 1035 4.2.1)
inline constexpr uint16_t kEdnsPayload = 4096;  // what this server offers and takes over UDP
inline constexpr size_t kMaxTcpMessage = 65535;

struct Query {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  std::string name;       // dotted, without the final dot ("" for the root), as sent
  bool plain_name = true;  // every byte of every label printable and not '.': safe to look up
  uint16_t type = 0;
  uint16_t klass = 0;
  std::string question_wire;  // the question section's bytes, echoed in the answer
  bool edns = false;
  uint8_t edns_version = 0;
  uint16_t udp_payload = kClassicUdpSize;  // the client's (at least 512)
};

// The query in `packet` (QR clear, exactly one question; answer, authority and additional
// records walked so the OPT record is found). InvalidArgument when malformed.
Result<Query> ParseQuery(std::span<const uint8_t> packet);

// The id of a packet of at least a header, for an error answer to one that does not parse.
std::optional<uint16_t> PacketId(std::span<const uint8_t> packet);

struct Record {
  std::string name;  // owner, dotted, without the final dot
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;  // wire form
};

// A record from its presentation form: A "10.0.0.5", AAAA "fd00::5", CNAME "target.name",
// SRV "priority weight port target" (as Cloud Map and Route 53 write them), PTR "target.name".
// InvalidArgument for anything else.
Result<Record> MakeRecord(std::string_view name, std::string_view type, uint32_t ttl, std::string_view value);

// The numeric type of "A", "AAAA", "CNAME", "SRV", "PTR" (0 otherwise), and back.
uint16_t TypeFromName(std::string_view type);
std::string_view TypeName(uint16_t type);

struct Answer {
  Rcode rcode = Rcode::kNoError;
  bool authoritative = false;
  std::vector<Record> records;
  uint16_t extended_rcode = 0;  // kBadVers; needs the query's EDNS
};

// An answer with no records and `rcode` (SERVFAIL, NOTIMP, ...).
inline Answer ErrorAnswer(Rcode rcode) {
  Answer a;
  a.rcode = rcode;
  return a;
}

// The answer message to `query`, at most `max_size` bytes: TC set and no records when the
// records do not fit (the question and OPT always do: a question is at most 259 bytes).
std::string EncodeAnswer(const Query& query, const Answer& answer, size_t max_size);

// A header-only answer (QR set, the id, opcode and RD of the packet) with `rcode`: what a
// packet that has a header but no readable question gets. nullopt for less than a header
// or a packet with QR set (an answer is never answered).
std::optional<std::string> EncodeHeaderError(std::span<const uint8_t> packet, Rcode rcode);

// The size a UDP answer to `query` may have: the client's EDNS payload up to ours, else 512.
size_t UdpLimit(const Query& query);

}  // namespace wharf::dns
