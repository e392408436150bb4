// libFuzzer target: arbitrary bytes as a DNS packet arriving at the VPC resolver (dns/answer.h,
// dns/message.h), what any task in a VPC can send to its base address + 2. Checks: no crash,
// no sanitizer report; every answer the resolver writes parses as a query's answer (the id
// echoed, QR set) and fits the transport's limit; a query that parses encodes an answer
// that parses back. The same packet is answered a second time from a VPC's name table
// (model/vpc_dns.h: zones, hostnames, in-addr.arpa names read back into addresses), as the
// server's and remote nodes' resolvers answer. Build and run with `fuzz/run.sh dns`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "dns/answer.h"
#include "dns/message.h"
#include "model/vpc_dns.h"

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

// A table as BuildVpcDnsTable makes one with hostnames on: a Cloud Map zone, ec2.internal, the
// VPC's reverse names.
class TableSource : public wharf::dns::RecordSource {
 public:
  TableSource() {
    table_.vpc_id = "vpc-1";
    table_.zones = {"local", "elb.localhost", "ec2.internal"};
    table_.reverse_cidrs = {"10.0.0.0/16", "192.168.4.0/22"};
    wharf::model::DnsRecordSet many{"A", 10, {}, 8};
    for (int i = 0; i < 20; ++i) many.values.push_back("10.0.9." + std::to_string(i));
    table_.Add("api.local", many);
    table_.Add("api.local", {"SRV", 10, {"1 1 80 i-1.api.local", "1 1 80 i-2.api.local"}, 0});
    table_.Add("alias.local", {"CNAME", 30, {"api.local"}, 0});
    table_.Add(wharf::model::PrivateDnsName("10.0.1.5", "us-east-1"), {"A", 60, {"10.0.1.5"}, 0});
    table_.Add(wharf::model::ReverseName("10.0.1.5"), {"PTR", 60, {"ip-10-0-1-5.ec2.internal"}, 0});
  }
  wharf::Result<wharf::dns::LocalAnswer> Lookup(std::string_view, std::string_view name, uint16_t type) override {
    std::string_view type_name = wharf::dns::TypeName(type);
    auto found = wharf::model::LookupVpcDns(table_, name, type_name.empty() ? "OTHER" : type_name, ++pick_);
    wharf::dns::LocalAnswer out{found.silent, found.ours, found.name_exists, {}};
    for (const auto& a : found.answers) {
      auto r = wharf::dns::MakeRecord(name, a.type, static_cast<uint32_t>(a.ttl), a.value);
      if (r.ok()) out.records.push_back(std::move(r).value());
    }
    return out;
  }

 private:
  wharf::model::VpcDnsTable table_;
  uint64_t pick_ = 0;
};

void CheckAnswer(std::span<const uint8_t> query, const std::string& answer, size_t limit) {
  if (answer.size() < wharf::dns::kHeaderSize || answer.size() > limit) std::abort();
  if (answer[0] != static_cast<char>(query[0]) || answer[1] != static_cast<char>(query[1])) std::abort();
  if (!(static_cast<uint8_t>(answer[2]) & 0x80)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Source source;
  static TableSource table;
  std::span<const uint8_t> packet(data, size);
  for (int run = 0; run < 4; ++run) {
    const bool tcp = run % 2 == 1;
    wharf::dns::RecordSource& from = run < 2 ? static_cast<wharf::dns::RecordSource&>(source) : table;
    auto d = wharf::dns::Decide(from, "vpc-1", packet, tcp);
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
