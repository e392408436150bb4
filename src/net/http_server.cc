#include "net/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "base/logging.h"

namespace wharf::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One HTTP connection, living on one loop.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const Handler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void Run() { ReadRequest(); }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(static_cast<uint32_t>(options_.header_limit));
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      Response res{ec == http::error::body_limit ? http::status::payload_too_large
                                                 : http::status::request_header_fields_too_large,
                   11};
      res.set(http::field::content_type, "text/plain");
      res.body() = ec.message() + "\n";
      res.keep_alive(false);
      return Write(std::move(res));
    }
    if (ec) {
      Response res{http::status::bad_request, 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = "malformed request: " + ec.message() + "\n";
      res.keep_alive(false);
      return Write(std::move(res));
    }
    Request req = parser_->release();
    keep_alive_ = req.keep_alive();
    auto executor = stream_.get_executor();
    handler_(std::move(req), [self = shared_from_this(), executor](Response&& res) {
      asio::post(executor, [self, res = std::move(res)]() mutable { self->Write(std::move(res)); });
    });
  }

  void Write(Response&& res) {
    if (!res.keep_alive() || !keep_alive_) res.keep_alive(false);
    res.prepare_payload();
    auto owned = std::make_shared<Response>(std::move(res));
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned](beast::error_code ec, size_t) {
                        if (ec || owned->need_eof()) return self->Close();
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
  const HttpServerOptions& options_;
  const Handler& handler_;
  bool keep_alive_ = true;
};

// One event loop with its own acceptor.
class Loop {
 public:
  Loop(const HttpServerOptions& options, const Handler& handler)
      : acceptor_(io_), options_(options), handler_(handler) {}

  Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return Status::Internal("SO_REUSEPORT failed");
      }
    }
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("listen on " + endpoint.address().to_string() + ":" +
                                 std::to_string(endpoint.port()) + ": " + ec.message());
    }
    return Status::OK();
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
        std::make_shared<Session>(std::move(socket), options_, handler_)->Run();
      }
      Accept();
    });
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  const HttpServerOptions& options_;
  const Handler& handler_;
  std::thread thread_;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(HttpServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~BeastHttpServer() override { Stop(); }

  Status Start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("bad listen address '" + options_.host + "'");
    uint16_t port = options_.port;
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      auto loop = std::make_unique<Loop>(options_, handler_);
      RETURN_IF_ERROR(loop->Listen(tcp::endpoint(address, port)));
      port = loop->port();  // the others share the port the first one got
      loops_.push_back(std::move(loop));
    }
    port_ = port;
    for (auto& loop : loops_) loop->Run();
    return Status::OK();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    for (auto& loop : loops_) loop->Stop();
    loops_.clear();
  }

 private:
  HttpServerOptions options_;
  Handler handler_;
  std::vector<std::unique_ptr<Loop>> loops_;
  uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Handler handler) {
  auto server = std::make_unique<BeastHttpServer>(options, std::move(handler));
  RETURN_IF_ERROR(server->Start());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace wharf::net
