#include "dns/resolver.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "base/logging.h"
#include "base/mutex.h"
#include "base/random.h"

namespace wharf::dns {
namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxPending = 4096;         // forwarded queries awaiting their upstream
constexpr size_t kMaxTcpConnections = 256;   // per listener
constexpr size_t kMaxUpstreamTcp = 256;      // truncated answers asked again over TCP at once
constexpr auto kTcpIdle = std::chrono::seconds(10);
constexpr auto kSweep = std::chrono::milliseconds(250);
// Queries are read kUdpBatch at a time (recvmmsg) and the answers made from the VPC's names
// sent in one sendmmsg: under load the send path is most of the cost, and one call per batch
// instead of one per answer saves the syscalls and, more, the resolver being preempted inside
// each sendto by the client it just woke. Batches are read until the socket is empty (up to
// kUdpRounds in a row before the loop runs others): a client answered often sends again at
// once, and reading on saves the resolver going back to epoll and being woken for it.
constexpr unsigned kUdpBatch = 32;
constexpr int kUdpRounds = 16;
// A slot per datagram: no client asks with more than its EDNS payload (<= 4096 in practice);
// a datagram longer than this arrives cut (MSG_TRUNC) and is dropped, as a non-query is.
constexpr size_t kUdpSlot = 4096;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// "ip", "ip:port", "[v6]:port", "v6" -> an endpoint (port 53 by default).
Result<udp::endpoint> ParseUpstream(const std::string& text) {
  std::string host = text, port = "53";
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("bad resolver address " + text);
    host = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') port = text.substr(close + 2);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("bad resolver address " + text);
  int p = 0;
  try {
    p = std::stoi(port);
  } catch (...) {
    p = -1;
  }
  if (p <= 0 || p > 65535) return Status::InvalidArgument("bad resolver port in " + text);
  return udp::endpoint(address, static_cast<uint16_t>(p));
}

Status SetDeviceAndFreebind(int fd, const std::string& device, bool v6) {
  if (!device.empty() &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size())) != 0) {
    return Status::Unavailable("SO_BINDTODEVICE " + device + ": " + std::strerror(errno));
  }
  // The address may reach the interface a moment after the listener: bind regardless.
  int one = 1;
  if (!v6) setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  return Status::OK();
}

}  // namespace

std::vector<std::string> HostResolvers(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "nameserver") out.push_back(value);
  }
  return out;
}

// ---- The event loop's side -------------------------------------------------------------------
// Everything below runs on the loop thread, but for Listen/Unlisten/Stop, which post to it.

struct Resolver::Impl {
  struct Listener;
  struct TcpConnection;

  // A query sent on to an upstream, by the id it was sent with.
  struct Pending {
    std::string packet;        // the client's query, its own id
    uint16_t client_id = 0;
    std::shared_ptr<Listener> listener;  // a UDP client's: answer from its socket
    udp::endpoint client;
    std::shared_ptr<TcpConnection> connection;  // a TCP client's
    size_t upstream = 0;
    std::chrono::steady_clock::time_point deadline;
  };

  struct Listener {
    std::string vpc_id;
    unsigned ifindex = 0;
    uint16_t port = 0;
    udp::socket udp_socket;
    tcp::acceptor acceptor;
    size_t connections = 0;
    bool closed = false;
    explicit Listener(asio::io_context& ctx) : udp_socket(ctx), acceptor(ctx) {}
  };

  struct TcpConnection : std::enable_shared_from_this<TcpConnection> {
    Impl& impl;
    std::shared_ptr<Listener> listener;
    tcp::socket socket;
    asio::steady_timer idle;
    std::array<uint8_t, 2> length{};
    std::vector<uint8_t> message;
    std::deque<std::string> out;
    TcpConnection(Impl& i, std::shared_ptr<Listener> l, tcp::socket s)
        : impl(i), listener(std::move(l)), socket(std::move(s)), idle(socket.get_executor()) {}
    ~TcpConnection() { --listener->connections; }

    void Start() { ReadLength(); }
    void ArmIdle() {
      idle.expires_after(kTcpIdle);
      idle.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->Close();
      });
    }
    void Close() {
      boost::system::error_code ignored;
      socket.close(ignored);
      idle.cancel();
    }
    void ReadLength() {
      ArmIdle();
      asio::async_read(socket, asio::buffer(length), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        if (ec) return self->Close();
        size_t n = (self->length[0] << 8) | self->length[1];
        if (n == 0) return self->Close();
        self->message.resize(n);
        asio::async_read(self->socket, asio::buffer(self->message), [self](boost::system::error_code ec2, size_t) {
          if (ec2) return self->Close();
          self->impl.Handle(self->listener, std::span<const uint8_t>(self->message), {}, self);
          self->ReadLength();
        });
      });
    }
    void Send(std::string answer) {
      if (answer.size() > kMaxTcpMessage) return;
      std::string framed;
      framed.push_back(static_cast<char>(answer.size() >> 8));
      framed.push_back(static_cast<char>(answer.size() & 0xff));
      framed += answer;
      out.push_back(std::move(framed));
      if (out.size() == 1) WriteNext();
    }
    void WriteNext() {
      asio::async_write(socket, asio::buffer(out.front()), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        if (ec) return self->Close();
        self->out.pop_front();
        if (!self->out.empty()) self->WriteNext();
      });
    }
  };

  RecordSource& source;
  std::vector<udp::endpoint> upstreams;
  std::chrono::milliseconds upstream_timeout;
  asio::io_context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  std::thread loop;

  // Loop thread only.
  udp::socket upstream_v4{ctx}, upstream_v6{ctx};
  // Not value-initialised, nor the batch's slots: a receive writes what is read, and pages
  // nothing wrote stay untouched. Zeroed, these 256 KB were resident from the start in every
  // server, idle or not, with no VPC asking anything (session 17's idle RSS).
  std::array<uint8_t, 65536> upstream_buffer_v4, upstream_buffer_v6;
  udp::endpoint upstream_sender_v4, upstream_sender_v6;
  std::map<uint16_t, Pending> pending;
  size_t upstream_tcp = 0;  // UpstreamTcp exchanges in flight
  asio::steady_timer sweep{ctx};
  SecureRandom random;
  // One batch of UDP queries read by recvmmsg and their answers, shared by all listeners:
  // a batch is read, answered and sent before the loop runs anything else.
  struct UdpBatch {
    std::array<std::array<uint8_t, kUdpSlot>, kUdpBatch> slots;  // not value-initialised (above)
    std::array<sockaddr_storage, kUdpBatch> from{};
    std::array<iovec, kUdpBatch> iov{};
    std::array<mmsghdr, kUdpBatch> in{};
    // The answers made while handling the batch (Reply appends here instead of sending).
    std::vector<std::pair<std::string, udp::endpoint>> answers;
    std::array<iovec, kUdpBatch * 2> out_iov{};
    std::array<mmsghdr, kUdpBatch * 2> out{};
    const Listener* listener = nullptr;  // whose batch is being handled (its answers go here)
  };
  std::unique_ptr<UdpBatch> batch = std::make_unique_for_overwrite<UdpBatch>();  // slots left as malloc gave them

  // Listen and Unlisten, from any thread.
  Mutex mu;
  std::map<std::string, std::shared_ptr<Listener>> listeners GUARDED_BY(mu);  // by "ip%device"

  Impl(RecordSource& s, ResolverOptions& o) : source(s), upstream_timeout(o.upstream_timeout) {}

  void Run() {
    boost::system::error_code ec;
    upstream_v4.open(udp::v4(), ec);
    if (!ec) ReceiveUpstream(upstream_v4, upstream_buffer_v4, upstream_sender_v4);
    upstream_v6.open(udp::v6(), ec);
    if (!ec) ReceiveUpstream(upstream_v6, upstream_buffer_v6, upstream_sender_v6);
    Sweep();
    loop = std::thread([this] { ctx.run(); });
  }

  void StartListener(const std::shared_ptr<Listener>& l) {
    ReceiveUdp(l);
    Accept(l);
  }

  void ReceiveUdp(const std::shared_ptr<Listener>& l) {
    l->udp_socket.async_wait(udp::socket::wait_read, [this, l](boost::system::error_code ec) {
      if (l->closed || ec == asio::error::operation_aborted || !l->udp_socket.is_open()) return;
      // Under load more queries are already queued: take them without a trip through epoll.
      for (int round = 0; round < kUdpRounds && !l->closed; ++round) {
        if (ReadAndAnswer(l) == 0) break;  // the queue is empty
      }
      ReceiveUdp(l);
    });
  }

  // Reads up to kUdpBatch queries from `l`'s UDP socket, handles each, and sends the answers
  // made from the VPC's names in one sendmmsg (forwarded queries are answered when their
  // upstream replies). Returns how many datagrams were read.
  int ReadAndAnswer(const std::shared_ptr<Listener>& l) {
    UdpBatch& b = *batch;
    const int fd = l->udp_socket.native_handle();
    for (unsigned i = 0; i < kUdpBatch; ++i) {
      b.iov[i] = {b.slots[i].data(), kUdpSlot};
      b.in[i] = {};
      b.in[i].msg_hdr.msg_name = &b.from[i];
      b.in[i].msg_hdr.msg_namelen = sizeof b.from[i];
      b.in[i].msg_hdr.msg_iov = &b.iov[i];
      b.in[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, b.in.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return 0;
    b.answers.clear();
    b.listener = l.get();
    for (int i = 0; i < n && !l->closed; ++i) {
      if (b.in[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
      udp::endpoint client;
      std::memcpy(client.data(), &b.from[i], std::min<size_t>(b.in[i].msg_hdr.msg_namelen, client.capacity()));
      Handle(l, std::span<const uint8_t>(b.slots[i].data(), b.in[i].msg_len), client, nullptr);
    }
    b.listener = nullptr;
    if (!l->closed) SendAnswers(fd, b);
    b.answers.clear();
    return n;
  }

  static void SendAnswers(int fd, UdpBatch& b) {
    const size_t count = std::min(b.answers.size(), b.out.size());
    for (size_t i = 0; i < count; ++i) {
      auto& [answer, client] = b.answers[i];
      b.out_iov[i] = {answer.data(), answer.size()};
      b.out[i] = {};
      b.out[i].msg_hdr.msg_name = client.data();
      b.out[i].msg_hdr.msg_namelen = static_cast<socklen_t>(client.size());
      b.out[i].msg_hdr.msg_iov = &b.out_iov[i];
      b.out[i].msg_hdr.msg_iovlen = 1;
    }
    for (size_t sent = 0; sent < count;) {
      int r = sendmmsg(fd, b.out.data() + sent, static_cast<unsigned>(count - sent), 0);
      if (r > 0) {
        sent += static_cast<size_t>(r);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) {
        break;  // a full buffer drops the rest, as UDP does
      } else {
        ++sent;  // that one answer's own error (its client unreachable): skip it
      }
    }
  }

  void Accept(const std::shared_ptr<Listener>& l) {
    l->acceptor.async_accept([this, l](boost::system::error_code ec, tcp::socket socket) {
      if (l->closed || ec == asio::error::operation_aborted || !l->acceptor.is_open()) return;
      if (!ec && l->connections < kMaxTcpConnections) {
        ++l->connections;
        std::make_shared<TcpConnection>(*this, l, std::move(socket))->Start();
      }
      Accept(l);
    });
  }

  void Reply(const std::shared_ptr<Listener>& l, const udp::endpoint& client,
             const std::shared_ptr<TcpConnection>& connection, std::string answer) {
    if (connection) return connection->Send(std::move(answer));
    if (batch->listener == l.get() && batch->answers.size() < batch->out.size()) {
      batch->answers.emplace_back(std::move(answer), client);  // sent with the batch's others
      return;
    }
    boost::system::error_code ignored;
    l->udp_socket.send_to(asio::buffer(answer), client, 0, ignored);  // a full buffer drops it, as UDP does
  }

  void Handle(const std::shared_ptr<Listener>& l, std::span<const uint8_t> packet, const udp::endpoint& client,
              const std::shared_ptr<TcpConnection>& connection) {
    Decision d = Decide(source, l->vpc_id, packet, connection != nullptr);
    if (d.drop) return;
    if (d.answer) return Reply(l, client, connection, std::move(*d.answer));
    Pending p;
    p.packet.assign(reinterpret_cast<const char*>(packet.data()), packet.size());
    p.client_id = static_cast<uint16_t>((packet[0] << 8) | packet[1]);
    p.listener = connection ? nullptr : l;
    p.client = client;
    p.connection = connection;
    if (upstreams.empty() || pending.size() >= kMaxPending) return ServFail(p);
    Forward(std::move(p));
  }

  void ServFail(const Pending& p) {
    auto q = ParseQuery(Bytes(p.packet));
    if (!q.ok()) return;
    std::string answer = EncodeAnswer(*q, ErrorAnswer(Rcode::kServFail), p.connection ? kMaxTcpMessage : UdpLimit(*q));
    if (p.connection) return p.connection->Send(std::move(answer));
    if (p.listener) Reply(p.listener, p.client, nullptr, std::move(answer));
  }

  // Sends `p` to its upstream under a fresh id (unpredictable, so an off-path reply cannot
  // guess it), remembered until the reply or the deadline.
  void Forward(Pending p) {
    uint16_t id = 0;
    for (int tries = 0; tries < 16; ++tries) {
      id = static_cast<uint16_t>(random.Next());
      if (!pending.count(id)) break;
    }
    if (pending.count(id)) return ServFail(p);
    std::string out = p.packet;
    out[0] = static_cast<char>(id >> 8);
    out[1] = static_cast<char>(id & 0xff);
    const udp::endpoint& to = upstreams[p.upstream];
    udp::socket& socket = to.address().is_v4() ? upstream_v4 : upstream_v6;
    boost::system::error_code ec;
    socket.send_to(asio::buffer(out), to, 0, ec);
    p.deadline = std::chrono::steady_clock::now() + upstream_timeout;
    pending.emplace(id, std::move(p));
  }

  void ReceiveUpstream(udp::socket& socket, std::array<uint8_t, 65536>& buffer, udp::endpoint& sender) {
    socket.async_receive_from(asio::buffer(buffer), sender, [this, &socket, &buffer, &sender](boost::system::error_code ec, size_t n) {
      if (ec == asio::error::operation_aborted || !socket.is_open()) return;
      if (!ec && n >= kHeaderSize) {
        uint16_t id = static_cast<uint16_t>((buffer[0] << 8) | buffer[1]);
        auto it = pending.find(id);
        if (it != pending.end() && sender == upstreams[it->second.upstream] && (buffer[2] & 0x80)) {
          std::string answer(reinterpret_cast<const char*>(buffer.data()), n);
          answer[0] = static_cast<char>(it->second.client_id >> 8);
          answer[1] = static_cast<char>(it->second.client_id & 0xff);
          Pending p = std::move(it->second);
          pending.erase(it);
          const bool truncated = (buffer[2] & 0x02) != 0;
          if (p.connection && truncated) {
            ForwardTcp(std::move(p));  // a TCP client gets the whole answer, asked for over TCP
          } else if (p.connection) {
            p.connection->Send(std::move(answer));
          } else if (p.listener && !p.listener->closed) {
            Reply(p.listener, p.client, nullptr, std::move(answer));
          }
        }
      }
      ReceiveUpstream(socket, buffer, sender);
    });
  }

  // A TCP client's query whose upstream's UDP answer came back truncated, asked again over
  // TCP to that upstream (RFC 7766 5: a stub's TCP query is answered whole); SERVFAIL when
  // it does not answer in the upstream timeout. A UDP client gets the truncated answer as it
  // came and asks again over TCP itself.
  struct UpstreamTcp : std::enable_shared_from_this<UpstreamTcp> {
    Impl& impl;
    Pending p;
    tcp::socket socket;
    asio::steady_timer timer;
    std::array<uint8_t, 2> length{};
    std::string out;
    std::vector<uint8_t> message;
    bool done = false;
    UpstreamTcp(Impl& i, Pending pending) : impl(i), p(std::move(pending)), socket(i.ctx), timer(i.ctx) {}
    ~UpstreamTcp() { --impl.upstream_tcp; }

    void Start(const tcp::endpoint& to) {
      out.push_back(static_cast<char>(p.packet.size() >> 8));
      out.push_back(static_cast<char>(p.packet.size() & 0xff));
      out += p.packet;  // its own id: a connection of its own cannot be answered off-path
      timer.expires_after(impl.upstream_timeout);
      timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->Fail();
      });
      socket.async_connect(to, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return self->Fail();
        asio::async_write(self->socket, asio::buffer(self->out), [self](boost::system::error_code ec2, size_t) {
          if (ec2) return self->Fail();
          self->ReadLength();
        });
      });
    }
    void ReadLength() {
      asio::async_read(socket, asio::buffer(length), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        size_t n = (self->length[0] << 8) | self->length[1];
        if (ec || n < kHeaderSize) return self->Fail();
        self->message.resize(n);
        asio::async_read(self->socket, asio::buffer(self->message), [self](boost::system::error_code ec2, size_t) {
          if (ec2 || !(self->message[2] & 0x80) || self->message[0] != static_cast<uint8_t>(self->p.packet[0]) ||
              self->message[1] != static_cast<uint8_t>(self->p.packet[1])) {
            return self->Fail();
          }
          self->Finish(std::string(self->message.begin(), self->message.end()));
        });
      });
    }
    void Finish(std::string answer) {
      if (done) return;
      done = true;
      timer.cancel();
      boost::system::error_code ignored;
      socket.close(ignored);
      p.connection->Send(std::move(answer));
    }
    void Fail() {
      if (done) return;
      done = true;
      timer.cancel();
      boost::system::error_code ignored;
      socket.close(ignored);
      impl.ServFail(p);
    }
  };

  void ForwardTcp(Pending p) {
    if (upstream_tcp >= kMaxUpstreamTcp) return ServFail(p);
    ++upstream_tcp;
    const udp::endpoint& to = upstreams[p.upstream];
    std::make_shared<UpstreamTcp>(*this, std::move(p))->Start(tcp::endpoint(to.address(), to.port()));
  }

  // Queries whose upstream did not answer in time go to the next upstream, or get SERVFAIL.
  void Sweep() {
    sweep.expires_after(kSweep);
    sweep.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto now = std::chrono::steady_clock::now();
      std::vector<Pending> late;
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->second.deadline <= now) {
          late.push_back(std::move(it->second));
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
      for (Pending& p : late) {
        if (p.upstream + 1 < upstreams.size()) {
          ++p.upstream;
          Forward(std::move(p));
        } else {
          ServFail(p);
        }
      }
      Sweep();
    });
  }

  static void Close(const std::shared_ptr<Listener>& l) {
    l->closed = true;
    boost::system::error_code ignored;
    l->udp_socket.close(ignored);
    l->acceptor.close(ignored);
  }
};

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Resolver::~Resolver() { Stop(); }

Result<std::unique_ptr<Resolver>> Resolver::Start(RecordSource& source, ResolverOptions options) {
  auto impl = std::make_unique<Impl>(source, options);
  for (const auto& u : options.upstreams) {
    auto endpoint = ParseUpstream(u);
    if (!endpoint.ok()) return endpoint.status();
    impl->upstreams.push_back(*endpoint);
  }
  impl->Run();
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Result<uint16_t> Resolver::Listen(const std::string& vpc_id, const std::string& ip, const std::string& device,
                                  uint16_t port) {
  Impl& impl = *impl_;
  const std::string key = ip + "%" + device;
  unsigned ifindex = device.empty() ? 0 : if_nametoindex(device.c_str());
  if (!device.empty() && ifindex == 0) return Status::NotFound("no interface " + device);
  {
    MutexLock lock(impl.mu);
    auto it = impl.listeners.find(key);
    if (it != impl.listeners.end()) {
      if (it->second->vpc_id == vpc_id && it->second->ifindex == ifindex) return it->second->port;
      auto old = it->second;
      impl.listeners.erase(it);
      asio::post(impl.ctx, [old] { Impl::Close(old); });
    }
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) return Status::InvalidArgument("bad address " + ip);
  auto l = std::make_shared<Impl::Listener>(impl.ctx);
  l->vpc_id = vpc_id;
  l->ifindex = ifindex;
  const bool v6 = address.is_v6();
  auto fail = [&](const std::string& what) {
    return Status::Unavailable("DNS listener on " + key + ": " + what + ": " + ec.message());
  };
  l->udp_socket.open(v6 ? udp::v6() : udp::v4(), ec);
  if (ec) return fail("open");
  l->udp_socket.set_option(asio::socket_base::reuse_address(true), ec);
  RETURN_IF_ERROR(SetDeviceAndFreebind(l->udp_socket.native_handle(), device, v6));
  l->udp_socket.bind(udp::endpoint(address, port), ec);
  if (ec) return fail("bind udp");
  l->port = l->udp_socket.local_endpoint().port();
  l->udp_socket.non_blocking(true, ec);
  l->acceptor.open(v6 ? tcp::v6() : tcp::v4(), ec);
  if (ec) return fail("open tcp");
  l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  RETURN_IF_ERROR(SetDeviceAndFreebind(l->acceptor.native_handle(), device, v6));
  l->acceptor.bind(tcp::endpoint(address, l->port), ec);
  if (ec) return fail("bind tcp");
  l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  {
    MutexLock lock(impl.mu);
    impl.listeners[key] = l;
  }
  asio::post(impl.ctx, [&impl, l] { impl.StartListener(l); });
  LOG_INFO("msg=\"VPC resolver listening\" vpc={} address={} port={}", vpc_id, key, l->port);
  return l->port;
}

void Resolver::Unlisten(const std::string& ip, const std::string& device) {
  Impl& impl = *impl_;
  std::shared_ptr<Impl::Listener> old;
  {
    MutexLock lock(impl.mu);
    auto it = impl.listeners.find(ip + "%" + device);
    if (it == impl.listeners.end()) return;
    old = it->second;
    impl.listeners.erase(it);
  }
  asio::post(impl.ctx, [old] { Impl::Close(old); });
}

void Resolver::Stop() {
  if (!impl_) return;
  Impl& impl = *impl_;
  if (!impl.loop.joinable()) return;
  impl.work.reset();
  impl.ctx.stop();
  impl.loop.join();
  // The loop is gone: nothing else touches the sockets now.
  std::map<std::string, std::shared_ptr<Impl::Listener>> all;
  {
    MutexLock lock(impl.mu);
    all.swap(impl.listeners);
  }
  for (const auto& entry : all) Impl::Close(entry.second);
  boost::system::error_code ignored;
  impl.sweep.cancel();
  impl.upstream_v4.close(ignored);
  impl.upstream_v6.close(ignored);
  impl.pending.clear();
}

}  // namespace wharf::dns
