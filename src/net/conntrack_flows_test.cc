// The dump's parse (pure); the kernel's side is test_vpc_egress.py (an endpoint deleted under
// a kept-alive connection).
#include "net/conntrack_flows.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/support/netlink_attributes.h"

namespace wharf::net {
namespace {

constexpr uint16_t kNew = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;

using testing::Address;
using testing::Attr;
using testing::Be16;
using testing::Nest;

std::string Tuple(const char* src, const char* dst, uint16_t sport, uint16_t dport, uint8_t proto = IPPROTO_TCP) {
  return Nest(CTA_TUPLE_IP, Attr(CTA_IP_V4_SRC, Address(src)) + Attr(CTA_IP_V4_DST, Address(dst))) +
         Nest(CTA_TUPLE_PROTO, Attr(CTA_PROTO_NUM, std::string(1, static_cast<char>(proto))) +
                                   Attr(CTA_PROTO_SRC_PORT, Be16(sport)) + Attr(CTA_PROTO_DST_PORT, Be16(dport)));
}
std::string Message(uint16_t type, uint32_t seq, const std::string& attrs) {
  std::string out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), '\0');
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size() + attrs.size());
  h.nlmsg_type = type;
  h.nlmsg_flags = NLM_F_MULTI;
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  return out + attrs;
}
// An entry of the dump: a task's connection to `dst`:`dport`, DNAT'd to the server, in `zone`
// (0: no CTA_ZONE, as the kernel writes the default zone).
std::string Entry(uint32_t seq, const char* dst, uint16_t dport, uint16_t zone, uint8_t proto = IPPROTO_TCP) {
  std::string attrs = Nest(CTA_TUPLE_ORIG, Tuple("10.0.1.5", dst, 40000, dport, proto)) +
                      Nest(CTA_TUPLE_REPLY, Tuple("10.99.0.1", "10.0.1.5", 4566, 40000, proto));
  if (zone != 0) attrs += Attr(CTA_ZONE, Be16(zone));
  return Message(kNew, seq, attrs);
}
sockaddr_in Destination(const char* dotted, uint16_t port) {
  sockaddr_in d{};
  d.sin_family = AF_INET;
  inet_pton(AF_INET, dotted, &d.sin_addr);
  d.sin_port = htons(port);
  return d;
}

FlowFilter To(const char* dotted, uint16_t port) {
  sockaddr_in d = Destination(dotted, port);
  return [d](const ConntrackFlow& f) {
    return f.original_destination.sin_addr.s_addr == d.sin_addr.s_addr && f.original_destination.sin_port == d.sin_port;
  };
}
// The kernel's error: nlmsgerr right after the header (no nfgenmsg).
std::string NlError(uint32_t seq, int error) {
  std::string out(NLMSG_HDRLEN + sizeof(nlmsgerr), '\0');
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size());
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  nlmsgerr e{};
  e.error = error;
  std::memcpy(out.data() + NLMSG_HDRLEN, &e, sizeof e);
  return out;
}

TEST(ConntrackFlows, ADumpYieldsTheZonesEntriesToTheDestinationAsTheirOriginalTuples) {
  std::string batch = Entry(3, "10.0.1.9", 443, 7) + Entry(3, "10.0.1.9", 443, 8) +  // another VPC's
                      Entry(3, "10.0.1.9", 80, 7) + Entry(3, "10.0.1.10", 443, 7) +
                      Entry(3, "10.0.1.9", 443, 0) + Entry(3, "10.0.1.9", 443, 7, IPPROTO_UDP);
  std::vector<std::string> tuples;
  auto more = ParseConntrackDump(batch, 3, 7, To("10.0.1.9", 443), tuples);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more) << "no DONE yet";
  ASSERT_EQ(tuples.size(), 1u);
  EXPECT_EQ(tuples[0], Nest(CTA_TUPLE_ORIG, Tuple("10.0.1.5", "10.0.1.9", 40000, 443)))
      << "the attribute whole, as the delete names the entry";

  tuples.clear();
  more = ParseConntrackDump(Entry(3, "10.0.1.9", 443, 0) + Message(NLMSG_DONE, 3, std::string(4, '\0')), 3, 0,
                            To("10.0.1.9", 443), tuples);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more) << "DONE ends the dump";
  EXPECT_EQ(tuples.size(), 1u) << "the default zone's entry carries no CTA_ZONE";
}

// What an agent restarted ends: the zone's flows DNAT'd to the server (the reply's source)
// whose original destination is none it keeps.
TEST(ConntrackFlows, AFilterSeesTheReplysSourceTheDnatsTarget) {
  sockaddr_in server = Destination("10.99.0.1", 4566);
  std::vector<std::string> tuples;
  auto picked = ParseConntrackDump(Entry(3, "10.0.1.9", 443, 7) + Entry(3, "10.0.1.10", 443, 7), 3, 7,
                                   [&](const ConntrackFlow& f) {
                                     return f.reply_source.sin_addr.s_addr == server.sin_addr.s_addr &&
                                            f.reply_source.sin_port == server.sin_port &&
                                            f.original_destination.sin_addr.s_addr !=
                                                Destination("10.0.1.10", 443).sin_addr.s_addr;
                                   },
                                   tuples);
  ASSERT_TRUE(picked.ok());
  ASSERT_EQ(tuples.size(), 1u);
  EXPECT_EQ(tuples[0], Nest(CTA_TUPLE_ORIG, Tuple("10.0.1.5", "10.0.1.9", 40000, 443)));
}

TEST(ConntrackFlows, AnotherRequestsAnswerAnErrorOrATruncationFailsTheDump) {
  std::vector<std::string> tuples;
  EXPECT_FALSE(ParseConntrackDump(Entry(4, "10.0.1.9", 443, 7), 3, 7, To("10.0.1.9", 443), tuples).ok());
  auto error = ParseConntrackDump(NlError(3, -EPERM), 3, 7, To("10.0.1.9", 443), tuples);
  ASSERT_FALSE(error.ok()) << "an error is no end of the dump";
  EXPECT_NE(error.status().message().find(std::strerror(EPERM)), std::string::npos) << error.status().message();
  std::string whole = Entry(3, "10.0.1.9", 443, 7);
  for (size_t n = NLMSG_HDRLEN; n < whole.size(); ++n) {
    (void)ParseConntrackDump(std::string_view(whole).substr(0, n), 3, 7, To("10.0.1.9", 443), tuples);
  }
  EXPECT_TRUE(tuples.empty()) << "no part of an entry is taken for one";
}

}  // namespace
}  // namespace wharf::net
