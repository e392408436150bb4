#include "dns/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/dns_packets.h"

namespace wharf::dns {
namespace {

std::span<const uint8_t> Span(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// The zone "local" of vpc-1: api.local has three addresses and an SRV record.
class FakeSource : public RecordSource {
 public:
  Result<LocalAnswer> Lookup(std::string_view vpc_id, std::string_view asked, uint16_t type) override {
    ++lookups;
    std::string name(asked);  // names are not case-sensitive
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    LocalAnswer out;
    if (vpc_id != "vpc-1" || !(name == "local" || name.ends_with(".local"))) return out;
    out.ours = true;
    if (name != "api.local") return out;
    out.name_exists = true;
    if (type == kTypeA) {
      for (const char* ip : {"10.0.1.5", "10.0.1.6", "10.0.1.7"}) out.records.push_back(*MakeRecord(name, "A", 10, ip));
    }
    if (type == kTypeSrv) out.records.push_back(*MakeRecord(name, "SRV", 10, "1 1 80 t1.api.local"));
    if (type == kTypeTxt) return Status::Internal("the store is down");
    return out;
  }
  static constexpr uint16_t kTypeTxt = 16;
  std::atomic<int> lookups{0};
};

testing_packets::ParsedAnswer Decided(FakeSource& source, const std::string& query, std::string_view vpc = "vpc-1") {
  Decision d = Decide(source, vpc, Span(query), false);
  EXPECT_TRUE(d.answer.has_value());
  if (!d.answer) return {};
  auto parsed = testing_packets::ParseAnswer(*d.answer);
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? *parsed : testing_packets::ParsedAnswer{};
}

TEST(DnsResolverTest, AnswersTheVpcsOwnNames) {
  FakeSource source;
  auto a = Decided(source, testing_packets::Query(1, "API.local", kTypeA));
  EXPECT_EQ(a.rcode, 0);
  EXPECT_TRUE(a.authoritative);
  EXPECT_EQ(a.records.size(), 3u);
  auto nodata = Decided(source, testing_packets::Query(2, "api.local", kTypeAaaa));
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_TRUE(nodata.records.empty());
  auto missing = Decided(source, testing_packets::Query(3, "web.local", kTypeA));
  EXPECT_EQ(missing.rcode, 3);  // NXDOMAIN
  auto failed = Decided(source, testing_packets::Query(4, "api.local", FakeSource::kTypeTxt));
  EXPECT_EQ(failed.rcode, 2);  // SERVFAIL
}

TEST(DnsResolverTest, ForwardsOtherNamesAndOtherVpcs) {
  FakeSource source;
  EXPECT_FALSE(Decide(source, "vpc-1", Span(testing_packets::Query(1, "example.com", kTypeA)), false).answer);
  EXPECT_FALSE(Decide(source, "vpc-2", Span(testing_packets::Query(1, "api.local", kTypeA)), false).answer);
  Decision d = Decide(source, "vpc-1", Span(testing_packets::Query(1, "example.com", kTypeA)), false);
  EXPECT_FALSE(d.drop);
}

TEST(DnsResolverTest, RefusesWhatItDoesNotSpeak) {
  FakeSource source;
  std::string notify = testing_packets::Query(5, "api.local", kTypeA);
  notify[2] = static_cast<char>(notify[2] | (4 << 3));  // opcode NOTIFY
  EXPECT_EQ(Decided(source, notify).rcode, 4);            // NOTIMP
  std::string v1 = testing_packets::Query(6, "api.local", kTypeA, 4096);
  v1[v1.size() - 5] = 1;  // EDNS version 1
  auto bad = Decided(source, v1);
  EXPECT_TRUE(bad.has_opt);
  std::string junk = std::string("\xab\xcd\x01\x00\x00\x01", 6) + std::string(6, '\0') + "\x3f";
  EXPECT_EQ(Decided(source, junk).rcode, 1);  // FORMERR
  EXPECT_TRUE(Decide(source, "vpc-1", Span(std::string("\x01\x02", 2)), false).drop);
  EXPECT_EQ(source.lookups, 0);
}

// A UDP socket on 127.0.0.1 answering every query with one A record 192.0.2.1.
class FakeUpstream {
 public:
  FakeUpstream() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[512];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      std::string q(buf, static_cast<size_t>(n));
      auto parsed = ParseQuery(Span(q));
      if (!parsed.ok()) continue;
      Answer a;
      a.records.push_back(*MakeRecord(parsed->name, "A", 5, "192.0.2.1"));
      std::string answer = EncodeAnswer(*parsed, a, 512);
      sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One query over UDP to 127.0.0.1:port; the answer, or "" after 2 s.
std::string AskUdp(uint16_t port, const std::string& query) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  pollfd p{fd, POLLIN, 0};
  std::string out;
  if (poll(&p, 1, 2000) == 1) {
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::string AskTcp(uint16_t port, const std::string& query) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  std::string framed;
  testing_packets::Put16(framed, static_cast<uint16_t>(query.size()));
  framed += query;
  send(fd, framed.data(), framed.size(), 0);
  std::string in;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() >= 2 && in.size() >= 2u + testing_packets::Get16(in, 0)) break;
  }
  close(fd);
  return in.size() > 2 ? in.substr(2) : "";
}

TEST(DnsResolverTest, ServesUdpAndTcpAndForwards) {
  FakeSource source;
  FakeUpstream upstream;
  ResolverOptions options;
  options.upstreams = {"127.0.0.1:" + std::to_string(upstream.port())};
  auto resolver = Resolver::Start(source, options);
  ASSERT_TRUE(resolver.ok()) << resolver.status().ToString();
  auto port = (*resolver)->Listen("vpc-1", "127.0.0.1", "", 0);
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  EXPECT_EQ(*(*resolver)->Listen("vpc-1", "127.0.0.1", "", 0), *port);  // idempotent

  auto udp = testing_packets::ParseAnswer(AskUdp(*port, testing_packets::Query(11, "api.local", kTypeA)));
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->id, 11);
  EXPECT_EQ(udp->records.size(), 3u);

  auto tcp = testing_packets::ParseAnswer(AskTcp(*port, testing_packets::Query(12, "api.local", kTypeSrv)));
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->id, 12);
  ASSERT_EQ(tcp->records.size(), 1u);
  EXPECT_EQ(tcp->records[0].value, "1 1 80 t1.api.local");

  auto forwarded = testing_packets::ParseAnswer(AskUdp(*port, testing_packets::Query(13, "example.com", kTypeA)));
  ASSERT_TRUE(forwarded.ok());
  EXPECT_EQ(forwarded->id, 13);  // the client's id, not the one used upstream
  ASSERT_EQ(forwarded->records.size(), 1u);
  EXPECT_EQ(forwarded->records[0].value, "192.0.2.1");

  auto over_tcp = testing_packets::ParseAnswer(AskTcp(*port, testing_packets::Query(14, "example.com", kTypeA)));
  ASSERT_TRUE(over_tcp.ok());
  EXPECT_EQ(over_tcp->id, 14);
  EXPECT_EQ(over_tcp->records.size(), 1u);

  (*resolver)->Unlisten("127.0.0.1", "");
  EXPECT_EQ(AskUdp(*port, testing_packets::Query(15, "api.local", kTypeA)), "");
}

TEST(DnsResolverTest, AnUnansweredForwardGetsServfail) {
  FakeSource source;
  int silent = socket(AF_INET, SOCK_DGRAM, 0);  // bound, never answers
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  ResolverOptions options{{"127.0.0.1:" + std::to_string(ntohs(a.sin_port))}, std::chrono::milliseconds(200)};
  auto resolver = Resolver::Start(source, options);
  ASSERT_TRUE(resolver.ok());
  auto port = (*resolver)->Listen("vpc-1", "127.0.0.1", "", 0);
  ASSERT_TRUE(port.ok());
  auto answer = testing_packets::ParseAnswer(AskUdp(*port, testing_packets::Query(21, "example.com", kTypeA)));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->id, 21);
  EXPECT_EQ(answer->rcode, 2);
  close(silent);
}

// UDP and TCP on one 127.0.0.1 port: over UDP every answer is TC with no records (too big),
// over TCP it has 40 A records, unless `tcp_silent` (accepts, never answers).
class TruncatingUpstream {
 public:
  explicit TruncatingUpstream(bool tcp_silent) : tcp_silent_(tcp_silent) {
    udp_ = socket(AF_INET, SOCK_DGRAM, 0);
    tcp_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(tcp_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TruncatingUpstream() {
    stop_ = true;
    thread_.join();
    for (int fd : accepted_) close(fd);
    close(udp_);
    close(tcp_);
  }
  uint16_t port() const { return port_; }
  std::atomic<int> tcp_queries{0};

 private:
  void Serve() {
    while (!stop_) {
      pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & POLLIN) {
        char buf[512];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        auto q = ParseQuery(Span(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)))));
        if (q.ok()) {
          std::string answer = EncodeAnswer(*q, Records(q->name), 512);  // too big: TC
          sendto(udp_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (p[1].revents & POLLIN) {
        int fd = accept(tcp_, nullptr, nullptr);
        if (fd < 0) continue;
        accepted_.push_back(fd);
        if (tcp_silent_) continue;
        char buf[1024];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 2) continue;
        ++tcp_queries;
        auto q = ParseQuery(Span(std::string(buf + 2, static_cast<size_t>(n - 2))));
        if (!q.ok()) continue;
        std::string answer = EncodeAnswer(*q, Records(q->name), 65535), framed;
        testing_packets::Put16(framed, static_cast<uint16_t>(answer.size()));
        framed += answer;
        send(fd, framed.data(), framed.size(), 0);
      }
    }
  }
  static Answer Records(const std::string& name) {
    Answer a;
    for (int i = 1; i <= 40; ++i) a.records.push_back(*MakeRecord(name, "A", 5, "192.0.2." + std::to_string(i)));
    return a;
  }
  bool tcp_silent_;
  int udp_ = -1, tcp_ = -1;
  std::vector<int> accepted_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(DnsResolverTest, ATruncatedUpstreamAnswerIsAskedAgainOverTcpForATcpClient) {
  FakeSource source;
  TruncatingUpstream upstream(false);
  ResolverOptions options{{"127.0.0.1:" + std::to_string(upstream.port())}, std::chrono::milliseconds(500)};
  auto resolver = Resolver::Start(source, options);
  ASSERT_TRUE(resolver.ok());
  auto port = (*resolver)->Listen("vpc-1", "127.0.0.1", "", 0);
  ASSERT_TRUE(port.ok());
  auto tcp = testing_packets::ParseAnswer(AskTcp(*port, testing_packets::Query(31, "big.example", kTypeA)));
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->id, 31);
  EXPECT_FALSE(tcp->truncated);
  EXPECT_EQ(tcp->records.size(), 40u);
  EXPECT_EQ(upstream.tcp_queries, 1);
  // A UDP client gets the truncated answer as it came: it asks again over TCP itself.
  auto udp = testing_packets::ParseAnswer(AskUdp(*port, testing_packets::Query(32, "big.example", kTypeA)));
  ASSERT_TRUE(udp.ok());
  EXPECT_TRUE(udp->truncated);
  EXPECT_TRUE(udp->records.empty());
  EXPECT_EQ(upstream.tcp_queries, 1);
}

TEST(DnsResolverTest, AnUpstreamSilentOverTcpGetsServfail) {
  FakeSource source;
  TruncatingUpstream upstream(true);
  ResolverOptions options{{"127.0.0.1:" + std::to_string(upstream.port())}, std::chrono::milliseconds(200)};
  auto resolver = Resolver::Start(source, options);
  ASSERT_TRUE(resolver.ok());
  auto port = (*resolver)->Listen("vpc-1", "127.0.0.1", "", 0);
  ASSERT_TRUE(port.ok());
  auto tcp = testing_packets::ParseAnswer(AskTcp(*port, testing_packets::Query(33, "big.example", kTypeA)));
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->id, 33);
  EXPECT_EQ(tcp->rcode, 2);
}

}  // namespace
}  // namespace wharf::dns
