#include "dns/message.h"

#include <gtest/gtest.h>

#include "tests/support/dns_packets.h"

namespace wharf::dns {
namespace {

std::span<const uint8_t> Span(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(DnsMessageTest, ParsesAQueryWithEdns) {
  std::string packet = testing_packets::Query(0xbeef, "Api.Local", kTypeA, 1232);
  auto q = ParseQuery(Span(packet));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_EQ(q->name, "Api.Local");
  EXPECT_TRUE(q->plain_name);
  EXPECT_EQ(q->type, kTypeA);
  EXPECT_EQ(q->klass, kClassIn);
  EXPECT_TRUE(q->recursion_desired);
  EXPECT_TRUE(q->edns);
  EXPECT_EQ(q->udp_payload, 1232);
  EXPECT_EQ(UdpLimit(*q), 1232u);
}

TEST(DnsMessageTest, WithoutEdnsTheLimitIs512AndASmallPayloadCountsAs512) {
  auto plain = ParseQuery(Span(testing_packets::Query(1, "a.b", kTypeA)));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->edns);
  EXPECT_EQ(UdpLimit(*plain), 512u);
  auto small = ParseQuery(Span(testing_packets::Query(1, "a.b", kTypeA, 100)));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(UdpLimit(*small), 512u);
  auto big = ParseQuery(Span(testing_packets::Query(1, "a.b", kTypeA, 65000)));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(UdpLimit(*big), 4096u);
}

TEST(DnsMessageTest, RefusesMalformedPackets) {
  std::string good = testing_packets::Query(7, "api.local", kTypeA);
  EXPECT_FALSE(ParseQuery(Span(good.substr(0, 11))).ok());  // short header
  EXPECT_FALSE(ParseQuery(Span(good.substr(0, good.size() - 1))).ok());  // question cut
  std::string answer = good;
  answer[2] |= 0x80;  // QR: an answer
  EXPECT_FALSE(ParseQuery(Span(answer)).ok());
  std::string two = good;
  two[5] = 2;  // two questions
  EXPECT_FALSE(ParseQuery(Span(two)).ok());
  std::string long_label = good;
  long_label[12] = 64;  // label length over 63
  EXPECT_FALSE(ParseQuery(Span(long_label)).ok());
  // A pointer to itself (a loop) and a pointer in the question.
  std::string loop = std::string("\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12) + "\xc0\x0c" +
                     std::string("\x00\x01\x00\x01", 4);
  EXPECT_FALSE(ParseQuery(Span(loop)).ok());
  // An additional record that says it is longer than the packet.
  std::string lying = good;
  lying[11] = 1;
  lying += std::string("\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x05", 11);
  EXPECT_FALSE(ParseQuery(Span(lying)).ok());
}

TEST(DnsMessageTest, NamesWithOddBytesAreNotPlain) {
  std::string packet = testing_packets::Query(1, "a.b", kTypeA);
  packet[13] = '.';  // the label "a" becomes "."
  auto q = ParseQuery(Span(packet));
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->plain_name);
}

TEST(DnsMessageTest, EncodesAnswersThatPointAtTheQuestion) {
  auto q = ParseQuery(Span(testing_packets::Query(42, "api.local", kTypeA, 4096)));
  ASSERT_TRUE(q.ok());
  Answer a;
  a.authoritative = true;
  for (const char* ip : {"10.0.1.5", "10.0.1.6", "10.0.1.7"}) {
    auto r = MakeRecord("api.local", "A", 15, ip);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    a.records.push_back(*r);
  }
  std::string out = EncodeAnswer(*q, a, UdpLimit(*q));
  auto parsed = testing_packets::ParseAnswer(out);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, 42);
  EXPECT_TRUE(parsed->authoritative);
  EXPECT_FALSE(parsed->truncated);
  EXPECT_EQ(parsed->rcode, 0);
  EXPECT_TRUE(parsed->has_opt);
  ASSERT_EQ(parsed->records.size(), 3u);
  EXPECT_EQ(parsed->records[0].name, "api.local");
  EXPECT_EQ(parsed->records[0].ttl, 15u);
  EXPECT_EQ(parsed->records[2].value, "10.0.1.7");
  // Each answer's owner is a two-byte pointer to the question: 12 + 11 + 4 + 3 * (2 + 10 + 4) + 11.
  EXPECT_EQ(out.size(), 12u + 11 + 4 + 3 * 16 + 11);
}

TEST(DnsMessageTest, SrvAaaaAndCnameRecords) {
  auto srv = MakeRecord("api.local", "SRV", 60, "1 1 8080 task1.api.local");
  ASSERT_TRUE(srv.ok());
  EXPECT_EQ(srv->rdata.substr(0, 6), std::string("\x00\x01\x00\x01\x1f\x90", 6));
  EXPECT_EQ(srv->rdata.substr(6), std::string("\x05task1\x03""api\x05local\x00", 17));
  EXPECT_TRUE(MakeRecord("a", "AAAA", 1, "fd00::5").ok());
  EXPECT_EQ(MakeRecord("a", "AAAA", 1, "fd00::5")->rdata.size(), 16u);
  EXPECT_TRUE(MakeRecord("a", "CNAME", 1, "b.example.com").ok());
  EXPECT_FALSE(MakeRecord("a", "A", 1, "10.0.0").ok());
  EXPECT_FALSE(MakeRecord("a", "SRV", 1, "1 1 99999 t").ok());
  EXPECT_FALSE(MakeRecord("a", "MX", 1, "10 mail").ok());
}

TEST(DnsMessageTest, TruncatesOverTheLimitWithTcAndNoRecords) {
  auto q = ParseQuery(Span(testing_packets::Query(9, "api.local", kTypeSrv)));
  ASSERT_TRUE(q.ok());
  Answer a;
  for (int i = 0; i < 20; ++i) {
    a.records.push_back(*MakeRecord("api.local", "SRV", 60, "1 1 80 task-" + std::to_string(i) + "-0123456789abcdef.api.local"));
  }
  std::string udp = EncodeAnswer(*q, a, UdpLimit(*q));
  EXPECT_LE(udp.size(), 512u);
  auto parsed = testing_packets::ParseAnswer(udp);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->truncated);
  EXPECT_TRUE(parsed->records.empty());
  std::string tcp = EncodeAnswer(*q, a, kMaxTcpMessage);
  auto whole = testing_packets::ParseAnswer(tcp);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->truncated);
  EXPECT_EQ(whole->records.size(), 20u);
}

TEST(DnsMessageTest, HeaderErrorsEchoTheIdAndNeverAnswerAnAnswer) {
  std::string garbage = std::string("\x12\x34\x01\x00\x00\x05", 6) + std::string(6, '\0');
  auto err = EncodeHeaderError(Span(garbage), Rcode::kFormErr);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->size(), 12u);
  EXPECT_EQ(static_cast<uint8_t>((*err)[0]), 0x12);
  EXPECT_EQ(static_cast<uint8_t>((*err)[3]) & 0xf, 1);
  garbage[2] = static_cast<char>(0x81);
  EXPECT_FALSE(EncodeHeaderError(Span(garbage), Rcode::kFormErr).has_value());
  EXPECT_FALSE(EncodeHeaderError(Span(garbage.substr(0, 5)), Rcode::kFormErr).has_value());
}

}  // namespace
}  // namespace wharf::dns
