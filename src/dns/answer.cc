#include "dns/answer.h"

namespace wharf::dns {

Decision Decide(RecordSource& source, std::string_view vpc_id, std::span<const uint8_t> packet, bool over_tcp) {
  auto q = ParseQuery(packet);
  if (!q.ok()) {
    auto error = EncodeHeaderError(packet, Rcode::kFormErr);
    return error ? Decision{std::move(error), false} : Decision{std::nullopt, true};
  }
  size_t limit = over_tcp ? kMaxTcpMessage : UdpLimit(*q);
  if (q->opcode != 0) return {EncodeAnswer(*q, Answer{Rcode::kNotImp}, limit)};
  if (q->edns && q->edns_version != 0) {
    Answer bad{};
    bad.extended_rcode = kBadVers;
    return {EncodeAnswer(*q, bad, limit)};
  }
  if (!q->plain_name || q->klass != kClassIn) return {};  // not a name of ours
  auto local = source.Lookup(vpc_id, q->name, q->type);
  if (!local.ok()) return {EncodeAnswer(*q, Answer{Rcode::kServFail}, limit)};
  if (!local->ours) return {};
  Answer a;
  a.authoritative = true;
  a.rcode = local->name_exists || !local->records.empty() ? Rcode::kNoError : Rcode::kNxDomain;
  a.records = std::move(local->records);
  return {EncodeAnswer(*q, a, limit)};
}

}  // namespace wharf::dns
