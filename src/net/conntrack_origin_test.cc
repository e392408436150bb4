#include "net/conntrack_origin.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

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

// The kernel's answer to GET numbered `seq`: the original tuple task -> `dst`:`port`, the reply
// tuple server -> task (what the request asked by).
std::string Reply(uint32_t seq, const char* dst, uint16_t port, uint16_t type = kNew) {
  auto tuple = [](const char* src, const char* to, uint16_t sport, uint16_t dport) {
    return Nest(CTA_TUPLE_IP, Attr(CTA_IP_V4_SRC, Address(src)) + Attr(CTA_IP_V4_DST, Address(to))) +
           Nest(CTA_TUPLE_PROTO, Attr(CTA_PROTO_NUM, std::string(1, static_cast<char>(IPPROTO_TCP))) +
                                     Attr(CTA_PROTO_SRC_PORT, Be16(sport)) + Attr(CTA_PROTO_DST_PORT, Be16(dport)));
  };
  std::string attrs = Nest(CTA_TUPLE_ORIG, tuple("10.0.1.5", dst, 40000, port)) +
                      Nest(CTA_TUPLE_REPLY, tuple("10.99.0.1", "10.0.1.5", 8080, 40000)) +
                      Attr(CTA_ZONE, Be16(7));
  std::string out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), '\0');
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size() + attrs.size());
  h.nlmsg_type = type;
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  return out + attrs;
}

TEST(ConntrackOriginal, ReadsTheOriginalTuplesDestination) {
  auto d = ParseConntrackOriginal(Reply(7, "10.0.2.4", 443), 7);
  ASSERT_TRUE(d.has_value());
  char text[INET_ADDRSTRLEN];
  ASSERT_NE(inet_ntop(AF_INET, &d->sin_addr, text, sizeof text), nullptr);
  EXPECT_STREQ(text, "10.0.2.4");
  EXPECT_EQ(ntohs(d->sin_port), 443);
}

TEST(ConntrackOriginal, RefusesAnotherRequestsAnswerAnErrorAndTruncation) {
  EXPECT_FALSE(ParseConntrackOriginal(Reply(7, "10.0.2.4", 443), 8).has_value());  // another seq
  EXPECT_FALSE(ParseConntrackOriginal(Reply(7, "10.0.2.4", 443, NLMSG_ERROR), 7).has_value());
  std::string whole = Reply(7, "10.0.2.4", 443);
  for (size_t n = 0; n < whole.size(); ++n) {
    EXPECT_FALSE(ParseConntrackOriginal(std::string_view(whole).substr(0, n), 7).has_value()) << n;
  }
  // An attribute claiming more than the message holds ends the walk.
  std::string bent = whole;
  nlattr a;
  size_t first = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  std::memcpy(&a, bent.data() + first, sizeof a);
  a.nla_len = 0xffff;
  std::memcpy(bent.data() + first, &a, sizeof a);
  EXPECT_FALSE(ParseConntrackOriginal(bent, 7).has_value());
  // Unaligned in memory: parsed all the same.
  std::string shifted = " " + whole;
  EXPECT_TRUE(ParseConntrackOriginal(std::string_view(shifted).substr(1), 7).has_value());
}

}  // namespace
}  // namespace wharf::net
