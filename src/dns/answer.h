// What the VPC resolver answers, without the network: a query packet in, the answer bytes
// out, or the word that it is to be forwarded. The records of the VPC's own names come from
// a RecordSource (the control plane's, in the server). Pure but for the source; what
// fuzz/dns_fuzzer.cc drives with hostile packets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dns/message.h"

namespace wharf::dns {

// The records of a name in a VPC, when the VPC's own zones hold it.
struct LocalAnswer {
  bool silent = false;       // the VPC's resolver is off (enableDnsSupport): no answer at all
  bool ours = false;         // a zone of the VPC holds the name: answer here, never forward
  bool name_exists = false;  // the name has records of some type (NOERROR with none of this one)
  std::vector<Record> records;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // `name` as the client sent it (any case, no final dot); `type` a numeric RR type.
  virtual Result<LocalAnswer> Lookup(std::string_view vpc_id, std::string_view name, uint16_t type) = 0;
};

// What the resolver does with one query packet: the answer bytes, or nullopt when the query
// is to be forwarded (or dropped: `drop` set). The answer's size limit is the transport's:
// UDP's (UdpLimit), or 65535 over TCP (`tcp`).
struct Decision {
  std::optional<std::string> answer;
  bool drop = false;
};
Decision Decide(RecordSource& source, std::string_view vpc_id, std::span<const uint8_t> packet, bool tcp);

}  // namespace wharf::dns
