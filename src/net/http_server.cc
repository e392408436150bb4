#include "net/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "net/conntrack_origin.h"

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
      : stream_(std::move(socket)), options_(options), handler_(handler) {
    boost::system::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = peer.address().to_string();
    if (options_.original_destination) ReadMark();
  }

  void Run() { ReadHeader(); }

 private:
  // A connection from a VPC carries its SYN's mark (the VPC's reply mark): only such a
  // connection can have been DNAT'd here by a node's egress table, so only it is asked where it
  // was going, and that later (OriginalDestination), not on the accept. One getsockopt for
  // every other connection.
  void ReadMark() {
    uint32_t mark = 0;
    socklen_t length = sizeof mark;
    int fd = stream_.socket().native_handle();
    if (::getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &length) != 0) return;
    if (options_.conntrack_zone && options_.conntrack_zone(mark) != 0) {
      mark_ = mark;
      origin_pending_ = true;
    }
  }

  // Where a VPC's connection was going (conntrack's original tuple), read once, at its first
  // request: the default zone's (SO_ORIGINAL_DST), else the VPC's zone's over netlink (which
  // never blocks). Left empty with origin_unknown_ set when neither answers (no CAP_NET_ADMIN,
  // an IPv6 listener, an entry gone): the server refuses such a connection rather than guess.
  void OriginalDestination() {
    origin_pending_ = false;
    origin_unknown_ = true;
    int fd = stream_.socket().native_handle();
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 || local.sin_family != AF_INET) {
      return NoteOriginFailure("the listener is not IPv4");
    }
    sockaddr_in original{};
    length = sizeof original;
    bool found = ::getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &original, &length) == 0 && original.sin_family == AF_INET;
    if (!found) {
      sockaddr_in peer{};
      length = sizeof peer;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 || peer.sin_family != AF_INET) {
        return NoteOriginFailure("no IPv4 peer");
      }
      auto d = ConntrackOriginalDestination(local, peer, options_.conntrack_zone(mark_));
      if (!d) return NoteOriginFailure("conntrack has no entry or cannot be asked (CAP_NET_ADMIN?)");
      original = *d;
    }
    char text[INET_ADDRSTRLEN];
    if (!::inet_ntop(AF_INET, &original.sin_addr, text, sizeof text)) return;
    original_destination_ = std::string(text) + ":" + std::to_string(ntohs(original.sin_port));
    origin_unknown_ = false;
  }

  // Logged the first time only: every VPC connection would say the same.
  static void NoteOriginFailure(const char* why) {
    static std::atomic<bool> logged{false};
    if (!logged.exchange(true)) {
      LOG_WARN("msg=\"a VPC connection's original destination cannot be read: its requests are refused\" why=\"{}\"",
               why);
    }
  }

  void ReadHeader() {
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(options_.header_limit));
    // The body limit depends on where the body goes, decided once the header is in; the
    // parser would otherwise check Content-Length against its default already.
    header_parser_->body_limit(boost::none);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read_header(stream_, buffer_, *header_parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const RequestHeader& header = header_parser_->get().base();
    head_request_ = header.method() == http::verb::head;
    keep_alive_ = header_parser_->get().keep_alive();
    if (options_.spool_body && options_.spool_body(header)) {
      spool_path_ = SpoolPath();
      file_parser_.emplace(std::move(*header_parser_));
      file_parser_->body_limit(boost::none);
      file_parser_->get().body().open(spool_path_.c_str(), beast::file_mode::write, ec);
      // Beast reads no more than the buffer's free capacity at a time: give it room, or a
      // large body arrives a few kilobytes per event-loop turn.
      buffer_.reserve(256 * 1024);
      // The deadline covers the whole body: a large upload gets an hour, not the idle timeout.
      stream_.expires_after(std::chrono::hours(1));
      if (ec) return Fail(http::status::internal_server_error, "cannot spool body: " + ec.message());
    } else {
      // The limit is checked against Content-Length when the header is parsed, which has
      // happened already: check here, and let the parser police chunked bodies.
      auto length = header_parser_->content_length();
      if (length && *length > options_.body_limit) {
        return Fail(http::status::payload_too_large, "body limit exceeded");
      }
      string_parser_.emplace(std::move(*header_parser_));
      string_parser_->body_limit(options_.body_limit);
    }
    auto expect = header.find(http::field::expect);
    if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
    }
    ReadBody();
  }

  void ReadBody() {
    auto done = [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); };
    if (file_parser_) {
      http::async_read(stream_, buffer_, *file_parser_, std::move(done));
    } else {
      http::async_read(stream_, buffer_, *string_parser_, std::move(done));
    }
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    Incoming in;
    in.remote_address = remote_address_;
    if (origin_pending_) OriginalDestination();
    in.original_destination = original_destination_;
    in.mark = mark_;
    in.origin_unknown = origin_unknown_;
    if (options_.original_destination) {
      if (!connection_vpce_) connection_vpce_ = std::make_shared<std::string>();
      in.connection_vpce = connection_vpce_;
    }
    if (file_parser_) {
      auto message = file_parser_->release();
      message.body().close();
      in.message.base() = std::move(message.base());
      in.body_file = spool_path_;
      file_parser_.reset();
    } else {
      in.message = string_parser_->release();
      string_parser_.reset();
    }
    auto executor = stream_.get_executor();
    try {
      handler_(std::move(in), [self = shared_from_this(), executor](Reply&& reply) {
        asio::post(executor, [self, reply = std::move(reply)]() mutable { self->Write(std::move(reply)); });
      });
    } catch (const std::exception& e) {
      // A bug in a handler must cost one request, never the process (and every connection).
      LOG_ERROR("msg=\"request handler threw\" error=\"{}\"", e.what());
      Fail(http::status::internal_server_error, "internal error");
    }
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) return Fail(http::status::payload_too_large, ec.message());
    if (ec == http::error::header_limit) {
      return Fail(http::status::request_header_fields_too_large, ec.message());
    }
    Fail(http::status::bad_request, "malformed request: " + ec.message());
  }

  void Fail(http::status status, const std::string& why) {
    Response res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.body() = why + "\n";
    res.keep_alive(false);
    keep_alive_ = false;
    Write(Reply(std::move(res)));
  }

  std::string SpoolPath() {
    static std::atomic<uint64_t> counter{0};
    return options_.spool_dir + "/body-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1));
  }

  void Write(Reply&& reply) {
    RemoveSpool();
    if (reply.drop) return Close();
    Response& res = reply.response;
    if (!keep_alive_) res.keep_alive(false);
    if (!reply.file.empty()) return WriteFile(std::move(reply));
    if (reply.source) return WriteSource(std::move(reply));
    // A HEAD answer carries the Content-Length of the body it does not send.
    if (!head_request_ || res.find(http::field::content_length) == res.end()) res.prepare_payload();
    auto owned = std::make_shared<Response>(std::move(res));
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *owned, [self = shared_from_this(), owned](beast::error_code ec, size_t) {
      self->AfterWrite(ec, owned->need_eof());
    });
  }

  // A file body goes out with sendfile(2): the header through Beast, then the kernel copies
  // the file to the socket, with no pass through user space.
  void WriteFile(Reply&& reply) {
    int fd = ::open(reply.file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      Response gone{http::status::not_found, 11};
      gone.keep_alive(false);
      keep_alive_ = false;
      return Write(Reply(std::move(gone)));
    }
    auto head = std::make_shared<http::response<http::empty_body>>();
    head->base() = std::move(reply.response.base());
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t offset = std::min(reply.offset, size);
    uint64_t length = std::min(reply.length, size - offset);
    head->content_length(length);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    file_fd_ = fd;
    file_offset_ = static_cast<off_t>(offset);
    file_size_ = static_cast<off_t>(offset + length);  // where sending stops
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write_header(stream_, *serializer,
                             [self = shared_from_this(), head, serializer](beast::error_code ec, size_t) {
                               if (ec) return self->FinishFile(ec);
                               self->stream_.expires_never();
                               self->SendFileChunk();
                             });
  }

  // A made body: the header with its Content-Length, then each piece as it comes.
  void WriteSource(Reply&& reply) {
    auto head = std::make_shared<http::response<http::empty_body>>();
    head->base() = std::move(reply.response.base());
    head->content_length(reply.length);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write_header(stream_, *serializer,
                             [self = shared_from_this(), head, serializer, source = std::move(reply.source),
                              left = reply.length](beast::error_code ec, size_t) {
                               if (ec) return self->AfterWrite(ec, false);
                               self->SendSourcePiece(source, left);
                             });
  }

  void SendSourcePiece(std::shared_ptr<BodySource> source, uint64_t left) {
    if (left == 0) return AfterWrite({}, false);
    auto piece = source->Next();
    if (!piece.ok() || piece->empty() || piece->size() > left) {
      LOG_WARN("msg=\"streamed body failed\" error=\"{}\"", piece.ok() ? "short body" : piece.status().ToString());
      return AfterWrite(beast::error_code(EIO, beast::system_category()), false);
    }
    auto owned = std::make_shared<std::string>(std::move(*piece));
    left -= owned->size();
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    asio::async_write(stream_, asio::buffer(*owned),
                      [self = shared_from_this(), owned, source = std::move(source), left](beast::error_code ec,
                                                                                        size_t) mutable {
                        if (ec) return self->AfterWrite(ec, false);
                        self->SendSourcePiece(std::move(source), left);
                      });
  }

  void SendFileChunk() {
    auto& socket = stream_.socket();
    socket.non_blocking(true);
    while (file_offset_ < file_size_) {
      ssize_t n = ::sendfile(socket.native_handle(), file_fd_, &file_offset_,
                             static_cast<size_t>(std::min<off_t>(file_size_ - file_offset_, 1 << 30)));
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        socket.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->FinishFile(ec);
          self->SendFileChunk();
        });
        return;
      }
      return FinishFile(beast::error_code(n < 0 ? errno : EPIPE, beast::system_category()));
    }
    FinishFile({});
  }

  void FinishFile(beast::error_code ec) {
    ::close(file_fd_);
    file_fd_ = -1;
    AfterWrite(ec, false);
  }

  void AfterWrite(beast::error_code ec, bool need_eof) {
    if (ec || need_eof || !keep_alive_) return Close();
    ReadHeader();
  }

  void RemoveSpool() {
    if (spool_path_.empty()) return;
    ::unlink(spool_path_.c_str());  // gone already if the handler took it
    spool_path_.clear();
  }

  void Close() {
    RemoveSpool();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;
  std::string spool_path_;
  std::string remote_address_;  // the peer's, read once per connection
  std::string original_destination_;  // a VPC connection's (OriginalDestination)
  uint32_t mark_ = 0;                 // a VPC's reply mark, else 0
  bool origin_pending_ = false;       // a VPC's connection not yet asked where it was going
  bool origin_unknown_ = false;       // asked, and nothing could say
  std::shared_ptr<std::string> connection_vpce_;  // Incoming::connection_vpce
  const HttpServerOptions& options_;
  const Handler& handler_;
  bool keep_alive_ = true;
  bool head_request_ = false;
  int file_fd_ = -1;  // the file being sent
  off_t file_offset_ = 0, file_size_ = 0;
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
    if (!ec && !options_.bind_device.empty()) {
      const std::string& dev = options_.bind_device;
      if (setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(),
                     static_cast<socklen_t>(dev.size())) != 0) {
        return Status::Unavailable("listen on " + endpoint.address().to_string() + " bound to " + dev + ": " +
                                   std::strerror(errno));
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
      if (ec) {
        // Out of descriptors and the like: the socket stays readable, so back off a moment
        // rather than spin.
        retry_.expires_after(std::chrono::milliseconds(50));
        retry_.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), options_, handler_)->Run();
      Accept();
    });
  }

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer retry_{io_};
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
