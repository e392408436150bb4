#include "dns/answer.h"

namespace wharf::dns {
namespace {

Decision Reply(std::string answer) { return Decision{std::move(answer), false}; }
Decision Forward() { return Decision{std::nullopt, false}; }

}  // namespace

Decision Decide(RecordSource& source, std::string_view vpc_id, std::span<const uint8_t> packet, bool over_tcp) {
  auto q = ParseQuery(packet);
  if (!q.ok()) {
    auto error = EncodeHeaderError(packet, Rcode::kFormErr);
    return error ? Decision{std::move(error), false} : Decision{std::nullopt, true};
  }
  size_t limit = over_tcp ? kMaxTcpMessage : UdpLimit(*q);
  if (q->opcode != 0) return Reply(EncodeAnswer(*q, ErrorAnswer(Rcode::kNotImp), limit));
  if (q->edns && q->edns_version != 0) {
    Answer bad;
    bad.extended_rcode = kBadVers;
    return Reply(EncodeAnswer(*q, bad, limit));
  }
  if (!q->plain_name || q->klass != kClassIn) return Forward();  // not a name of ours
  auto local = source.Lookup(vpc_id, q->name, q->type);
  if (!local.ok()) return Reply(EncodeAnswer(*q, ErrorAnswer(Rcode::kServFail), limit));
  if (local->silent) return Decision{std::nullopt, true};  // as AWS's resolver with DNS support off
  if (!local->ours) return Forward();
  Answer a;
  a.authoritative = true;
  a.rcode = local->name_exists || !local->records.empty() ? Rcode::kNoError : Rcode::kNxDomain;
  a.records = std::move(local->records);
  return Reply(EncodeAnswer(*q, a, limit));
}

}  // namespace wharf::dns
