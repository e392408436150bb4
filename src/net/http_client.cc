#include "net/http_client.h"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <unistd.h>

#include "net/netns_socket.h"

namespace wharf::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Status CancelledStatus() { return Status::Unavailable("HTTP client cancelled"); }

// Runs `fn`, turning an escaping exception (Boost, allocation) into Internal: none may
// cross this module's boundary.
template <typename Fn>
auto Guard(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal(std::string(what) + ": " + e.what());
  }
}

}  // namespace

struct HttpClient::Impl {
  Impl(std::string h, std::string p, HttpClientOptions o)
      : host(std::move(h)), port(std::move(p)), options(o) {}

  const std::string host;
  const std::string port;
  const HttpClientOptions options;
  std::atomic<bool> cancelled{false};

  // Used only by the owning thread, or by handlers that run inside its Run().
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  std::optional<http::response_parser<http::buffer_body>> parser;  // the open stream

  // Runs the I/O loop on this thread until the operation begun by `start` completes.
  // The loop is what makes tcp_stream's timeouts work for a synchronous caller, and it
  // is where a Cancel() posted from another thread runs and aborts the operation.
  template <typename Start>
  beast::error_code Run(Start&& start) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    if (ioc.stopped()) ioc.restart();
    while (!result) {
      if (ioc.run_one() == 0) return asio::error::operation_aborted;
    }
    return *result;
  }

  Status IoError(const char* step, const beast::error_code& ec) const {
    std::string where = std::string(step) + " " + host + ":" + port + ": ";
    if (cancelled) return CancelledStatus();
    if (ec == beast::error::timeout) return Status::Unavailable(where + "timed out");
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        (ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message)) {
      return Status::Internal(where + "bad HTTP response: " + ec.message());
    }
    return Status::Unavailable(where + ec.message());
  }

  void Close() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
    connected = false;
    buffer.clear();
    parser.reset();
  }

  Status Connect() {
    if (cancelled) return CancelledStatus();
    if (connected) return Status::OK();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return Status::Unavailable("resolve " + host + ":" + port + ": " + ec.message());
    stream.expires_after(options.connect_timeout);
    if (!options.netns_path.empty()) {
      // One address, on a socket of the namespace (the range form would reopen the socket here).
      tcp::endpoint to;
      for (const auto& e : endpoints) {
        if (e.endpoint().address().is_v4()) to = e.endpoint();
      }
      if (!to.address().is_v4() || to.port() == 0) return Status::Unavailable("no IPv4 address for " + host);
      auto fd = OpenTcpSocketIn(options.netns_path);
      if (!fd.ok()) return fd.status();
      stream.socket().assign(tcp::v4(), *fd, ec);
      if (ec) {
        ::close(*fd);
        return IoError("socket", ec);
      }
      ec = Run([&](auto handler) { stream.async_connect(to, std::move(handler)); });
    } else {
      ec = Run([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    }
    if (ec) {
      Close();
      return IoError("connect", ec);
    }
    stream.expires_never();
    stream.socket().set_option(tcp::no_delay(true), ec);
    buffer.clear();
    connected = true;
    return Status::OK();
  }

  http::request<http::string_body> Build(const HttpRequest& r) const {
    http::request<http::string_body> req;
    req.method_string(r.method);
    req.target(r.target);
    req.version(11);
    req.set(http::field::host, host + ":" + port);
    for (const auto& [name, value] : r.headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = r.body;
    req.prepare_payload();
    return req;
  }

  static HttpResponse Head(const http::response_header<>& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return out;
  }

  // One request/response on the open connection. `*stale` says the failure looks like a
  // kept-alive connection the server had already closed: nothing of a response came back.
  Result<HttpResponse> Exchange(const http::request<http::string_body>& req, bool* stale) {
    *stale = false;
    stream.expires_after(options.request_timeout);
    beast::error_code ec = Run([&](auto h) { http::async_write(stream, req, std::move(h)); });
    if (ec) {
      *stale = ec != beast::error::timeout;
      return IoError("send to", ec);
    }
    http::response_parser<http::string_body> p;
    p.body_limit(options.max_body_bytes);
    ec = Run([&](auto h) { http::async_read(stream, buffer, p, std::move(h)); });
    if (ec) {
      *stale = !p.got_some() && ec != beast::error::timeout;
      return IoError("read from", ec);
    }
    stream.expires_never();
    HttpResponse out = Head(p.get().base());
    out.body = std::move(p.get().body());
    if (!p.keep_alive()) Close();
    return out;
  }

  Result<HttpResponse> Send(const HttpRequest& request) {
    if (parser) Close();  // a half-read stream leaves the connection unusable
    auto req = Build(request);
    for (int attempt = 0;; ++attempt) {
      if (cancelled) return CancelledStatus();
      const bool reused = connected;
      RETURN_IF_ERROR(Connect());
      bool stale = false;
      auto r = Exchange(req, &stale);
      if (r.ok()) return r;
      Close();
      if (!(reused && stale && attempt == 0)) return r.status();
    }
  }

  Result<HttpResponse> StartStream(const HttpRequest& request) {
    Close();
    RETURN_IF_ERROR(Connect());
    auto req = Build(request);
    stream.expires_after(options.request_timeout);
    beast::error_code ec = Run([&](auto h) { http::async_write(stream, req, std::move(h)); });
    if (ec) {
      Close();
      return IoError("send to", ec);
    }
    parser.emplace();
    parser->body_limit(boost::none);
    ec = Run([&](auto h) { http::async_read_header(stream, buffer, *parser, std::move(h)); });
    if (ec) {
      Close();
      return IoError("read from", ec);
    }
    stream.expires_never();
    HttpResponse head = Head(parser->get().base());
    if (head.status / 100 == 2) return head;
    // An error answer is short: read it whole so the caller can report it.
    for (;;) {
      auto piece = ReadStream();
      if (!piece.ok()) return piece.status();
      if (!piece->has_value()) break;
      head.body += **piece;
      if (head.body.size() > options.max_body_bytes) {
        Close();
        return Status::Internal("error response from " + host + ":" + port + " too large");
      }
    }
    return head;
  }

  Result<std::optional<std::string>> ReadStream() {
    if (cancelled) return CancelledStatus();
    if (!parser) return std::optional<std::string>();
    char chunk[16 * 1024];
    while (!parser->is_done()) {
      auto& body = parser->get().body();
      body.data = chunk;
      body.size = sizeof chunk;
      beast::error_code ec =
          Run([&](auto h) { http::async_read_some(stream, buffer, *parser, std::move(h)); });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        Close();
        return IoError("read stream from", ec);
      }
      const size_t n = sizeof chunk - parser->get().body().size;
      if (n > 0) return std::optional<std::string>(std::string(chunk, n));
    }
    Close();
    return std::optional<std::string>();
  }
};

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

HttpClient::HttpClient(std::string host, std::string port, HttpClientOptions options)
    : host_(host),
      port_(port),
      impl_(std::make_unique<Impl>(std::move(host), std::move(port), options)) {}

HttpClient::~HttpClient() = default;

Status HttpClient::Connect() {
  return Guard("HTTP connect", [&] { return impl_->Connect(); });
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  return Guard("HTTP request", [&]() -> Result<HttpResponse> {
    auto r = impl_->Send(request);
    if (!r.ok()) impl_->Close();
    return r;
  });
}

Result<HttpResponse> HttpClient::StartStream(const HttpRequest& request) {
  return Guard("HTTP stream", [&] { return impl_->StartStream(request); });
}

Result<std::optional<std::string>> HttpClient::ReadStream() {
  return Guard("HTTP stream", [&] { return impl_->ReadStream(); });
}

void HttpClient::Cancel() {
  impl_->cancelled = true;
  // Only the socket is touched, and only on the owner's thread (inside its Run), so the
  // owner never sees its parser or buffers change under it; its pending read fails.
  Impl* impl = impl_.get();
  asio::post(impl->ioc, [impl] {
    beast::error_code ec;
    impl->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    impl->stream.socket().close(ec);
  });
}

bool SplitHostPort(std::string_view hostport, std::string* host, std::string* port) {
  size_t colon;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos || close + 1 >= hostport.size() ||
        hostport[close + 1] != ':') {
      return false;
    }
    *host = std::string(hostport.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = hostport.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    *host = std::string(hostport.substr(0, colon));
  }
  *port = std::string(hostport.substr(colon + 1));
  return !port->empty();
}

}  // namespace wharf::net
