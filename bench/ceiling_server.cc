// ceiling_server: the fastest answer wharf's HTTP layer could give, for bench/api_bench.py.
//
// It copies src/net/http_server.cc's shape (one io_context per thread, one SO_REUSEPORT
// acceptor per loop, Beast request parser and string_body response, tcp_stream with an idle
// timeout, TCP_NODELAY) but answers every request with the same fixed 200 JSON body, so
// the gap between it and wharf is the API's own work: SigV4, JSON, shape checks, store.
//
// Usage: ceiling_server [--host H] [--port P] [--threads N] [--body-bytes B]
// Prints "ready port=P" on stdout once every acceptor listens; stops on SIGTERM/SIGINT.
#include <signal.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kIdleTimeoutSeconds = 120;  // as HttpServerOptions::idle_timeout_seconds

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int threads = 2;
  size_t body_bytes = 1024;  // about a two-container DescribeTaskDefinition answer
};

// A JSON object of exactly `size` bytes (at least the fixed frame) ending in a newline.
std::string MakeBody(size_t size) {
  const std::string head = "{\"taskDefinition\":{\"family\":\"ceiling\",\"padding\":\"";
  const std::string tail = "\"}}\n";
  size_t pad = size > head.size() + tail.size() ? size - head.size() - tail.size() : 0;
  return head + std::string(pad, 'x') + tail;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::string& body) : stream_(std::move(socket)), body_(body) {}

  void ReadRequest() {
    parser_.emplace();
    stream_.expires_after(std::chrono::seconds(kIdleTimeoutSeconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return Close();
    bool keep_alive = parser_->get().keep_alive();
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
    res->set(http::field::content_type, "application/x-amz-json-1.1");
    res->set("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000");
    res->body() = body_;
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(kIdleTimeoutSeconds));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || res->need_eof()) return self->Close();
      self->ReadRequest();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const std::string& body_;
};

// One event loop with its own acceptor, as in wharf.
class Loop {
 public:
  explicit Loop(const std::string& body) : acceptor_(io_), body_(body) {}

  bool Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    int one = 1;
    if (!ec && setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      std::fprintf(stderr, "SO_REUSEPORT: %s\n", std::strerror(errno));
      return false;
    }
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
    return !ec;
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Run() {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  void Stop() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), body_)->ReadRequest();
      }
      Accept();
    });
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  const std::string& body_;
  std::thread thread_;
};

bool ParseNumber(std::string_view text, long min, long max, long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= min && out <= max;
}

bool ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return false;
    std::string_view value = argv[++i];
    long n = 0;
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port" && ParseNumber(value, 0, 65535, n)) {
      options.port = static_cast<uint16_t>(n);
    } else if (flag == "--threads" && ParseNumber(value, 1, 256, n)) {
      options.threads = static_cast<int>(n);
    } else if (flag == "--body-bytes" && ParseNumber(value, 0, 16 << 20, n)) {
      options.body_bytes = static_cast<size_t>(n);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N] [--body-bytes B]\n", argv[0]);
    return 2;
  }
  // Block the stop signals before any loop thread starts, so only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    std::fprintf(stderr, "bad --host '%s'\n", options.host.c_str());
    return 2;
  }
  const std::string body = MakeBody(options.body_bytes);
  std::vector<std::unique_ptr<Loop>> loops;
  uint16_t port = options.port;
  for (int i = 0; i < options.threads; ++i) {
    auto loop = std::make_unique<Loop>(body);
    if (!loop->Listen(tcp::endpoint(address, port))) return 1;
    port = loop->port();  // the others share the port the first one got
    loops.push_back(std::move(loop));
  }
  for (auto& loop : loops) loop->Run();
  std::printf("ready port=%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  for (auto& loop : loops) loop->Stop();
  return 0;
}
